"""Python helpers of the attn project.

* :mod:`attn.api` -- the user API: :func:`attention` builds an
  ``attn.attention`` kernel (score_mod/mask_mod traced from Python
  functions), compiles it and calls it on numpy arrays; see docs/python.md;
* :mod:`attn.linear_api` -- :func:`linear_attention` builds an
  ``attn.linear_attention`` kernel (:mod:`attn.linear_ir` prints it,
  :mod:`attn.linear_reference` is its float64 recurrence);
* :mod:`attn.block_sparse_api` -- :func:`block_scores` and
  :func:`select_blocks` build ``attn.block_scores`` / ``attn.select_blocks``
  kernels (:mod:`attn.block_sparse_ir` prints them,
  :mod:`attn.block_sparse_reference` is their float64 model);
* :mod:`attn.trace` -- tracing of modifier functions (the DSL,
  :mod:`attn.trace.dsl`) into region IR (:mod:`attn.trace.region`), numpy
  evaluation (:mod:`attn.trace.numpy_eval`) and bounds checks
  (:mod:`attn.trace.bounds`);
* :mod:`attn.reference` -- an independent numpy (float64) reference of
  ``attn.attention``;
* :mod:`attn.ir` -- textual IR of attention variants, and
  :func:`attn.ir.attention_op`, the only printer of the op;
* :mod:`attn.runner` -- compile a module with ``attn-opt`` to a shared
  library (cached) and call its C interface on numpy arrays;
* :mod:`attn.gpu` -- the GPU path: compile to a cubin, launch
  configuration, the CUDA runtime wrapper;
* :mod:`attn.testing` -- test support: random variants, the numeric
  check (``python3 -m attn.testing.check``), the GPU test cases and the
  GPU kernel emulator.
"""

from attn.api import (Kernel, attention, causal, chunked, dilated,  # noqa
                      neighborhood, prefix_lm, sliding_window)
from attn.block_sparse_api import block_scores, select_blocks  # noqa: F401
from attn.linear_api import LinearKernel, linear_attention  # noqa: F401
from attn.serving_api import AppendKernel, kv_append  # noqa: F401
from attn.runner import CompileError  # noqa: F401
from attn.trace import (TraceError, abs, capture, exp, floor,  # noqa
                        log, maximum, minimum, sqrt, tanh, where)
