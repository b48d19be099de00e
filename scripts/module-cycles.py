#!/usr/bin/env python3
"""Import circles between the modules of a Rust crate.

Usage: python3 scripts/module-cycles.py api/src

Each file under the source directory is a module (`lib.rs` is `crate`,
`a/mod.rs` and `a.rs` are `crate::a`, `a/b.rs` is `crate::a::b`; `main.rs`
is skipped when there is a `lib.rs`, as it is its own crate). A module
depends on another when it names it: `use` trees (groups expanded) and
paths in code starting with `crate::`, `super::`, `self::` or a child module
declared in the file, each resolved to the longest prefix that is a module.
`mod x;` declarations are containment, not dependencies. Comments and
string literals are ignored; `super::` inside an inline `mod tests { … }`
means the file's own module.

Prints every strongly connected component with more than one module, with
the edges inside it, and exits 1 if there is any.
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip(text):
    """Removes comments and the contents of string and char literals."""
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
        elif re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not re.match(r"\w", text[i - 1])):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            out.append('""')
            i = n if j < 0 else j + len(end)
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            m = re.match(r"'(\\.|[^\\'])'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_of(root, path):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def expand_use(tree):
    """`a::{b, c::{d as e, self}}` → [[a, b], [a, c, d], [a, c]]."""
    tree = re.sub(r"\s+", "", tree)
    tree = re.sub(r"\bas" + IDENT, "", tree) if False else re.sub(r"as(?=[A-Za-z_])" + IDENT + r"(?=[,}]|$)", "", tree)

    def parse(s, prefix):
        paths, depth, start = [], 0, 0
        parts = []
        for k, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:k])
                start = k + 1
        parts.append(s[start:])
        for part in parts:
            if not part:
                continue
            if "{" in part:
                head, rest = part.split("{", 1)
                head_segs = [x for x in head.split("::") if x]
                paths += parse(rest[: rest.rfind("}")], prefix + head_segs)
            else:
                segs = [x for x in part.split("::") if x]
                if segs and segs[-1] == "self":
                    segs = segs[:-1]
                if segs and segs[-1] == "*":
                    segs = segs[:-1]
                paths.append(prefix + segs)
        return paths

    return parse(tree, [])


def inline_mods(code):
    """(name, start, end) of `mod name { … }` blocks."""
    found = []
    for m in re.finditer(r"\bmod\s+(" + IDENT + r")\s*\{", code):
        depth, k = 1, m.end()
        while k < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[k], 0)
            k += 1
        found.append((m.group(1), m.start(), k))
    return found


def references(code, here, children):
    """Absolute paths (tuples) named in `code` of module `here`."""
    refs = []
    for m in re.finditer(r"\buse\s+([^;]+);", code):
        for segs in expand_use(m.group(1)):
            refs.append(segs)
    for m in re.finditer(r"(?<![\w:])((?:crate|super|self|" + IDENT + r")(?:::(?:" + IDENT + r"))+)", code):
        segs = m.group(1).split("::")
        if segs[0] in ("crate", "super", "self") or segs[0] in children:
            refs.append(segs)
    out = []
    for segs in refs:
        if not segs:
            continue
        base = list(here)
        if segs[0] == "crate":
            base, segs = [], segs[1:]
        elif segs[0] in ("super", "self"):
            while segs and segs[0] in ("super", "self"):
                if segs[0] == "super":
                    base = base[:-1]
                segs = segs[1:]
        elif segs[0] in children:
            pass
        else:
            continue  # an external crate or a name in scope
        out.append(tuple(base + segs))
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src"
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(dirpath, name)
                files[path] = module_of(root, path)
    if os.path.exists(os.path.join(root, "lib.rs")):
        files.pop(os.path.join(root, "main.rs"), None)
    modules = set(files.values())
    graph = {m: set() for m in modules}
    for path, here in files.items():
        code = strip(open(path, encoding="utf-8").read())
        children = set(re.findall(r"\bmod\s+(" + IDENT + r")\s*;", code))
        blocks = inline_mods(code)
        outer = code
        for name, start, end in reversed(blocks):
            inner = code[start:end]
            for ref in references(inner, here + (name,), set()):
                graph[here].add(ref)
            outer = outer[:start] + outer[end:]
        for ref in references(outer, here, children):
            graph[here].add(ref)
    # Resolve each path to the longest prefix that is a module.
    edges = {m: set() for m in modules}
    for m, refs in graph.items():
        for ref in refs:
            for k in range(len(ref), -1, -1):
                if ref[:k] in modules:
                    if ref[:k] != m:
                        edges[m].add(ref[:k])
                    break
    sccs = tarjan(edges)
    circles = [sorted(c) for c in sccs if len(c) > 1]
    name = lambda m: "::".join(("crate",) + m)
    print(f"{len(modules)} modules, {sum(len(v) for v in edges.values())} dependencies, {len(circles)} circle(s)")
    for c in sorted(circles):
        print("circle: " + ", ".join(name(m) for m in c))
        for m in c:
            for t in sorted(edges[m]):
                if t in c:
                    print(f"  {name(m)} -> {name(t)}")
    return 1 if circles else 0


def tarjan(edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
