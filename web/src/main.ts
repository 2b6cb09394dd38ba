// Sphere's dashboard: the report's infrastructure map (the same SVG, drawn by `sphere serve`:
// routes, labels, legend and the inset west of the frame), what-ifs by clicking links (operating
// links are cut, planned ones opened), what reaches each destination and which flows move,
// leverage with and without the what-if, the scenario forecast of the estimated model, and
// what-if engine jobs that take the map's what-if and any further shocks. Talks to `sphere serve` (docs/openapi.yaml).

interface Link { id: string; name: string; carrier: string; status: string }
interface Outcome {
  unit: string; delivered: number; demand: number;
  destinations: { node: string; demand: number; delivered: number }[];
}
interface WhatIf {
  before: Outcome; after: Outcome;
  rerouted: { link: string; before: number; after: number }[];
  no_effect: string[];
}
interface Pair { from: string; to: string; leverage: number }
interface Scenario { id: string; name: string; probability: number; low95: number; high95: number }

const cut = new Set<string>();
const opened = new Set<string>();
let links: Link[] = [];
let forecastStart = "";
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body as T;
}

const carrierOf = (id: string) => links.find((l) => l.id === id)?.carrier ?? "";
const whatIfQuery = (only?: string) => {
  const pick = (s: Set<string>) => [...s].filter((id) => !only || carrierOf(id) === only).join(",");
  return `cut=${encodeURIComponent(pick(cut))}&open=${encodeURIComponent(pick(opened))}`;
};

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

// A click on a link: cut it (operating, idle, halted) or open it (planned); again: undo.
function toggle(id: string) {
  const link = links.find((l) => l.id === id);
  if (!link) return;
  const set = link.status === "planned" ? opened : cut;
  if (set.has(id)) set.delete(id);
  else set.add(id);
  $<HTMLSelectElement>("carrier").value = link.carrier;
  void refresh();
}

async function drawMap() {
  const res = await fetch(`/api/network/map?${whatIfQuery()}`);
  if (!res.ok) throw new Error((await res.json()).error ?? `HTTP ${res.status}`);
  const holder = $("map-svg");
  holder.innerHTML = await res.text();
  holder.querySelectorAll<SVGPathElement>("path.link[data-link]").forEach((p) => {
    p.addEventListener("click", () => toggle(p.dataset.link!));
  });
}

// body[data-ready] is "1" once the map and the tables show the current what-if.
let pending = 0;
async function refresh() {
  document.body.dataset.ready = "0";
  pending++;
  try {
    await redraw();
  } finally {
    if (--pending === 0) document.body.dataset.ready = "1";
  }
}

async function redraw() {
  const carrier = $<HTMLSelectElement>("carrier").value;
  const list = (s: Set<string>) => [...s].join(", ") || "none";
  $("cut-list").textContent = list(cut);
  $("open-list").textContent = list(opened);
  await drawMap();
  const w = await api<WhatIf>(`/api/network/whatif?carrier=${carrier}&${whatIfQuery(carrier)}`);
  $("delivered").textContent =
    `${carrier}: delivered ${w.after.delivered} of ${w.after.demand} ${w.after.unit} the destinations take (intact network: ${w.before.delivered}).`;
  $("delivered").dataset.delivered = String(w.after.delivered);
  const body = $("flows").querySelector("tbody")!;
  body.replaceChildren();
  w.after.destinations.forEach((d, i) => {
    const before = w.before.destinations[i]?.delivered ?? 0;
    body.appendChild(row([d.node, d.demand, before, d.delivered], ["", "", "", d.delivered < before ? "down" : d.delivered > before ? "up" : ""]));
  });
  const moved = $("rerouted").querySelector("tbody")!;
  moved.replaceChildren();
  for (const r of w.rerouted)
    moved.appendChild(row([r.link, r.before, r.after], ["", "", r.after < r.before ? "down" : "up"]));
  $("no-effect").textContent = w.no_effect.join(" · ");
  const [intact, withWhatIf] = await Promise.all([
    api<{ pairs: Pair[] }>("/api/leverage"),
    api<{ pairs: Pair[] }>(`/api/leverage?${whatIfQuery()}`),
  ]);
  const lev = $("leverage").querySelector("tbody")!;
  lev.replaceChildren();
  for (const t of intact.pairs) {
    const now = withWhatIf.pairs.find((u) => u.from === t.from && u.to === t.to)?.leverage ?? 0;
    const cls = now > t.leverage + 1e-9 ? "up" : now < t.leverage - 1e-9 ? "down" : "";
    lev.appendChild(row([`${t.from} → ${t.to}`, t.leverage.toFixed(3), now.toFixed(3)], ["", "", cls]));
  }
}

// The forecast's shocks: the map's what-if from the first simulated month, then one per line.
function shocks(): string[] {
  const out: string[] = [];
  if ($<HTMLInputElement>("use-map").checked) {
    for (const id of cut) out.push(`block:${id}@${forecastStart}`);
    for (const id of opened) out.push(`open:${id}@${forecastStart}`);
  }
  for (const line of $<HTMLTextAreaElement>("shocks").value.split("\n"))
    if (line.trim()) out.push(line.trim());
  return out;
}

async function forecast() {
  $("error").textContent = "";
  $("probabilities").replaceChildren();
  const body = { runs: Number($<HTMLInputElement>("runs").value), shocks: shocks() };
  $("forecast-shocks").textContent = body.shocks.length ? `Shocks: ${body.shocks.join(", ")}` : "No shocks.";
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
        for (const s of j.result.scenarios as Scenario[]) {
          const li = document.createElement("li");
          li.dataset.scenario = s.id;
          li.innerHTML = `<span class="bar" style="width:${(s.probability * 200).toFixed(0)}px"></span> `;
          li.append(`${s.name}: ${(s.probability * 100).toFixed(1)}% (${(s.low95 * 100).toFixed(1)}–${(s.high95 * 100).toFixed(1)}%)`);
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

// The scenario forecast of the estimated model: one row per scenario at the horizon.
interface ScenarioCurve {
  scenario: string; name: string;
  curve: { month: string; p: number; mc: number[]; parameters: number[] }[];
  robustness: number[];
}
async function scenarioForecast() {
  const pct = (p: number) => `${(p * 100).toFixed(0)}%`;
  try {
    const s = await api<{ horizon: string; pair: string; runs: number; scenarios: ScenarioCurve[] }>("/api/scenarios");
    $("scenario-caption").textContent = `${s.pair}, at ${s.horizon} (${s.runs} runs)`;
    const body = $("scenarios").querySelector("tbody")!;
    body.replaceChildren();
    for (const c of s.scenarios) {
      const last = c.curve[c.curve.length - 1];
      const tr = row([c.name, pct(last.p), `${pct(last.mc[0])}–${pct(last.mc[1])}`,
        `${pct(last.parameters[0])}–${pct(last.parameters[1])}`, `${pct(c.robustness[0])}–${pct(c.robustness[1])}`]);
      tr.dataset.scenario = c.scenario;
      body.appendChild(tr);
    }
  } catch (e) {
    $("scenario-caption").textContent = `(not available: ${(e as Error).message})`;
  }
}

async function main() {
  const model = await api<{ name: string; forecast_start: string }>("/api/model");
  $("model-name").textContent = model.name;
  forecastStart = model.forecast_start;
  links = (await api<{ links: Link[] }>("/api/network/links")).links;
  $<HTMLSelectElement>("carrier").addEventListener("change", () => void refresh());
  $("run-forecast").addEventListener("click", () => void forecast());
  await Promise.all([refresh(), scenarioForecast()]);
}

main().catch((e) => ($("error").textContent = String(e)));
