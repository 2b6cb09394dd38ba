#!/usr/bin/python3
"""Map waypoints for the model's pipelines from Global Energy Monitor route geometries.

Reads the GEM extracts in ../shared/data/infrastructure (GOIT oil routes, GGIT gas pipelines;
CC BY 4.0, attribute "Global Energy Monitor"), cuts each route between the positions of the
link's end nodes in data/caucasus/places.toml, simplifies it (Douglas-Peucker) and prints
[[route]] tables for places.toml. Drawing only: no model computation reads them.

usage: /usr/bin/python3 scripts/gem_routes.py [DATA_DIR] > routes.toml
"""
import csv
import json
import math
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/data/infrastructure"
TOLERANCE = 0.03  # degrees; well inside the places' own +-0.3 degree range

GGIT = "gem_ggit_pipelines_lng_2024-10_caucasus_caspian_turkey.csv"
GOIT = "gem_goit_liquid_pipelines_2024-03_caucasus_caspian_turkey.geojson"
# link id -> (file, GEM project id); the link's end nodes pick the part of the route drawn.
LINKS = {
    "btc": ("gem_goit_route_P0644_baku_tbilisi_ceyhan.geojson", "P0644"),
    "baku-supsa": ("gem_goit_route_P0643_baku_supsa.geojson", "P0643"),
    "baku-novorossiysk": (GOIT, "P0645"),
    # GEM's own SCP geometry (P0759) is a straight Baku-Tbilisi line; SCP is laid in the BTC
    # corridor, so its eastern part is drawn along BTC's route (marked as an assumption).
    "scp-east": ("gem_goit_route_P0644_baku_tbilisi_ceyhan.geojson", "P0644"),
    "scp-west": (GGIT, "P0759"),
    "tanap-east": (GGIT, "P0763"),
    "tanap-west": (GGIT, "P0763"),
    "tap": (GGIT, "P0724"),
    "mozdok-link": (GGIT, "P0751"),
    "astara-gas-az": (GGIT, "P0748"),
    "gazakh-line": (GGIT, "P4211"),
    "north-caucasus-transcaucasia": (GGIT, "P5875"),
    "igdir-nakhchivan": (GGIT, "P2719"),
}


def wkt_lines(text):
    """LINESTRING or MULTILINESTRING WKT -> list of [(lon, lat), ...]."""
    parts = re.findall(r"\(([^()]+)\)", text)
    return [[tuple(map(float, p.split())) for p in part.split(",")] for part in parts]


def chain(lines):
    """Joins a multi-line into one line by greedy nearest-end chaining."""
    lines = [list(l) for l in lines if l]
    out = lines.pop(0)
    while lines:
        best = None
        for i, l in enumerate(lines):
            for rev in (False, True):
                cand = l[::-1] if rev else l
                d = math.dist(out[-1], cand[0])
                if best is None or d < best[0]:
                    best = (d, i, cand)
        _, i, cand = best
        out += cand
        lines.pop(i)
    return out


def geometry(file, project):
    path = DATA / file
    if file.endswith(".csv"):
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["id"] == project and row["geometry"].startswith(("LINESTRING", "MULTI")):
                    return chain(wkt_lines(row["geometry"]))
    else:
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            if feature["properties"].get("ProjectID") == project:
                g = feature["geometry"]
                lines = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
                return chain([[tuple(p[:2]) for p in l] for l in lines])
    raise SystemExit(f"{file}: no geometry for {project}")


def nearest(line, point):
    return min(range(len(line)), key=lambda i: math.dist(line[i], point))


def simplify(points, tol):
    """Douglas-Peucker on lon/lat degrees."""
    if len(points) < 3:
        return points
    a, b = points[0], points[-1]
    dx, dy = b[0] - a[0], b[1] - a[1]
    norm = math.hypot(dx, dy) or 1e-12
    dists = [abs(dy * (p[0] - a[0]) - dx * (p[1] - a[1])) / norm for p in points[1:-1]]
    i = max(range(len(dists)), key=dists.__getitem__)
    if dists[i] <= tol:
        return [a, b]
    return simplify(points[: i + 2], tol)[:-1] + simplify(points[i + 1 :], tol)


def main():
    model = ROOT / "data/caucasus"
    places = {p["node"]: (p["lon"], p["lat"]) for p in tomllib.loads((model / "places.toml").read_text())["place"]}
    links = {l["id"]: l for l in tomllib.loads((model / "infrastructure.toml").read_text())["link"]}
    print("# Routes from Global Energy Monitor geometries (scripts/gem_routes.py; CC BY 4.0).")
    for link, (file, project) in LINKS.items():
        line = geometry(file, project)
        a, b = places[links[link]["from"]], places[links[link]["to"]]
        i, j = nearest(line, a), nearest(line, b)
        part = line[i : j + 1] if i <= j else line[j : i + 1][::-1]
        inner = simplify(part, TOLERANCE)[1:-1]  # the end nodes are drawn at their places
        if not inner:
            continue  # the course is the straight line between the end nodes
        points = ", ".join(f"[{lon:.2f}, {lat:.2f}]" for lon, lat in inner)
        print(f"\n[[route]]\nlink = \"{link}\"")
        if link == "scp-east":
            print('source = "assumption"\nrange = [-0.3, 0.3]')
            print('rationale = "SCP runs in the BTC corridor from Sangachal into Georgia; drawn along '
                  'GEM\'s BTC route (P0644, simplified), since GEM\'s SCP geometry (P0759) is a straight '
                  'line from Baku to Tbilisi"')
            print(f"points = [{points}]")
            continue
        print('source = "data"')
        print(f"citation = \"Global Energy Monitor, {'GOIT' if file.endswith('json') else 'GGIT'} "
              f"route of {project} ({file}), part between the link's end nodes, simplified "
              f"(Douglas-Peucker, {TOLERANCE} degrees)\"")
        print(f"points = [{points}]")


main()
