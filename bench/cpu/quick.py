import sys, time
import numpy as np
sys.path.insert(0, "/work/main/python")
from attn import runner
N, D, H = int(sys.argv[1]), int(sys.argv[2]), 8
pipe = sys.argv[3] if len(sys.argv) > 3 else "attn-cpu-pipeline"
masks = sys.argv[4] if len(sys.argv) > 4 else ""
t = "tensor<1x%dx%dx%dxf32>" % (H, N, D)
src = """func.func @f(%%q: %s, %%k: %s, %%v: %s) -> %s {
  %%o = attn.attention ins(%%q, %%k, %%v : %s, %s, %s) %s -> %s
  return %%o : %s
}""" % (t, t, t, t, t, t, t, masks, t, t)
t0 = time.time(); lib = runner.compile_module(src, pipeline=pipe); print("compile %.2fs" % (time.time() - t0))
x = [np.random.rand(1, H, N, D).astype(np.float32) - 0.5 for _ in range(3)]
o = np.zeros((1, H, N, D), np.float32)
best = 1e9
for r in range(3):
    t0 = time.perf_counter(); runner.call(lib, "f", x, [o]); best = min(best, time.perf_counter() - t0)
fl = 4 * H * N * N * D
print("best %.1f ms, %.1f GFLOP/s" % (best * 1e3, fl / best / 1e9))
