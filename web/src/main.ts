// Sphere's dashboard: the infrastructure map (Natural Earth via world-atlas, drawn with d3-geo in
// the report's projection), what-ifs by clicking links, leverage with and without the cuts, and
// forecast jobs with progress. Talks to `sphere serve` (docs/openapi.yaml).
import { feature } from "topojson-client";
import { geoClipRectangle, geoPath, geoTransform } from "d3-geo";
import world from "world-atlas/countries-50m.json";

// The report's projection (src/report/map.cpp, web/scripts/map.mjs).
const [lon0, lon1, lat0, lat1, width] = [34, 53, 35.5, 46, 1000];
const kx = Math.cos(((lat0 + lat1) / 2) * Math.PI / 180);
const k = width / ((lon1 - lon0) * kx);
const height = Math.round((lat1 - lat0) * k);
const project = (lon: number, lat: number): [number, number] => [(lon - lon0) * kx * k, (lat1 - lat) * k];

interface Node { id: string; name: string; country: string; position?: [number, number] }
interface Link { id: string; name: string; carrier: string; from: string; to: string; capacity: number; unit: string; status: string }
interface Outcome { unit: string; delivered: number; demand: number; destinations: { node: string; demand: number; delivered: number }[]; links: { link: string; flow: number }[] }

const cut = new Set<string>();
let network: { nodes: Node[]; links: Link[] } = { nodes: [], links: [] };
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const colours: Record<string, string> = { gas: "#e07b00", oil: "#5b3a29", freight: "#1f6fb2" };

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body as T;
}

function drawBasemap(svg: SVGSVGElement) {
  const transform = geoTransform({
    point(lon: number, lat: number) {
      const [x, y] = project(lon, lat);
      this.stream.point(x, y);
    },
  });
  const clip = geoClipRectangle(0, 0, width, height);
  const path = geoPath({ stream: (s: unknown) => transform.stream(clip(s)) });
  const countries = feature(world, (world as any).objects.countries).features;
  for (const c of countries) {
    const d = path(c);
    if (!d) continue;
    const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
    p.setAttribute("d", d);
    p.setAttribute("class", "country");
    p.setAttribute("fill", "#efebe2");
    p.setAttribute("stroke", "#9a9488");
    p.setAttribute("stroke-width", "0.7");
    p.appendChild(title(c.properties.name));
    svg.appendChild(p);
  }
}

function title(text: string) {
  const t = document.createElementNS("http://www.w3.org/2000/svg", "title");
  t.textContent = text;
  return t;
}

function drawLinks(svg: SVGSVGElement, flows: Map<string, number>) {
  svg.querySelectorAll(".link, .node").forEach((e) => e.remove());
  const at = new Map<string, [number, number]>();
  for (const n of network.nodes)
    if (n.position) {
      const [x, y] = project(n.position[0], n.position[1]);
      at.set(n.id, [Math.min(Math.max(x, 8), width - 8), Math.min(Math.max(y, 8), height - 8)]);
    }
  const carrier = $<HTMLSelectElement>("carrier").value;
  const largest = Math.max(...network.links.filter((l) => l.carrier === carrier).map((l) => l.capacity), 1);
  for (const l of network.links) {
    const a = at.get(l.from), b = at.get(l.to);
    if (!a || !b || l.carrier !== carrier) continue;
    const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
    p.setAttribute("d", `M${a[0]},${a[1]}L${b[0]},${b[1]}`);
    p.setAttribute("class", "link" + (cut.has(l.id) ? " cut" : ""));
    p.setAttribute("data-link", l.id);
    p.setAttribute("stroke", colours[l.carrier] ?? "#333");
    p.setAttribute("stroke-width", String(2 + 9 * Math.sqrt(l.capacity / largest)));
    p.setAttribute("opacity", l.status === "operating" ? "0.85" : "0.4");
    const flow = flows.get(l.id) ?? 0;
    p.appendChild(title(`${l.name}: capacity ${l.capacity} ${l.unit}, flow ${flow} (${l.status})${cut.has(l.id) ? " — CUT" : ""}`));
    p.addEventListener("click", () => {
      if (cut.has(l.id)) cut.delete(l.id);
      else cut.add(l.id);
      void refresh();
    });
    svg.appendChild(p);
  }
  for (const [id, [x, y]] of at) {
    const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
    c.setAttribute("cx", String(x));
    c.setAttribute("cy", String(y));
    c.setAttribute("r", "3");
    c.setAttribute("class", "node");
    c.appendChild(title(id));
    svg.appendChild(c);
  }
}

function row(cells: (string | number)[], classes: string[] = []) {
  const tr = document.createElement("tr");
  cells.forEach((v, i) => {
    const td = document.createElement("td");
    td.textContent = String(v);
    if (typeof v === "number") td.className = "num";
    if (classes[i]) td.classList.add(classes[i]);
    tr.appendChild(td);
  });
  return tr;
}

async function refresh() {
  const carrier = $<HTMLSelectElement>("carrier").value;
  const cuts = [...cut].filter((id) => network.links.find((l) => l.id === id));
  $("cut-list").textContent = cuts.length ? cuts.join(", ") : "none";
  const w = await api<{ before: Outcome; after: Outcome }>(
    `/api/network/whatif?carrier=${carrier}&cut=${encodeURIComponent(cuts.join(","))}`);
  const flows = new Map(w.after.links.map((l) => [l.link, l.flow] as [string, number]));
  drawLinks($<HTMLElement>("map-svg").querySelector("svg")!, flows);
  $("delivered").textContent = `Delivered: ${w.after.delivered} of ${w.after.demand} ${w.after.unit} (intact network: ${w.before.delivered}).`;
  $("delivered").dataset.delivered = String(w.after.delivered);
  const body = $("flows").querySelector("tbody")!;
  body.replaceChildren();
  w.after.destinations.forEach((d, i) => {
    const before = w.before.destinations[i]?.delivered ?? 0;
    body.appendChild(row([d.node, d.demand, before, d.delivered], ["", "", "", d.delivered < before ? "down" : ""]));
  });
  const [intact, withCuts] = await Promise.all([
    api<{ totals: { from: string; to: string; leverage: number }[] }>("/api/leverage"),
    api<{ totals: { from: string; to: string; leverage: number }[] }>(`/api/leverage?cut=${encodeURIComponent(cuts.join(","))}`),
  ]);
  const lev = $("leverage").querySelector("tbody")!;
  lev.replaceChildren();
  for (const t of intact.totals) {
    const now = withCuts.totals.find((u) => u.from === t.from && u.to === t.to)?.leverage ?? 0;
    const cls = now > t.leverage + 1e-9 ? "up" : now < t.leverage - 1e-9 ? "down" : "";
    lev.appendChild(row([`${t.from} → ${t.to}`, t.leverage.toFixed(3), now.toFixed(3)], ["", "", cls]));
  }
}

async function forecast() {
  $("error").textContent = "";
  $("probabilities").replaceChildren();
  const shock = $<HTMLInputElement>("shock").value.trim();
  const body = { runs: Number($<HTMLInputElement>("runs").value), shocks: shock ? [shock] : [] };
  try {
    const job = await api<{ id: string; href: string }>("/api/forecasts", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    for (;;) {
      const j = await api<any>(job.href);
      $<HTMLProgressElement>("progress").value = j.done / j.runs;
      if (j.status === "done") {
        for (const s of j.result.scenarios) {
          const li = document.createElement("li");
          li.dataset.scenario = s.id;
          li.innerHTML = `<span class="bar" style="width:${(s.p * 200).toFixed(0)}px"></span> `;
          li.append(`${s.name}: ${(s.p * 100).toFixed(1)}% (${(s.low * 100).toFixed(1)}–${(s.high * 100).toFixed(1)}%)`);
          $("probabilities").appendChild(li);
        }
        return;
      }
      if (j.status === "failed") throw new Error(j.error);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    $("error").textContent = String((e as Error).message);
  }
}

async function main() {
  const model = await api<{ name: string }>("/api/model");
  $("model-name").textContent = model.name;
  network = await api("/api/network/links");
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  $("map-svg").appendChild(svg);
  drawBasemap(svg);
  $<HTMLSelectElement>("carrier").addEventListener("change", () => void refresh());
  $("run-forecast").addEventListener("click", () => void forecast());
  await refresh();
  document.body.dataset.ready = "1";
}

main().catch((e) => ($("error").textContent = String(e)));
