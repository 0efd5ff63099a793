#!/usr/bin/env python3
"""SASS instruction mix of the benchmark cubins: where a kernel's issue
slots go (tensor-core MMAs, shared-memory loads, async copies, MUFU
exponentials, FP32 arithmetic, shuffles, barriers, integer/address math),
for the whole kernel and for its hottest loop (the longest backward branch
target range in the SASS).

    python3 bench/gpu/sass_mix.py DIR [--only NAME,...]

DIR is the output of bench/gpu/prepare.py; each configuration's mma.sync
cubin and, where prepare.py built one, its wgmma cubin are dumped. Needs
`cuobjdump` (CUDA toolkit; the GPU machine's toolkit has it, this
repository's build machine may not); no GPU and no MLIR. Branch targets
are read as absolute offsets (`BRA 0x1a0`) or labels (`BRA `(.L_x_3)`
with `.L_x_3:` before the target), whichever the toolkit prints.
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys

CLASSES = [
    ("mma", ("HMMA", "HGMMA", "WARPGROUP")),
    ("ldmatrix", ("LDSM",)),
    ("shared ld/st", ("LDS", "STS")),
    ("async copy", ("LDGSTS", "LDGDEPBAR", "DEPBAR")),
    ("global ld/st", ("LDG", "STG")),
    ("local ld/st (spills)", ("LDL", "STL")),
    ("mufu (ex2/rcp/lg2)", ("MUFU",)),
    ("fp32", ("FFMA", "FMUL", "FADD", "FMNMX", "FSETP", "FSEL", "FCHK")),
    ("conversion", ("F2F", "F2FP", "I2F", "F2I")),
    ("shuffle", ("SHFL",)),
    ("barrier", ("BAR", "WARPSYNC")),
    ("integer/address", ("IMAD", "IADD3", "LEA", "SHF", "LOP3", "ISETP",
                         "LDC", "IMNMX", "SEL", "MOV", "S2R", "CS2R", "ULDC",
                         "UMOV", "UIADD3", "ULEA", "USHF", "ULOP3",
                         "PRMT", "IABS", "VIADDMNMX", "VIMNMX")),
    ("control", ("BRA", "EXIT", "BSSY", "BSYNC", "CALL", "RET", "NOP",
                 "YIELD", "PLOP3", "P2R", "R2P")),
]

_INSTR = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_]*)"
                    r"(\.[A-Za-z0-9_.]+)?\s*([^;]*);")
_LABEL = re.compile(r"^\s*(\.L\w+):", re.MULTILINE)


def classify(op):
    for name, opcodes in CLASSES:
        if op in opcodes:
            return name
    for name, opcodes in CLASSES:
        if any(op.startswith(p) for p in opcodes):
            return name
    return "other"


def parse(sass):
    """([(offset, opcode, operands)], {label: offset}) of the SASS text of
    one kernel; a label names the offset of the instruction after it."""
    events = sorted([(m.start(), "i", m) for m in _INSTR.finditer(sass)] +
                    [(m.start(), "l", m) for m in _LABEL.finditer(sass)],
                    key=lambda e: e[0])
    instrs, labels, pending = [], {}, []
    for _, kind, m in events:
        if kind == "l":
            pending.append(m.group(1))
            continue
        off = int(m.group(1), 16)
        for label in pending:
            labels[label] = off
        pending = []
        instrs.append((off, m.group(2), m.group(4)))
    return instrs, labels


def branch_target(args, labels):
    """The target offset of a BRA's operands, or None."""
    m = re.search(r"`\((\.L\w+)\)", args)
    if m:
        return labels.get(m.group(1))
    m = re.search(r"0x([0-9a-f]+)", args)
    return int(m.group(1), 16) if m else None


def hottest_loop(instrs, labels):
    """Instructions of the largest [target, branch] range of a backward
    branch (the key loop of an attention kernel)."""
    best = None
    for off, op, args in instrs:
        if op != "BRA":
            continue
        target = branch_target(args, labels)
        if target is None:
            continue
        if target < off and (best is None or off - target > best[1] - best[0]):
            best = (target, off)
    if best is None:
        return []
    return [i for i in instrs if best[0] <= i[0] <= best[1]]


def mix(instrs):
    counts = collections.Counter(classify(op) for _, op, _ in instrs)
    return counts, len(instrs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    tool = shutil.which("cuobjdump") or os.path.join(
        os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin", "cuobjdump")
    if not os.path.exists(tool):
        print("cuobjdump not found (CUDA toolkit without binary utilities)")
        return 1
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    order = [c for c, _ in CLASSES] + ["other"]
    status = 0
    for cfg in manifest["configs"]:
        if args.only and not any(x in cfg["name"]
                                 for x in args.only.split(",")):
            continue
        cubins = [("", cfg["cubin"])]
        if cfg.get("wgmma_cubin"):
            cubins.append((" (wgmma)", cfg["wgmma_cubin"]))
        for tag, cubin in cubins:
            p = subprocess.run([tool, "-sass", os.path.join(args.dir, cubin)],
                               capture_output=True, text=True)
            if p.returncode != 0:
                print("%s%s: cuobjdump failed: %s" % (
                    cfg["name"], tag, p.stderr.strip()[:200]))
                status = 1
                continue
            instrs, labels = parse(p.stdout)
            loop = hottest_loop(instrs, labels)
            print("%s%s: %d instructions, hottest loop %d" % (
                cfg["name"], tag, len(instrs), len(loop)))
            for label, part in (("kernel", instrs), ("loop", loop)):
                counts, total = mix(part)
                if not total:
                    continue
                print("  %-6s " % label + "  ".join(
                    "%s %d (%.0f%%)" % (c, counts[c],
                                        100.0 * counts[c] / total)
                    for c in order if counts[c]))
    return status


if __name__ == "__main__":
    sys.exit(main())
