"""The Python API of ``attn.kv_append``: write new K/V rows into a page pool.

    import numpy as np
    import attn

    append = attn.kv_append(new=(2, 4, 1, 64), pool=(32, 16, 4, 64),
                            max_pages=8, layout="nhd")
    append(k_new, positions, page_table, k_pool)   # k_pool updated in place

Shapes are static. Every call checks its arguments in Python before the
compiled code runs (``ValueError`` / ``TypeError``): positions plus the new
rows within the table's capacity, the table entries of the slots written
inside the pool (the compiled code skips such rows instead, see
docs/semantics.md, "KV append"). The compiled function takes the pool as a
writable memref (``bufferization.materialize_in_destination``), so the pool
array is updated in place, without a copy.
"""

import numpy as np

from attn import runner

_DTYPES = ("f32", "f16", "bf16")
_LAYOUTS = {"nhd": "paged_nhd", "hnd": "paged_hnd"}


def _shape(name, shape, rank):
    shape = tuple(shape)
    if len(shape) != rank or not all(
            isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
        raise ValueError("%s shape must be %d non-negative sizes, got %r" %
                         (name, rank, shape))
    return tuple(int(d) for d in shape)


def _type(shape, elem):
    return "tensor<%s>" % "x".join([str(d) for d in shape] + [elem])


def _memref(shape, elem):
    return "memref<%s>" % "x".join([str(d) for d in shape] + [elem])


def kv_append(new, pool, max_pages, *, layout="nhd", dtype="f32",
              name="kv_append", compile=True):
    """Builds an ``attn.kv_append`` kernel.

    `new`: ``[B, Hkv, Lnew, D]``; `pool`: ``[pages, P, Hkv, D]`` (`layout`
    ``"nhd"``) or ``[pages, Hkv, P, D]`` (``"hnd"``); `max_pages`: the
    page table's width (the table is ``[B, max_pages]`` int32, positions
    ``[B]`` int32). `dtype`: f32, f16 or bf16 (raw uint16 bits).
    """
    if layout not in _LAYOUTS:
        raise ValueError("layout must be 'nhd' or 'hnd', got %r" % (layout,))
    if dtype not in _DTYPES:
        raise ValueError("dtype must be one of %s, got %r" % (_DTYPES, dtype))
    new = _shape("new", new, 4)
    pool = _shape("pool", pool, 4)
    if not isinstance(max_pages, (int, np.integer)) or max_pages < 0:
        raise ValueError("max_pages must be a non-negative int, got %r" %
                         (max_pages,))
    B, H, _, D = new
    heads, P = (pool[2], pool[1]) if layout == "nhd" else (pool[1], pool[2])
    if (heads, pool[3]) != (H, D):
        raise ValueError("pool %s (%s) does not hold rows of %d heads x %d "
                         "(new rows %s)" % (pool, layout, H, D, new))
    if P <= 0:
        raise ValueError("the pool's page size must be positive, got %d" % P)
    kern = AppendKernel(name, new, pool, int(max_pages), layout, dtype)
    if compile:
        kern.compile()
    return kern


class AppendKernel:
    """A compiled ``attn.kv_append``; call it on numpy arrays."""

    def __init__(self, name, new, pool, max_pages, layout, dtype):
        self.name, self.new, self.pool = name, new, pool
        self.max_pages, self.layout, self.dtype = max_pages, layout, dtype
        self.page_size = pool[1] if layout == "nhd" else pool[2]
        self.library = None
        self.cache_hit = None
        self._lib = None
        self.mlir = self._module()

    def _module(self):
        B = self.new[0]
        e = self.dtype
        args = [("new", self.new, e, ""), ("pos", (B,), "i32", ""),
                ("table", (B, self.max_pages), "i32", ""),
                ("pool", self.pool, e, " writable")]
        lines = ["func.func @%s(%s) attributes {llvm.emit_c_interface} {" % (
            self.name, ", ".join("%%%s_m: %s" % (n, _memref(s, t))
                                 for n, s, t, _ in args))]
        for n, s, t, w in args:
            lines.append("  %%%s = bufferization.to_tensor %%%s_m restrict%s "
                         ": %s to %s" % (n, n, w, _memref(s, t), _type(s, t)))
        pool_t = _type(self.pool, e)
        lines += [
            "  %%r = attn.kv_append ins(%%new : %s) positions(%%pos : %s) "
            "page_table(%%table : %s) outs(%%pool : %s) "
            "{kv_layout = #attn.kv_layout<%s>} -> %s" % (
                _type(self.new, e), _type((B,), "i32"),
                _type((B, self.max_pages), "i32"), pool_t,
                _LAYOUTS[self.layout], pool_t),
            "  bufferization.materialize_in_destination %%r in restrict "
            "writable %%pool_m : (%s, %s) -> ()" % (
                pool_t, _memref(self.pool, e)),
            "  return", "}", ""]
        return "\n".join(lines)

    def compile(self):
        """Compiles (or loads from the cache) the shared library."""
        if self._lib is None:
            import ctypes
            self.library, self.cache_hit = runner.compile_cached(
                self.mlir, "attn-cpu-pipeline", self.name + ".mlir")
            self._lib = ctypes.CDLL(self.library)
        return self

    def _check(self, new, positions, page_table, pool, strict=True):
        store = runner.STORAGE[self.dtype]
        B, _, L, _ = self.new
        checked = []
        for n, x, shape, want in (("new", new, self.new, store),
                                  ("positions", positions, (B,), np.int32),
                                  ("page_table", page_table,
                                   (B, self.max_pages), np.int32),
                                  ("pool", pool, self.pool, store)):
            if not isinstance(x, np.ndarray):
                if n == "pool":
                    raise TypeError("argument 'pool' must be a numpy array "
                                    "(it is updated in place)")
                x = np.asarray(x, dtype=want)
            if x.shape != tuple(shape):
                raise ValueError("argument %r: expected shape %s, got %s" %
                                 (n, tuple(shape), x.shape))
            if strict and x.dtype != want:
                raise TypeError("argument %r: expected %s, got %s" %
                                (n, np.dtype(want).name, x.dtype))
            if strict and not (x.flags["C_CONTIGUOUS"] and
                               x.flags["ALIGNED"]):
                raise ValueError("argument %r is not C-contiguous and "
                                 "aligned" % n)
            checked.append(x)
        if strict and not pool.flags["WRITEABLE"]:
            raise ValueError("argument 'pool' is not writeable")
        _, pos, table, _ = checked
        P, cap, pages = self.page_size, self.max_pages * self.page_size, \
            self.pool[0]
        for b in range(B):
            p = int(pos[b])
            if p < 0 or p + L > cap:
                raise ValueError(
                    "argument 'positions': sequence %d appends rows [%d, %d), "
                    "outside the table's capacity max_pages * page_size = %d"
                    % (b, p, p + L, cap))
            if L:
                row = table[b, p // P:(p + L - 1) // P + 1]
                if row.min() < 0 or row.max() >= pages:
                    raise ValueError("argument 'page_table': row %d names "
                                     "pages outside [0, %d): %s" %
                                     (b, pages, row))
        return checked

    def __call__(self, new, positions, page_table, pool):
        """Writes `new` into `pool` (in place) at `positions`; returns
        `pool`."""
        ins = self._check(new, positions, page_table, pool)
        self.compile()
        runner.call(self._lib, self.name, ins, [])
        return pool

    def reference(self, new, positions, page_table, pool):
        """The numpy semantics: a copy of `pool` with the rows written."""
        new, pos, table, pool = self._check(new, positions, page_table, pool,
                                            strict=False)
        out = np.array(pool, copy=True)
        P = self.page_size
        for b in range(self.new[0]):
            for i in range(self.new[2]):
                t = int(pos[b]) + i
                page, row = table[b, t // P], t % P
                if self.layout == "nhd":
                    out[page, row, :, :] = new[b, :, i, :]
                else:
                    out[page, :, row, :] = new[b, :, i, :]
        return out
