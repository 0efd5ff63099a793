"""A numpy emulator of the kernels of ``convert-attn-to-gpu``.

No GPU is needed: the pass output (generic MLIR form) is interpreted with
every SSA value held for all 128 threads of a block at once (lockstep
SIMT), and the warp-level operations are modelled from the PTX ISA:

* ``nvgpu.ldmatrix`` (x4, b16): lane ``8i + r`` gives the address of row
  ``r`` of matrix ``i``; lane ``l`` receives elements ``(l / 4, 2(l % 4) + j)``
  of each matrix, or ``(2(l % 4) + j, l / 4)`` with ``.trans``.
* ``nvvm.mma.sync`` m16n8k16 row.col with f32 accumulators: A registers
  ``a0..a3`` hold (row g, cols 2t..2t+1), (g + 8, 2t..), (g, 2t + 8..),
  (g + 8, 2t + 8..); B registers (k = 2t.., n = g), (k = 2t + 8.., n = g);
  C/D (g, 2t..), (g + 8, 2t..), with g = lane / 4, t = lane % 4.
* ``cp.async`` copies (zero-filled when the source size is 0) write at
  once, but their cells count as in flight until a ``cp.async.wait_group``
  retires their commit group: reading them earlier (ldmatrix, wgmma)
  raises ``EmulationError``; ``gpu.shuffle xor`` and ``idx`` exchange
  within a warp; the inline ``ex2``/``lg2`` are exact exp2/log2, or, with
  ``ex2_rel_err``, ``ex2`` results are perturbed by a random relative
  error up to that bound (to measure the effect of ``ex2.approx`` on the
  output).
* Global buffers are numpy arrays; ``memref.load``/``memref.store`` index
  them (and shared views) per thread (the general SIMT kernel stages K/V
  tiles with them).
* Hopper ``wgmma.mma_async`` (``nvvm.wgmma.mma_async`` with two matrix
  descriptors, and the register-A form as inline PTX), modelled from the
  PTX ISA section "Asynchronous Warpgroup Level Matrix Multiply-Accumulate"
  (see ``wgmma_operand``): the 64-bit matrix descriptor (start address,
  leading / stride dimension byte offsets, base offset, swizzle mode), the
  canonical K-major and MN-major layouts of 16-bit elements (T = 8
  elements per 16 bytes) with no swizzle or a 32/64/128-byte swizzle
  applied to the byte address (Swizzle<b,4,3>: address bits [4, 4 + b)
  XOR bits [7, 7 + b)), imm-trans-a/b, scale-d, the register fragment of A
  and the accumulator fragment of D (per warp w of the warpgroup, rows
  16w + lane/4 (+ 8); D register i is column 8(i/4) + 2(lane%4) + i%2 and
  row + 8 when i%4 >= 2; A registers as mma.m16n8k16's).

Shared memory is one byte-addressed array (16-bit cells) starting at the
address ``smem_base``, which ``memref.extract_aligned_pointer_as_index``
returns and need not be 1024-byte aligned, so the kernel's own alignment
of the swizzled tiles is exercised. The asynchronous rules of wgmma are
checked, not just its arithmetic: a wgmma that reads shared memory written
by cp.async with no ``fence.proxy.async`` in between, a wgmma batch with no
``wgmma.fence`` before it, or a read of a wgmma result before a
``wgmma.wait_group`` retired it raises ``EmulationError``.

Divergent ``scf.if`` runs both branches under thread masks. The emulator
checks the kernel's index arithmetic, fragment plumbing, buffer choice,
masking and online softmax against a reference, and the order of
asynchronous copies, fences and waits against the reads; it says nothing
about timing or bank conflicts.
"""

import re

import numpy as np

T = 128  # threads per block
SMEM_BYTES = 232448  # shared memory per block (227 KiB)


class EmulationError(Exception):
    """The kernel breaks a rule the hardware relies on (wgmma ordering)."""

_OP = re.compile(r'^\s*(?:(%[\w]+)(?::(\d+))? = )?"([\w.]+)"\((.*?)\)(.*)$')


class Op:
    __slots__ = ("name", "results", "operands", "rest", "regions")

    def __init__(self, name, results, operands, rest):
        self.name, self.results, self.operands = name, results, operands
        self.rest, self.regions = rest, []


class Block:
    def __init__(self, args):
        self.args, self.ops = args, []


def parse(text):
    """Parses generic-form MLIR into nested Op/Block objects; returns the
    top-level ops."""
    root = Block([])
    stack = [(None, root)]  # (op owning the region, current block)
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("//"):
            continue
        if s.startswith("^bb"):
            args = re.findall(r"(%[\w]+):", s)
            op, blk = stack[-1]
            if blk.ops or blk.args:
                blk = Block(args)
                op.regions[-1].append(blk)
                stack[-1] = (op, blk)
            else:
                blk.args = args
            continue
        if s.startswith("}, {"):
            op, _ = stack[-1]
            blk = Block([])
            op.regions.append([blk])
            stack[-1] = (op, blk)
            continue
        if s.startswith("})"):
            op, _ = stack.pop()
            op.rest += s[2:]
            continue
        m = _OP.match(s)
        if not m:
            raise ValueError("cannot parse: " + s[:120])
        res, n, name, operands, rest = m.groups()
        results = []
        if res:
            results = [res] if n is None else [
                "%s#%d" % (res, i) for i in range(int(n))]
        ops = [o.strip() for o in operands.split(",") if o.strip()]
        op = Op(name, results, ops, rest)
        stack[-1][1].ops.append(op)
        if rest.rstrip().endswith("({"):
            blk = Block([])
            op.regions.append([blk])
            stack.append((op, blk))
    return root.ops


def _attr_int(op, key):
    return int(re.search(key + r" = (-?\d+)", op.rest).group(1))


def _result_type(op):
    return op.rest.rsplit("->", 1)[1].strip()


def _shape(ty):
    m = re.match(r"(?:memref|vector)<([\dx]+)x(\w+)", ty)
    return tuple(int(d) for d in m.group(1).split("x")), m.group(2)


def _check_bounds(mem, idx, what, width=1):
    """Raises EmulationError unless every index tuple (one array per dim,
    the last spanning `width` elements) lies in `mem` (an ndarray); numpy
    would wrap negative indices silently."""
    if not isinstance(mem, np.ndarray):
        return
    for d, (x, n) in enumerate(zip(idx, mem.shape)):
        x = np.asarray(x, np.int64)
        hi = n - (width if d == len(idx) - 1 else 1)
        if x.size and (x.min() < 0 or x.max() > hi):
            raise EmulationError(
                "%s out of bounds: index %d..%d in dim %d of %s" %
                (what, x.min(), x.max(), d, mem.shape))


def round_to(x, elem):
    x = np.asarray(x, np.float64)
    if elem == "f16":
        return x.astype(np.float16).astype(np.float64)
    if elem == "bf16":
        f = x.astype(np.float32)
        u = f.view(np.uint32).astype(np.uint64)
        u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
        return u.astype(np.uint32).view(np.float32).astype(np.float64)
    return x.astype(np.float32).astype(np.float64)


def attention_buffers(rng, elem, B, Hq, Hkv, Lq, Lkv, Dqk, Dv, lse):
    """The kernel arguments [q, k, v, o(, lse)] of one attention: standard
    normal Q, K, V drawn from `rng` in that order and rounded to `elem`, and
    NaN-filled outputs (so that an unwritten element shows)."""
    q = round_to(rng.standard_normal((B, Hq, Lq, Dqk)), elem)
    k = round_to(rng.standard_normal((B, Hkv, Lkv, Dqk)), elem)
    v = round_to(rng.standard_normal((B, Hkv, Lkv, Dv)), elem)
    args = [q, k, v, np.full((B, Hq, Lq, Dv), np.nan)]
    if lse:
        args.append(np.full((B, Hq, Lq), np.nan))
    return args


def add_head_features(rng, feat, Hq, args, kw):
    """Appends the per-head operands a case's features ask for to the kernel
    arguments `args` and their reference keywords to `kw`: random sink
    logits (the first head's -inf) and the ALiBi slopes 2^(-8 (h + 1) / Hq),
    rounded to f32, as a score_mod."""
    if feat.get("sinks"):
        sinks = rng.standard_normal(Hq) * 2.0
        sinks[0] = -np.inf
        args.append(sinks)
        kw["sinks"] = sinks
    if feat.get("alibi"):
        slopes = round_to(2.0 ** (-8.0 * np.arange(1, Hq + 1) / Hq), "f32")
        args.append(slopes)
        kw["score_mod"] = lambda s, b, h, i, j: s + slopes[h] * (j - i)


def add_scalar_features(feat, kw):
    """Copies the softcap, normalizer and sigmoid_bias of a case's features
    into the reference keywords `kw`."""
    for key in ("softcap", "normalizer", "sigmoid_bias"):
        if key in feat:
            kw[key] = feat[key]


class Emulator:
    """Runs one gpu.func over a grid on numpy global buffers."""

    def __init__(self, func, smem_base=0x230, smem_noise=False,
                 ex2_rel_err=0.0, seed=0):
        """`smem_base`: the shared address of dynamic shared memory;
        `smem_noise`: shared memory starts as random numbers instead of
        NaN and reads are not checked against in-flight or unfenced
        copies, so a wrong layout shows only in the results;
        `ex2_rel_err`: bound of a random relative error on every ex2."""
        self.func = func
        self.smem_noise = smem_noise
        # cp.async instructions executed (one per active thread), so tests
        # can check which tiles a kernel copies.
        self.async_copies = 0
        self.ex2_rel_err = ex2_rel_err
        self.rng = np.random.default_rng(seed)
        self.lane = np.arange(T) % 32
        self.warp_base = np.arange(T) - self.lane
        self.smem_base = smem_base

    def run(self, grid, args):
        blk = self.func.regions[0][0]
        self.grid = tuple(grid)
        for z in range(grid[2]):
            for y in range(grid[1]):
                for x in range(grid[0]):
                    env = dict(zip(blk.args, args))
                    self.block_id = (x, y, z)
                    # 16-bit cells; NaN shows reads of unwritten memory.
                    self.smem = np.full(SMEM_BYTES // 2, np.nan)
                    if self.smem_noise:
                        self.smem[:] = np.random.default_rng(
                            x + 7 * y + 31 * z).standard_normal(self.smem.size)
                    # Cells a cp.async still writes (its group not yet
                    # retired by a wait) and cells it wrote through the
                    # generic proxy with no fence.proxy.async since.
                    # 32-bit views (the general kernel's f32 tiles).
                    self.smem32 = {}
                    self.inflight = np.zeros(SMEM_BYTES // 2, bool)
                    self.unfenced = np.zeros(SMEM_BYTES // 2, bool)
                    self.cp_uncommitted, self.cp_groups = [], []
                    self.wg_fenced = False
                    # Results of wgmma not yet retired by a wait_group:
                    # id -> (group number, value); group `wg_group` is the
                    # uncommitted one.
                    self.pending, self.wg_group, self.committed = {}, 0, []
                    self.exec_block(blk, env, np.ones(T, bool))

    def exec_block(self, blk, env, mask):
        for op in blk.ops:
            if op.name == "scf.yield":
                return [env[o] for o in op.operands]
            out = self.exec_op(op, env, mask)
            if out is None:
                continue
            if not isinstance(out, list):
                out = [out]
            for name, val in zip(op.results, out):
                env[name] = val
        return []

    def exec_op(self, op, env, mask):
        name = op.name
        a = [env[o] for o in op.operands]
        if self.pending and name not in (
                "llvm.extractvalue", "nvvm.wgmma.mma_async") and not (
                name == "llvm.inline_asm" and "wgmma.mma_async" in op.rest):
            # Only wgmma accumulator chains may use in-flight results.
            if any(id(x) in self.pending for x in a):
                raise EmulationError("wgmma result read before "
                                     "wgmma.wait_group retired it")
        if name == "arith.constant":
            m = re.search(r"value = (true|false)\b", op.rest) or re.search(
                r"value = ([^:]+) : (\w+)", op.rest)
            v = m.group(1).strip()
            ty = m.group(2) if m.lastindex > 1 else "i1"
            if v in ("true", "false"):
                return np.full(T, v == "true")
            if ty in ("index", "i32", "i64", "i1"):
                return np.full(T, int(v), np.int64)
            return np.full(T, float(v.replace("0xFF800000", "-inf")))
        simple = {
            "arith.addi": np.add, "arith.subi": np.subtract,
            "arith.muli": np.multiply, "arith.divui": np.floor_divide,
            "arith.remui": np.remainder, "arith.minsi": np.minimum,
            "arith.maxsi": np.maximum,
            "arith.shli": np.left_shift, "arith.shrui": np.right_shift,
            "arith.addf": np.add, "arith.subf": np.subtract,
            "arith.mulf": np.multiply, "arith.maximumf": np.maximum,
        }
        if name in simple:
            with np.errstate(invalid="ignore"):
                return simple[name](a[0], a[1])
        if name == "arith.divf":
            with np.errstate(divide="ignore", invalid="ignore"):
                return a[0] / a[1]
        if name == "arith.divsi":
            return np.sign(a[0]) * np.sign(a[1]) * (np.abs(a[0]) //
                                                    np.abs(a[1]))
        if name == "arith.floordivsi":
            return a[0] // a[1]
        if name == "arith.remsi":
            return np.fmod(a[0], a[1])
        if name == "arith.andi":
            if a[0].dtype == bool and a[1].dtype == bool:
                return np.logical_and(a[0], a[1])
            return np.bitwise_and(a[0].astype(np.int64),
                                  a[1].astype(np.int64))
        if name == "nvvm.barrier":
            # A reducing barrier (bar.red.{or,and,popc}) of the whole block;
            # the predicate is an i32 (non-zero = true).
            kind = re.search(r"#nvvm.reduction<(\w+)>", op.rest).group(1)
            pred = a[-1] != 0
            val = {"or": pred.any(), "and": pred.all(),
                   "popc": pred.sum()}[kind]
            return np.full(T, int(val), np.int64)
        if name in ("arith.ori", "arith.xori"):
            return (np.bitwise_or if name == "arith.ori" else
                    np.bitwise_xor)(a[0], a[1])
        if name == "arith.ceildivsi":
            return -((-a[0]) // a[1])
        if name == "arith.cmpi":
            p = _attr_int(op, "predicate")
            f = {0: np.equal, 1: np.not_equal, 2: np.less, 3: np.less_equal,
                 4: np.greater, 5: np.greater_equal, 6: np.less,
                 7: np.less_equal, 8: np.greater, 9: np.greater_equal}[p]
            return f(a[0], a[1])
        if name == "arith.cmpf":
            # Ordered predicates (false for NaN operands, as numpy's).
            p = _attr_int(op, "predicate")
            f = {1: np.equal, 2: np.greater, 3: np.greater_equal,
                 4: np.less, 5: np.less_equal}.get(p)
            assert f, "cmpf predicate %d is not modelled" % p
            return f(a[0], a[1])
        if name == "arith.select":
            c = a[0].reshape(a[0].shape + (1,) * (a[1].ndim - a[0].ndim))
            return np.where(c, a[1], a[2])
        if name in ("arith.index_cast", "arith.extsi", "arith.extui",
                    "arith.trunci"):
            return a[0].astype(np.int64)
        if name in ("arith.sitofp", "arith.uitofp"):
            return round_to(a[0].astype(np.float64), "f32")
        if name == "arith.extf":
            return a[0]
        if name == "arith.negf":
            return -a[0]
        if name == "memref.load":
            # Global buffers (segment ids, sinks, captured tensors); the
            # kernel clamps every index into bounds, masked threads too.
            mem, idx = a[0], a[1:]
            _check_bounds(mem, idx, "memref.load")
            return mem[tuple(np.asarray(x, np.int64) for x in idx)]
        if name == "arith.truncf":
            ty = _result_type(op)
            elem = _shape(ty)[1] if ty.startswith("vector") else ty
            return round_to(a[0], elem)
        if name == "gpu.thread_id":
            return np.arange(T, dtype=np.int64)
        if name == "gpu.block_id":
            d = "xyz".index(re.search(r"dim (\w)", op.rest).group(1))
            return np.full(T, self.block_id[d], np.int64)
        if name == "gpu.grid_dim":
            d = "xyz".index(re.search(r"dim (\w)", op.rest).group(1))
            return np.full(T, self.grid[d], np.int64)
        if name == "memref.reinterpret_cast":
            # A flat handle (memref<1 x elt>, the dynamic-length ABI of the
            # kernels) given its row-major shape: the emulator
            # passes the full array, reshaped as a view.
            seg = [int(x) for x in re.search(
                r"operandSegmentSizes = array<i32: ([\d, ]+)>",
                op.rest).group(1).split(",")]
            dyn = iter(a[1 + seg[1]:1 + seg[1] + seg[2]])
            sizes = [int(next(dyn)[0]) if int(n) < 0 else int(n)
                     for n in re.search(r"static_sizes = array<i64: ([-\d, ]+)>",
                                        op.rest).group(1).split(",")]
            assert re.search(r"static_offsets = array<i64: 0>", op.rest)
            dyn = iter(a[1 + seg[1] + seg[2]:])
            strides = [int(next(dyn)[0]) if int(n) < 0 else int(n)
                       for n in re.search(
                           r"static_strides = array<i64: ([-\d, ]+)>",
                           op.rest).group(1).split(",")]
            expect = [int(np.prod(sizes[i + 1:])) for i in range(len(sizes))]
            if strides != expect:
                raise ValueError("reinterpret_cast strides %s of sizes %s "
                                 "are not row-major" % (strides, sizes))
            if a[0].size != int(np.prod(sizes)):
                raise EmulationError(
                    "reinterpret_cast to sizes %s of a buffer of %d elements"
                    % (sizes, a[0].size))
            view = a[0].reshape(sizes)
            assert view.size == 0 or np.shares_memory(view, a[0])
            return view
        if name == "gpu.dynamic_shared_memory":
            return "smem"
        if name == "memref.extract_aligned_pointer_as_index":
            assert a[0] == "smem"
            return np.full(T, self.smem_base, np.int64)
        if name == "memref.view":
            assert np.all(a[1] == a[1][0]), "divergent view offset"
            off = int(a[1][0])
            shape, elem = _shape(_result_type(op))
            if elem == "f32":
                # Only the general kernel's f32 K/V tiles, read and written
                # with memref.load/store (no cp.async, ldmatrix or wgmma):
                # their own arrays, NaN until written.
                key = (off, tuple(shape))
                if key not in self.smem32:
                    assert off + 4 * int(np.prod(shape)) <= SMEM_BYTES
                    self.smem32[key] = np.full(shape, np.nan)
                return self.smem32[key]
            assert elem in ("f16", "bf16") and off % 2 == 0
            n = int(np.prod(shape))
            assert off + 2 * n <= SMEM_BYTES, "view past shared memory"
            return self.smem[off // 2:off // 2 + n].reshape(shape)
        if name in ("gpu.barrier", "gpu.return"):
            return None
        if name == "nvgpu.device_async_create_group":
            self.cp_groups.append(self.cp_uncommitted)
            self.cp_uncommitted = []
            return "token"
        if name == "nvgpu.device_async_wait":
            # Retires all but the newest numGroups committed groups.
            keep = _attr_int(op, "numGroups")
            while len(self.cp_groups) > keep:
                for start, n in self.cp_groups.pop(0):
                    self.inflight[start:start + n] = False
                    self.unfenced[start:start + n] = True
            return None
        if name == "nvgpu.device_async_copy":
            seg = [int(x) for x in re.search(
                r"operandSegmentSizes = array<i32: ([\d, ]+)>",
                op.rest).group(1).split(",")]
            dst, rest = a[0], a[1:]
            di, rest = rest[:seg[1]], rest[seg[1]:]
            src, rest = rest[0], rest[1:]
            si, rest = rest[:seg[3]], rest[seg[3]:]
            n = _attr_int(op, "dstElements")
            src_elems = rest[0] if seg[4] else np.full(T, n)
            self.async_copies += int(np.count_nonzero(mask))
            for t in np.nonzero(mask)[0]:
                s_idx = tuple(int(i[t]) for i in si)
                d_idx = tuple(int(i[t]) for i in di)
                chunk = np.zeros(n)
                if src_elems[t] == n:
                    _check_bounds(src, s_idx, "cp.async source", n)
                    chunk = src[s_idx[:-1]][s_idx[-1]:s_idx[-1] + n]
                else:
                    assert src_elems[t] == 0
                cells = dst[d_idx[:-1]][d_idx[-1]:d_idx[-1] + n]
                cells[:] = chunk
                start = self.cell(cells)
                self.inflight[start:start + n] = True
                self.cp_uncommitted.append((start, n))
            return "token"
        if name == "nvgpu.ldmatrix":
            mem, idx = a[0], a[1:]
            assert _attr_int(op, "numTiles") == 4
            trans = "transpose = true" in op.rest
            rows = [mem[tuple(int(i[t]) for i in idx[:-1])]
                    [int(idx[-1][t]):int(idx[-1][t]) + 8] for t in range(T)]
            for r in rows:
                if not self.smem_noise and \
                        self.inflight[self.cell(r):self.cell(r) + 8].any():
                    raise EmulationError("ldmatrix reads shared memory "
                                         "before its cp.async completed")
            rows = np.stack(rows)  # [T, 8]
            out = np.zeros((T, 4, 2))
            g, tq = self.lane // 4, self.lane % 4
            for i in range(4):
                for j in range(2):
                    if trans:
                        src = self.warp_base + 8 * i + 2 * tq + j
                        out[:, i, j] = rows[src, g]
                    else:
                        src = self.warp_base + 8 * i + g
                        out[:, i, j] = rows[src, 2 * tq + j]
            return out
        if name == "vector.extract":
            pos = [int(p) for p in re.search(
                r"static_position = array<i64: ([\d, ]+)>",
                op.rest).group(1).split(",")]
            v = a[0]
            for p in pos:
                v = v[:, p]
            return v
        if name == "vector.bitcast":
            # vector<2 x 16-bit> -> vector<1xi32>: keep the pair as one
            # "register".
            return a[0].reshape(T, 1, 2)
        if name == "vector.from_elements":
            return np.stack(a, axis=1)
        if name == "nvvm.mma.sync":
            return self.mma(a)
        if name == "llvm.extractvalue":
            p = int(re.search(r"position = array<i64: (\d+)>",
                              op.rest).group(1))
            val = a[0][:, p]
            if id(a[0]) in self.pending:
                self.pending[id(val)] = (self.pending[id(a[0])][0], val)
            return val
        if name == "llvm.mlir.poison":
            n = _result_type(op).count("f32")
            return np.full((T, n), np.nan)
        if name == "nvvm.fence.proxy":
            assert "async.shared" in op.rest
            self.unfenced[:] = False
            return None
        if name == "nvvm.wgmma.fence.aligned":
            self.wg_fenced = True
            return None
        if name == "nvvm.wgmma.commit.group.sync.aligned":
            self.committed.append(self.wg_group)
            self.wg_group += 1
            return None
        if name == "nvvm.wgmma.wait.group.sync.aligned":
            n = _attr_int(op, "group")
            self.committed = self.committed[len(self.committed) - n:] \
                if n else []
            live = set(self.committed) | {self.wg_group}
            self.pending = {k: v for k, v in self.pending.items()
                            if v[0] in live}
            self.wg_fenced = False
            return None
        if name == "nvvm.wgmma.mma_async":
            attr = lambda k: re.search(k + r" = #nvvm\.[\w]+<([\w, =]+)>",
                                       op.rest).group(1)
            m, n, k = (int(x) for x in re.findall(r"\d+", attr("shape")))
            assert attr("typeD") == "f32" and attr("typeA") in ("f16", "bf16")
            assert attr("scaleA") == "one" and attr("scaleB") == "one"
            # row-major A / column-major B are the K-major layouts
            # (imm-trans = 0).
            return self.wgmma(m, n, k, a[0], a[1], None, a[2],
                              attr("layoutA") == "col",
                              attr("layoutB") == "row",
                              attr("scaleD") == "one")
        if name == "llvm.inline_asm":
            s = re.search(r'asm_string = "([^"]+)"', op.rest).group(1)
            with np.errstate(divide="ignore"):
                if s.startswith("ex2"):
                    r = np.exp2(a[0])
                    if self.ex2_rel_err:
                        r = r * (1.0 + self.ex2_rel_err * self.rng.uniform(
                            -1.0, 1.0, r.shape))
                    return r
                if s.startswith("lg2"):
                    return np.log2(a[0])
                if s.startswith("rcp"):
                    return 1.0 / a[0]
                if s.startswith("sqrt"):
                    return np.sqrt(a[0])
                if s.startswith("rsqrt"):
                    return 1.0 / np.sqrt(a[0])
            if s.startswith("wgmma.mma_async"):
                return self.wgmma_asm(op, s, a)
            raise NotImplementedError(s)
        if name == "gpu.shuffle":
            assert np.all(a[2] == 32)
            if "shuffle_mode xor" in op.rest:
                src = self.warp_base + (self.lane ^ a[1])
            else:
                assert "shuffle_mode idx" in op.rest, op.rest
                assert np.all((a[1] >= 0) & (a[1] < 32))
                src = self.warp_base + a[1]
            return [a[0][src], np.ones(T, bool)]
        if name == "vector.store":
            val, mem, idx = a[0], a[1], a[2:]
            for t in np.nonzero(mask)[0]:
                i = tuple(int(x[t]) for x in idx)
                _check_bounds(mem, i, "vector.store", val.shape[1])
                mem[i[:-1]][i[-1]:i[-1] + val.shape[1]] = val[t]
            return None
        if name == "memref.store":
            val, mem, idx = a[0], a[1], a[2:]
            idx = tuple(np.asarray(x, np.int64)[mask] for x in idx)
            _check_bounds(mem, idx, "memref.store")
            mem[idx] = val[mask]
            return None
        if name == "scf.if":
            cond = a[0].astype(bool)
            then_m, else_m = mask & cond, mask & ~cond
            res_t = res_e = []
            if then_m.any() or not op.regions[1:]:
                res_t = self.exec_block(op.regions[0][0], env, then_m)
            if len(op.regions) > 1 and op.regions[1][0].ops and else_m.any():
                res_e = self.exec_block(op.regions[1][0], env, else_m)
            if not op.results:
                return None
            if not res_e:
                return res_t
            if not res_t:
                return res_e
            return [np.where(cond.reshape((T,) + (1,) * (x.ndim - 1)), x, y)
                    for x, y in zip(res_t, res_e)]
        if name == "scf.for":
            lo, hi, step = (int(a[i][0]) for i in range(3))
            assert all(np.all(a[i] == a[i][0]) for i in range(3)), \
                "divergent loop bounds"
            carried = a[3:]
            body = op.regions[0][0]
            for it in range(lo, hi, step):
                benv = dict(env)
                benv[body.args[0]] = np.full(T, it, np.int64)
                for n, v in zip(body.args[1:], carried):
                    benv[n] = v
                carried = self.exec_block(body, benv, mask)
            return carried
        raise NotImplementedError(name)

    def mma(self, a):
        """D = A.B + C for each warp, m16n8k16, from per-lane registers."""
        A_regs, B_regs, C = a[0:4], a[4:6], a[6:10]
        pair = lambda r: r.reshape(T, 2)
        g, t = self.lane // 4, self.lane % 4
        out = [np.zeros(T) for _ in range(4)]
        for w in range(T // 32):
            sl = slice(32 * w, 32 * w + 32)
            Am, Bm, Cm = np.zeros((16, 16)), np.zeros((16, 8)), np.zeros(
                (16, 8))
            for r, (dr, dc) in enumerate([(0, 0), (8, 0), (0, 8), (8, 8)]):
                v = pair(A_regs[r])[sl]
                for j in range(2):
                    Am[g[sl] + dr, 2 * t[sl] + j + dc] = v[:, j]
            for r, dk in enumerate([0, 8]):
                v = pair(B_regs[r])[sl]
                for j in range(2):
                    Bm[2 * t[sl] + j + dk, g[sl]] = v[:, j]
            for r, (dr, j) in enumerate([(0, 0), (0, 1), (8, 0), (8, 1)]):
                Cm[g[sl] + dr, 2 * t[sl] + j] = C[r][sl]
            D = Am @ Bm + Cm
            for r, (dr, j) in enumerate([(0, 0), (0, 1), (8, 0), (8, 1)]):
                out[r][sl] = D[g[sl] + dr, 2 * t[sl] + j]
        return [np.stack(out, axis=1)]

    def cell(self, view):
        """Index in `smem` of the first element of a view into it."""
        return (view.__array_interface__["data"][0] -
                self.smem.__array_interface__["data"][0]) // \
            self.smem.itemsize

    # -- wgmma ---------------------------------------------------------------

    def wgmma_asm(self, op, s, a):
        """The register-A form written as inline PTX:
        wgmma.mma_async.sync.aligned.m64nNk16.f32.T.T d, a, b-desc, scale-d,
        imm-scale-a, imm-scale-b, imm-trans-b."""
        m = re.match(r"wgmma\.mma_async\.sync\.aligned\.m(\d+)n(\d+)k(\d+)"
                     r"\.f32\.(b?f16)\.(b?f16) \{([^}]*)\}, \{([^}]*)\}, "
                     r"\$(\d+), (\d), (-?\d), (-?\d), (\d);$", s)
        assert m, "unsupported wgmma form: " + s
        M, N, K = (int(m.group(i)) for i in (1, 2, 3))
        dregs = [int(x.strip()[1:]) for x in m.group(6).split(",")]
        aregs = [int(x.strip()[1:]) for x in m.group(7).split(",")]
        desc_b = int(m.group(8))
        scale_d, scale_a, scale_b, trans_b = (int(m.group(i))
                                              for i in (9, 10, 11, 12))
        assert scale_a == 1 and scale_b == 1
        cons = re.search(r'constraints = "([^"]*)"', op.rest).group(1)
        cons = cons.split(",")
        n_out = sum(c.startswith("=") for c in cons)
        assert dregs == list(range(n_out)) and len(dregs) == N // 2
        # $i for i >= n_out is operand i - n_out; tied inputs give C.
        operand = lambda i: a[i - n_out]
        acc = np.zeros((T, n_out))
        for j, c in enumerate(cons[n_out:]):
            if c.isdigit():
                acc[:, int(c)] = a[j]
        regs = [operand(i) for i in aregs]
        return [self.wgmma(M, N, K, acc, regs, None, operand(desc_b),
                           False, trans_b == 1, scale_d == 1, a_in_regs=True)]

    def wgmma(self, M, N, K, acc, a_op, unused, desc_b, trans_a, trans_b,
              accumulate, a_in_regs=False):
        """D = A.B (+ D) for the warpgroup of 128 threads, m64nNk16."""
        assert M == 64 and K == 16 and N % 8 == 0
        if not self.wg_fenced:
            raise EmulationError("wgmma.mma_async without a wgmma.fence "
                                 "before it")
        for x in (desc_b,) + (() if a_in_regs else (a_op,)):
            assert np.all(x == x[0]), "descriptor differs across threads"
        g, t = self.lane // 4, self.lane % 4
        row0 = 16 * (np.arange(T) // 32) + g
        if a_in_regs:
            A = np.full((64, 16), np.nan)
            for r, (dr, dc) in enumerate([(0, 0), (8, 0), (0, 8), (8, 8)]):
                v = np.asarray(a_op[r]).reshape(T, 2)
                for j in range(2):
                    A[row0 + dr, 2 * t + j + dc] = v[:, j]
        else:
            A = self.wgmma_operand(int(a_op[0]), 64, 16, trans_a)
        # B is K x N: element (k, n) is (n, k) of the N x K operand.
        B = self.wgmma_operand(int(desc_b[0]), N, 16, trans_b).T
        if np.isnan(A).any() or np.isnan(B).any():
            raise EmulationError("wgmma read unwritten shared memory or "
                                 "registers")
        Dm = A @ B
        if accumulate:
            C = np.zeros((64, N))
            for i in range(N // 2):
                C[row0 + 8 * ((i % 4) // 2), 8 * (i // 4) + 2 * t + i % 2] = \
                    acc[:, i]
            Dm = Dm + C
        out = np.zeros((T, N // 2))
        for i in range(N // 2):
            out[:, i] = Dm[row0 + 8 * ((i % 4) // 2),
                           8 * (i // 4) + 2 * t + i % 2]
        self.pending[id(out)] = (self.wg_group, out)
        return out

    def wgmma_operand(self, desc, mn, k, mn_major):
        """The mn x k matrix (A: M x K, B: N x K) of 16-bit elements that the
        matrix descriptor `desc` describes, read from shared memory."""
        desc &= (1 << 64) - 1
        start = (desc & 0x3FFF) << 4
        lbo = ((desc >> 16) & 0x3FFF) << 4
        sbo = ((desc >> 32) & 0x3FFF) << 4
        base_offset = (desc >> 49) & 0x7
        mode = (desc >> 62) & 0x3
        if base_offset:
            raise NotImplementedError("matrix base offset")
        # Swizzle width in 16-byte units (1: none / interleaved).
        width = {0: 1, 1: 8, 2: 4, 3: 2}[mode]
        T8 = 8  # 16-bit elements per 16 bytes
        i = np.arange(mn)[:, None]
        j = np.arange(k)[None, :]
        if not mn_major:
            # ((8, m), (T, 2k)) : ((width T, SBO), (1, LBO or T)).
            if mode == 0:
                elem = (i % 8) * T8 + (j % 8) + (j // 8) * (lbo // 2)
            else:
                elem = (i % 8) * width * T8 + j
            elem = elem + (i // 8) * (sbo // 2)
        else:
            # Interleaved ((T, 1, m), (8, k)) : ((1, T, SBO), (1T, LBO));
            # swizzled ((T, width, m), (8, k)) : ((1, T, LBO), (width T, SBO)).
            if mode == 0:
                elem = (i % 8) + (i // 8) * (sbo // 2) + (j % 8) * T8 + \
                    (j // 8) * (lbo // 2)
            else:
                span = width * T8
                elem = (i % span) + (i // span) * (lbo // 2) + \
                    (j % 8) * span + (j // 8) * (sbo // 2)
        addr = start + 2 * elem
        if mode:
            bits = {8: 3, 4: 2, 2: 1}[width]
            addr = addr ^ (((addr >> 7) & ((1 << bits) - 1)) << 4)
        cell = (addr - self.smem_base) // 2
        if cell.min() < 0 or cell.max() >= self.smem.size:
            raise EmulationError("wgmma operand outside shared memory")
        if self.smem_noise:
            return self.smem[cell]
        if self.inflight[cell].any():
            raise EmulationError("wgmma reads shared memory before its "
                                 "cp.async completed")
        if self.unfenced[cell].any():
            raise EmulationError("wgmma reads shared memory written by "
                                 "cp.async with no fence.proxy.async since")
        return self.smem[cell]


def kernels(text):
    """{name: gpu.func Op} of the gpu.module in a generic-form module."""
    found = {}

    def walk(ops):
        for op in ops:
            if op.name == "gpu.func":
                found[re.search(r'sym_name = "(\w+)"', op.rest).group(1)] = op
            for region in op.regions:
                for blk in region:
                    walk(blk.ops)
    walk(parse(text))
    return found
