#!/usr/bin/env python3
"""callgraph.py - the calls between the source files of one layer, and any
circle among them.

    callgraph.py [--show] LIBRARY.a...

Reads the object files of the static libraries with `nm` (the symbols each
defines and the ones it needs), draws an edge A -> B when A.c uses a
function or table that B.c defines, and exits 1 if the edges form a circle
(printing each one, e.g. "pipeline.c -> requests.c -> pipeline.c").  A
circle means neither file can be read, tested or replaced without the
other: the layer's files should call one way.  --show prints every edge.
"""
import subprocess
import sys


def symbols(lib):
    """{object file: (defined set, undefined set)} of one archive."""
    out = subprocess.run(["nm", "-A", lib], check=True, capture_output=True,
                         text=True).stdout
    objs = {}
    for line in out.splitlines():
        # archive:member:[value] TYPE name  (value is blank for U)
        head, _, rest = line.rpartition(":")
        member = head.split(":")[-1].rsplit("/", 1)[-1]
        parts = rest.split()
        if len(parts) < 2:
            continue
        kind, name = parts[-2], parts[-1]
        d, u = objs.setdefault(member, (set(), set()))
        if kind == "U":
            u.add(name)
        elif kind in "TDRBCV" or kind in "W":
            d.add(name)
    return objs


def cycles(graph):
    """Every elementary circle's strongly connected component (Tarjan), as
    lists of nodes; a component of one node counts only with a self edge,
    which a file calling its own functions never makes here."""
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps


def circles_in(graph, comp, limit=50):
    """The elementary circles within one component (each once, starting at
    its smallest file), at most `limit` of them, for the message."""
    members = set(comp)
    found = []

    def walk(start, v, path, seen):
        for w in sorted(graph.get(v, ())):
            if w not in members or w < start:
                continue
            if w == start:
                found.append(path + [start])
                if len(found) >= limit:
                    return True
            elif w not in seen:
                if walk(start, w, path + [w], seen | {w}):
                    return True
        return False

    for s in sorted(comp):
        if walk(s, s, [s], {s}):
            break
    return found


def main(argv):
    show = "--show" in argv
    libs = [a for a in argv if a != "--show"]
    if not libs:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    objs = {}
    for lib in libs:
        objs.update(symbols(lib))
    owner = {}
    for obj, (d, _) in objs.items():
        for s in d:
            owner.setdefault(s, obj)
    graph = {}
    for obj, (_, u) in objs.items():
        graph.setdefault(obj, set())
        for s in u:
            o = owner.get(s)
            if o is not None and o != obj:
                graph[obj].add(o)

    def name(o):
        return o[:-2] if o.endswith(".o") else o

    if show:
        for v in sorted(graph):
            for w in sorted(graph[v]):
                print(f"{name(v)} -> {name(w)}")
    comps = cycles(graph)
    for comp in comps:
        print("files calling each other in a circle: " + ", ".join(name(v) for v in comp))
        for c in circles_in(graph, comp):
            print("  circle: " + " -> ".join(name(v) for v in c))
    if not comps:
        print(f"{len(graph)} files, {sum(len(s) for s in graph.values())} edges between them, "
              "no circle")
    return 1 if comps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
