"""Python helpers of the attn project.

* :mod:`attn.api` -- the user API: :func:`attention` builds an
  ``attn.attention`` kernel (score_mod/mask_mod traced from Python
  functions), compiles it and calls it on numpy arrays; see docs/python.md;
* :mod:`attn.trace` -- tracing of modifier functions into region IR, numpy
  evaluation and bounds checks;
* :mod:`attn.reference` -- an independent numpy (float64) reference of
  ``attn.attention``;
* :mod:`attn.ir` -- textual IR generation for attention variants;
* :mod:`attn.runner` -- compile a module with ``attn-opt`` to a shared
  library (cached) and call its C interface on numpy arrays.
"""

from attn.api import (Kernel, attention, causal, chunked, dilated,  # noqa
                      prefix_lm, sliding_window)
from attn.runner import CompileError  # noqa: F401
from attn.trace import (TraceError, abs, capture, exp, floor,  # noqa
                        log, maximum, minimum, sqrt, tanh, where)
