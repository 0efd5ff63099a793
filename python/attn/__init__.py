"""Python helpers of the attn project.

* :mod:`attn.reference` -- an independent numpy (float64) reference of
  ``attn.attention``;
* :mod:`attn.ir` -- textual IR generation for attention variants;
* :mod:`attn.runner` -- compile a module with ``attn-opt`` to a shared
  library and call its C interface on numpy arrays.
"""
