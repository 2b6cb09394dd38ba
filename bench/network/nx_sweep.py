"""The N-k contingency sweep of `sphere network contingency`, done with networkx.

Same task and the same exact pruning: a combination whose last link carries no flow in a maximum
flow of the graph without the others loses what the others lose. Each single failure's flow is
kept; a pair (a, b) is solved only when b carries flow without a and a carries flow without b.
Prints JSON: wall and processor seconds, max-flows solved, combinations losing delivery, the worst losses.

Usage: nx_sweep.py FILE.max K(1|2) [MAX_FIRST]  (MAX_FIRST: only pairs whose first link is among
the first MAX_FIRST links, for a partial sweep)
"""
import json
import sys
import time

import networkx as nx
from networkx.algorithms.flow import preflow_push


def read_dimacs(path):
    g = nx.DiGraph()
    arcs = []
    s = t = None
    for line in open(path):
        f = line.split()
        if not f or f[0] == "c":
            continue
        if f[0] == "p":
            g.add_nodes_from(range(1, int(f[2]) + 1))
        elif f[0] == "n":
            if f[2] == "s":
                s = int(f[1])
            else:
                t = int(f[1])
        elif f[0] == "a":
            u, v, c = int(f[1]), int(f[2]), int(f[3])
            g.add_edge(u, v, capacity=c)
            arcs.append((u, v, c))
    return g, arcs, s, t


def main():
    path, k = sys.argv[1], int(sys.argv[2])
    max_first = int(sys.argv[3]) if len(sys.argv) > 3 else None
    g, arcs, s, t = read_dimacs(path)
    m = len(arcs)
    solved = 0

    def solve(removed):
        nonlocal solved
        solved += 1
        for a in removed:
            g.edges[arcs[a][0], arcs[a][1]]["capacity"] = 0
        value, flow = nx.maximum_flow(g, s, t, flow_func=preflow_push)
        for a in removed:
            g.edges[arcs[a][0], arcs[a][1]]["capacity"] = arcs[a][2]
        uses = {i for i, (u, v, _) in enumerate(arcs) if flow[u][v] > 0}
        return value, uses

    start = time.perf_counter()
    cpu_start = time.process_time()
    base, base_uses = solve([])
    value1 = [base] * m
    uses1 = [base_uses] * m
    for a in sorted(base_uses):
        value1[a], uses1[a] = solve([a])
    losses = []
    if k == 1:
        losses = [base - v for v in value1 if v < base]
    else:
        last = m if max_first is None else min(m, max_first)
        for a in range(last):
            for b in range(a + 1, m):
                if b not in uses1[a]:
                    v = value1[a]
                elif a not in uses1[b]:
                    v = value1[b]
                else:
                    v, _ = solve([a, b])
                if v < base:
                    losses.append(base - v)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    losses.sort(reverse=True)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "solved": solved, "base": base,
                      "with_loss": len(losses), "worst": losses[:20]}))


if __name__ == "__main__":
    main()
