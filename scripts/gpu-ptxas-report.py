#!/usr/bin/python3
"""ptxas resource report of every kernel the GPU tests build.

Lowers the kernels of test/Pipelines/attn-gpu-ptxas.mlir and of the cases of
test/Integration/GPU/attention-gpu.py with attn-gpu-pipeline (format=isa),
for mma.sync (chip sm_90) and wgmma (chip sm_90a, tensor-core kernels only,
as attention-gpu-wgmma.py and the ptxas test do), assembles each PTX with
ptxas -v and prints one JSON object {"<mma>/<kernel>": {registers,
spill_stores, spill_loads, stack, smem}}. No GPU needed.

    /usr/bin/python3 scripts/gpu-ptxas-report.py [--attn-opt PATH]
        [--ptx-dir DIR] > report.json
    /usr/bin/python3 scripts/gpu-ptxas-report.py --compare BEFORE.json AFTER.json

`--compare` prints a markdown table of both reports and exits 1 when a
kernel needs more registers or spills more in AFTER.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from attn.gpu import extract_gpu_binaries, ptxas_report  # noqa: E402

PTXAS_TEST = os.path.join(ROOT, "test", "Pipelines", "attn-gpu-ptxas.mlir")
CASES_FILE = os.path.join(ROOT, "test", "Integration", "GPU",
                          "attention-gpu.py")


def lower(attn_opt, text, chip, mma, tmp, keep=None):
    src = os.path.join(tmp, "in.mlir")
    with open(src, "w") as f:
        f.write(text)
    p = subprocess.run([attn_opt, src, "--attn-gpu-pipeline=chip=%s "
                        "format=isa mma=%s" % (chip, mma)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("attn-opt failed:\n" + p.stderr[-4000:])
    ptx = os.path.join(tmp, "k.ptx")
    with open(ptx, "wb") as f:
        f.write(extract_gpu_binaries(p.stdout)[0][1])
    if keep:
        os.makedirs(os.path.dirname(keep), exist_ok=True)
        with open(keep, "wb") as f:
            f.write(extract_gpu_binaries(p.stdout)[0][1])
    return ptxas_report(ptx, arch=chip)


def cases():
    spec = importlib.util.spec_from_file_location("attention_gpu", CASES_FILE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from attn.testing.gpu_cases import module
    from attn.gpu import uses_tensor_cores
    for case in mod.CASES:
        feat = case[12] if len(case) > 12 else {}
        tc = uses_tensor_cores(case[1], case[7], feat.get("dv", case[7]))
        yield case[0], module(case), tc


def report(attn_opt, ptx_dir=None):
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        with open(PTXAS_TEST) as f:
            text = f.read()
        for chip, mma in (("sm_90", "sync"), ("sm_90a", "wgmma")):
            # mma=auto as in the ptxas test: the general kernels ignore it.
            keep = ptx_dir and os.path.join(ptx_dir, mma, "ptxas-test.ptx")
            for kernel, r in lower(attn_opt, text, chip, "auto", tmp,
                                   keep).items():
                out["%s/%s" % (mma, kernel)] = r
        for name, text, tc in cases():
            for chip, mma in (("sm_90", "sync"), ("sm_90a", "wgmma")):
                if mma == "wgmma" and not tc:
                    continue
                keep = ptx_dir and os.path.join(ptx_dir, mma, name + ".ptx")
                for kernel, r in lower(attn_opt, text, chip, mma, tmp,
                                       keep).items():
                    out["%s/case_%s" % (mma, kernel)] = r
    return out


def compare(before_path, after_path):
    with open(before_path) as f:
        before = json.load(f)
    with open(after_path) as f:
        after = json.load(f)
    worse = []
    print("| kernel | registers before | after | spill st/ld before | after |")
    print("|---|---|---|---|---|")
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key, {}), after.get(key, {})
        spill = lambda r: "%s/%s" % (r.get("spill_stores", "-"),
                                     r.get("spill_loads", "-"))
        print("| %s | %s | %s | %s | %s |" % (
            key, b.get("registers", "-"), a.get("registers", "-"), spill(b),
            spill(a)))
        if not a or not b:
            worse.append(key + " (missing)")
            continue
        if (a["registers"] > b["registers"] or
                a.get("spill_stores", 0) > b.get("spill_stores", 0) or
                a.get("spill_loads", 0) > b.get("spill_loads", 0)):
            worse.append(key)
    if worse:
        print("\nworse: " + ", ".join(worse))
        return 1
    print("\n%d kernels, none worse" % len(after))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--attn-opt",
                    default=os.path.join(ROOT, "build", "bin", "attn-opt"))
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    ap.add_argument("--ptx-dir", help="also keep each PTX file here")
    args = ap.parse_args()
    if args.compare:
        return compare(*args.compare)
    json.dump(report(args.attn_opt, args.ptx_dir), sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
