#!/usr/bin/env python3
"""Import circles between the modules of one crate.

Usage: scripts/module-cycles.py [SRC_DIR]   (default: sfu/src)

Every `.rs` file is a module (`lib.rs` the crate root, `x/mod.rs` module `x`).
A module refers to another when its code names a path into it: `use
crate::a::b`, `super::x`, `self::x`, or a child module by its bare name
(`setup::codec()`, `pub use rooms::RoomSnapshot`), in `use` trees (braces
expanded) and in expressions alike. A path counts towards the longest module
prefix it names. Comments (doc links included), string literals, `mod x;`
declarations and `#[cfg(test)]` inline modules do not count: the tests of a
module may look at its siblings without that being part of the design.

Prints every strongly connected component of more than one module (an import
circle), one per line, and exits 1 when there is any; prints "no circles"
otherwise. A parent and a child referring to each other are a circle too.
"""

import os
import re
import sys


def module_name(src, path):
    rel = os.path.relpath(path, src)[: -len(".rs")].split(os.sep)
    if rel[-1] in ("lib", "main", "mod"):
        rel = rel[:-1]
    return "crate" + "".join("::" + part for part in rel)


def strip(text):
    """Removes comments, string/char literals and #[cfg(test)] modules."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif re.match(r'r#*"', text[i : i + 10]) and (i == 0 or not text[i - 1].isalnum()):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            i = n if end < 0 else end + 1 + len(hashes)
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i : i + 4]):
            i = text.find("'", i + 2) + 1
            out.append("' '")
        else:
            out.append(c)
            i += 1
    code = "".join(out)
    # #[cfg(test)] mod name { ... }: drop the balanced block.
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", code)
        if not m:
            return code
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        code = code[: m.start()] + code[j:]


def expand_use(tree):
    """`a::{b, c::{d, e}}` → ['a::b', 'a::c::d', 'a::c::e']."""
    tree = re.sub(r"\s+", "", tree)
    depth, start, parts = 0, 0, []
    for k, ch in enumerate(tree):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(tree[start:k])
            start = k + 1
    parts.append(tree[start:])
    paths = []
    for part in filter(None, parts):
        brace = part.find("{")
        if brace < 0:
            paths.append(re.sub(r"\bas\w+$", "", part))
        else:
            prefix = part[:brace]
            for sub in expand_use(part[brace + 1 : part.rindex("}")]):
                paths.append(prefix + sub)
    return paths


def resolve(current, segments, modules):
    if segments[0] == "crate":
        base, rest = "crate", segments[1:]
    elif segments[0] in ("super", "self"):
        base, rest = current, list(segments)
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base.rsplit("::", 1)[0]
            rest = rest[1:]
    elif current + "::" + segments[0] in modules:
        base, rest = current, list(segments)
    else:
        return None
    target = base
    for seg in rest:
        if target + "::" + seg in modules:
            target += "::" + seg
        else:
            break
    return target


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "sfu/src"
    files = {}
    for root, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(root, name)
                files[module_name(src, path)] = path
    modules = set(files)
    edges = {m: set() for m in modules}
    for module, path in files.items():
        with open(path, encoding="utf-8") as f:
            code = strip(f.read())
        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", code):
            paths.extend(expand_use(m.group(1)))
        without_uses = re.sub(r"\buse\s+[^;]+;", "", code)
        paths.extend(
            m.group(0) for m in re.finditer(r"(?<![\w:])\w+(::\w+)+", without_uses)
        )
        for p in paths:
            p = p.lstrip(":")
            segments = [s for s in p.split("::") if s and s != "*"]
            if not segments:
                continue
            target = resolve(module, segments, modules)
            if target and target != module:
                edges[module].add(target)

    # Tarjan's strongly connected components.
    index, low, stack, on_stack, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            sccs.append(sorted(scc))

    sys.setrecursionlimit(10_000)
    for v in sorted(modules):
        if v not in index:
            visit(v)
    circles = sorted(s for s in sccs if len(s) > 1)
    if "-v" in sys.argv:
        for m in sorted(edges):
            print(m, "->", ", ".join(sorted(edges[m])) or "-")
    for scc in circles:
        inner = [
            f"{a} -> {b}" for a in scc for b in sorted(edges[a]) if b in scc
        ]
        print("circle:", " | ".join(scc))
        print("   ", "; ".join(inner))
    if not circles:
        print("no circles")
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
