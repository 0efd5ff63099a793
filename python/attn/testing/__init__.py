"""Test support of the attn project (not needed to use the API).

* :mod:`attn.testing.variants` -- random variants of ``attn.attention``
  and their numpy inputs;
* :mod:`attn.testing.check` -- the random-variant numeric check of the
  compiled code against the numpy reference (``python3 -m
  attn.testing.check``);
* :mod:`attn.testing.gpu_cases` -- the case tuples of the GPU kernel tests
  and their modules;
* :mod:`attn.testing.gpu_emulator` -- a numpy emulator of the
  ``convert-attn-to-gpu`` kernels (lockstep threads, shared memory,
  shuffles, the mma/wgmma fragment layouts), for validation without a GPU.
"""
