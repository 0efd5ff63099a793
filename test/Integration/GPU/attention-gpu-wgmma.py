# REQUIRES: cuda, cuda-runtime, cuda-sm90
# RUN: %python %s | FileCheck %s --implicit-check-not=BAD
"""The cases of attention-gpu.py with the Hopper warpgroup-MMA kernels
(attn-gpu-pipeline chip=sm_90a mma=wgmma) on a compute capability 9.0
device, against the same float64 reference and tolerances."""

import importlib.util
import os
import sys

spec = importlib.util.spec_from_file_location(
    "attention_gpu", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "attention-gpu.py"))
attention_gpu = importlib.util.module_from_spec(spec)
spec.loader.exec_module(attention_gpu)

# CHECK: wgmma causal_gqa_bf16_d64: max|O - ref| = {{.*}} ok
# CHECK: wgmma causal_gqa_bf16_d128: max|O - ref| = {{.*}} ok
# CHECK: wgmma dense_f16_d128_ragged: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma window_f16_d64_decode: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma alibi_softcap_bf16_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma document_causal_bf16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma sinks_f16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma lengths_causal_bf16_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma mask_blocks_bf16_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma mask_float_f16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma dynamic_causal_gqa_bf16_d128: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma dynamic_batch_mask_f16_d64: max|O - ref| = {{.*}} ok, max|lse - ref| = {{.*}} ok
# CHECK: wgmma sigmoid_causal_f16_d128: max|O - ref| = {{.*}} ok
# CHECK: wgmma softpick_window_bf16_d64: max|O - ref| = {{.*}} ok
# CHECK-NOT: BAD
if __name__ == "__main__":
    sys.exit(attention_gpu.main(mma="wgmma"))
