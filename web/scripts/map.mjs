// Builds the region map Sphere embeds in its report: country outlines from Natural Earth
// (npm world-atlas, countries-50m, which shows Nakhchivan) clipped to the region and projected
// to SVG path strings. Run at build time by CMake; writes one JSON file.
//
// Projection (the C++ report draws the infrastructure with the same formula, src/report/map.cpp):
// equirectangular with the x axis scaled by cos(latitude of the box centre), so that shapes keep
// their proportions near the centre:  x = (lon - lon0) * cos(phi_c) * k,  y = (lat1 - lat) * k.
//
// usage: node scripts/map.mjs OUT.json [lon0 lon1 lat0 lat1 width]
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { feature } from "topojson-client";
import { geoPath, geoTransform, geoClipRectangle, geoBounds } from "d3-geo";

const require = createRequire(import.meta.url);
const [out, ...rest] = process.argv.slice(2);
if (!out) {
  console.error("usage: node scripts/map.mjs OUT.json [lon0 lon1 lat0 lat1 width]");
  process.exit(1);
}
const [lon0, lon1, lat0, lat1, width] = rest.length ? rest.map(Number) : [34, 53, 35.5, 46, 1000];
const iso3 = {
  "031": "AZE", "051": "ARM", "268": "GEO", "792": "TUR", "364": "IRN", "643": "RUS",
  "398": "KAZ", "795": "TKM", "860": "UZB", "368": "IRQ", "760": "SYR", "196": "CYP",
  "804": "UKR", "100": "BGR", "300": "GRC", "422": "LBN", "400": "JOR", "376": "ISR",
  "682": "SAU", "414": "KWT",
};

const topologyPath = require.resolve("world-atlas/countries-50m.json");
const atlasVersion = JSON.parse(readFileSync(require.resolve("world-atlas/package.json"), "utf8")).version;
const topology = JSON.parse(readFileSync(topologyPath, "utf8"));
const countries = feature(topology, topology.objects.countries).features;

// One projected frame: the country outlines that fall inside the box, as SVG paths.
function frame(lon0, lon1, lat0, lat1, width, digits) {
  const kx = Math.cos(((lat0 + lat1) / 2) * Math.PI / 180);
  const k = width / ((lon1 - lon0) * kx);
  const height = Math.round((lat1 - lat0) * k);
  const project = geoTransform({
    point(lon, lat) {
      this.stream.point((lon - lon0) * kx * k, (lat1 - lat) * k);
    },
  });
  const clip = geoClipRectangle(0, 0, width, height);
  const path = geoPath({ stream: (s) => project.stream(clip(s)) }).digits(digits);
  const shapes = [];
  for (const c of countries) {
    const [[w, s], [e, n]] = geoBounds(c);
    const wraps = w > e;  // crosses the antimeridian (Russia): longitudes alone cannot exclude it
    if ((!wraps && (e < lon0 || w > lon1)) || n < lat0 || s > lat1) continue;
    const d = path(c);
    if (!d) continue;
    const [cx, cy] = path.centroid(c);
    shapes.push({
      id: String(c.id ?? ""),
      iso3: iso3[String(c.id)] ?? "",
      name: c.properties.name,
      d,
      label: [Math.round(cx), Math.round(cy)],
      area: Math.round(path.area(c)),
    });
  }
  shapes.sort((a, b) => b.area - a.area);
  return { bounds: { lon0, lon1, lat0, lat1 }, width, height, kx, k, countries: shapes };
}

const main = frame(lon0, lon1, lat0, lat1, width, 1);
// The inset: the links west of the main frame (Türkiye to the EU), at a smaller scale.
const inset = frame(17, 45, 35.5, 45.5, 330, 0);

const result = {
  source: `Natural Earth 1:50m admin-0 countries (public domain), via npm world-atlas ${atlasVersion} countries-50m.json`,
  projection: "equirectangular, x scaled by cos(centre latitude)",
  ...main,
  inset,
};
writeFileSync(out + ".tmp", JSON.stringify(result));
renameSync(out + ".tmp", out);
console.log(`map: ${main.countries.length} countries, ${main.width}x${main.height}; inset ${inset.countries.length} countries -> ${out}`);
