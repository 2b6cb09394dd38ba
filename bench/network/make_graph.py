"""Writes the benchmark network: a DIMACS max-flow file of N nodes and M links.

Nodes lie on a ring; each link joins a node to one of its 60 nearest successors, so a flow from
the source (node 1) to the sink (node 1 + DISTANCE) crosses several links, like a corridor
network. Capacities are whole numbers from 1 to 100. Seeded, so every run writes the same file.
"""
import sys

import numpy as np


def main():
    out, nodes, links, seed, distance = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                         int(sys.argv[4]), int(sys.argv[5]))
    rng = np.random.default_rng(seed)
    arcs = set()
    result = []
    while len(result) < links:
        u = int(rng.integers(0, nodes))
        v = (u + int(rng.integers(1, 61))) % nodes
        if (u, v) in arcs:
            continue
        arcs.add((u, v))
        result.append((u, v, int(rng.integers(1, 101))))
    with open(out, "w") as f:
        f.write(f"c benchmark ring network, seed {seed}\n")
        f.write(f"p max {nodes} {links}\n")
        f.write("n 1 s\n")
        f.write(f"n {distance + 1} t\n")
        for u, v, c in result:
            f.write(f"a {u + 1} {v + 1} {c}\n")


if __name__ == "__main__":
    main()
