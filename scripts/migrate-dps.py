#!/usr/bin/env python3
"""Rewrites `attn.attention` ops written before destination-passing style
into the DPS form: adds `outs(...)` with `tensor.empty` inits built just
before the op's statement. Usage: migrate-dps.py FILE... (in place). Lines
that are comments (CHECK lines) are left alone."""
import re
import sys

OPEN = {'(': ')', '[': ']', '{': '}', '<': '>'}


def skip_ws(s, i):
    while i < len(s) and s[i] in ' \t\n':
        i += 1
    return i


def read_type(s, i):
    """Reads one type starting at i; returns (text, end)."""
    j = i
    depth = 0
    while j < len(s):
        c = s[j]
        if c in '<([':
            depth += 1
        elif c in '>)]':
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (c in ' ,\n{' ):
            break
        j += 1
    return s[i:j], j


def split_top(s):
    out, depth, cur = [], 0, ''
    for c in s:
        if c in '<([{':
            depth += 1
        elif c in '>)]}':
            depth -= 1
        if c == ',' and depth == 0:
            out.append(cur.strip())
            cur = ''
        else:
            cur += c
    if cur.strip():
        out.append(cur.strip())
    return out


def shape_of(t):
    m = re.match(r'tensor<(.*)>$', t.strip())
    dims = m.group(1).split('x')[:-1]
    return dims


counter = [0]


def migrate(text):
    out = []
    pos = 0
    pat = re.compile(r'attn\.attention\s+ins\(')
    while True:
        m = pat.search(text, pos)
        if not m:
            out.append(text[pos:])
            break
        line_start = text.rfind('\n', 0, m.start()) + 1
        line = text[line_start:m.start()]
        if line.lstrip().startswith('//') or line.lstrip().startswith('#'):
            out.append(text[pos:m.end()])
            pos = m.end()
            continue
        # ins( ... )
        i = m.end()
        depth = 1
        j = i
        while depth:
            if text[j] in '([{':
                depth += 1
            elif text[j] in ')]}':
                depth -= 1
            j += 1
        ins_text = text[i:j - 1]
        names_part, types_part = ins_text.split(':', 1)
        names = [n.strip() for n in names_part.split(',')]
        types = split_top(types_part)
        # find attr-dict '{' or '->' at depth 0
        k = j
        depth = 0
        brace = None
        while True:
            c = text[k]
            if depth == 0 and text.startswith('->', k):
                arrow = k
                break
            if c == '{' and depth == 0 and brace is None:
                brace = k
            if c in '([{':
                depth += 1
            elif c in ')]}':
                depth -= 1
            k += 1
        # result types
        r = skip_ws(text, arrow + 2)
        rtypes = []
        while True:
            t, r2 = read_type(text, r)
            rtypes.append(t)
            r3 = skip_ws(text, r2)
            if r3 < len(text) and text[r3] == ',':
                r = skip_ws(text, r3 + 1)
                continue
            break
        if 'outs(' in text[j:arrow]:
            out.append(text[pos:m.end()])
            pos = m.end()
            continue
        counter[0] += 1
        n = counter[0]
        indent = re.match(r'\s*', line).group(0)
        defs = []
        init_names = []
        consts = {}
        for ri, rt in enumerate(rtypes):
            dyn = []
            for di, d in enumerate(shape_of(rt)):
                if d == '?':
                    src = (names[2], types[2]) if di == 3 else (names[0], types[0])
                    if di not in consts:
                        cn = f'%mc{n}_{di}'
                        defs.append(f'{indent}{cn} = arith.constant {di} : index')
                        consts[di] = cn
                    dn = f'%md{n}_{ri}_{di}'
                    defs.append(f'{indent}{dn} = tensor.dim {src[0]}, {consts[di]} : {src[1]}')
                    dyn.append(dn)
            iname = f'%init{n}_{ri}'
            defs.append(f'{indent}{iname} = tensor.empty({", ".join(dyn)}) : {rt}')
            init_names.append(iname)
        outs = f'outs({", ".join(init_names)} : {", ".join(rtypes)})'
        at = brace if brace is not None else arrow
        # Keep `// expected-error @+1` style comments right above the op.
        ins_at = line_start
        while ins_at > pos:
            prev = text.rfind('\n', 0, ins_at - 1) + 1
            if text[prev:ins_at].lstrip().startswith('// expected-'):
                ins_at = prev
            else:
                break
        out.append(text[pos:ins_at])
        out.append('\n'.join(defs) + '\n')
        out.append(text[ins_at:line_start])
        seg = text[line_start:at]
        if seg.endswith('\n') or seg.endswith(' '):
            out.append(seg + outs + ' ')
        else:
            out.append(seg + ' ' + outs + ' ')
        pos = at
    return ''.join(out)


for f in sys.argv[1:]:
    s = open(f).read()
    t = migrate(s)
    if t != s:
        open(f, 'w').write(t)
        print('migrated', f)
