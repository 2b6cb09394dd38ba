// Browser tests: Debian's chromium driven by playwright-core. Opens the dashboard served by
// `sphere serve`, cuts a link and checks the flows shown change, runs a small forecast and checks
// the probabilities appear, and opens the report from disk and checks its charts and map drew.
// Screenshots are kept in ARTIFACTS.
// usage: node tests/browser.test.mjs SPHERE WEB_DIR ARTIFACTS
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const [sphere, webDir, artifacts] = process.argv.slice(2).map((p) => resolve(p));
if (!sphere || !webDir || !artifacts) {
  console.error("usage: node tests/browser.test.mjs SPHERE WEB_DIR ARTIFACTS");
  process.exit(1);
}
mkdirSync(artifacts, { recursive: true });
let server, base, context, profile;

before(async () => {
  server = spawn(sphere, ["serve", "--port", "0", "--web", webDir, "--threads", "1"], { stdio: ["ignore", "pipe", "inherit"] });
  base = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/127\.0\.0\.1:(\d+)/);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    server.on("exit", (code) => reject(new Error(`sphere serve exited (${code})`)));
  });
  profile = mkdtempSync(join(tmpdir(), "sphere-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
    viewport: { width: 1400, height: 1000 },
  });
});

after(async () => {
  await context?.close();
  server?.kill("SIGTERM");
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test("cutting a link on the dashboard changes the flows shown", async () => {
  const page = await context.newPage();
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  assert.ok(await page.locator("#map-svg path.country").count() > 5, "country outlines drawn");
  assert.ok(await page.locator("#map-svg text.node-label").count() > 20, "places named on the map");
  assert.ok((await page.locator("#map-svg").innerText()).includes("cut"), "the legend");
  assert.ok(await page.locator("#map-svg path.link[data-link='tap']").count() >= 1, "TAP is drawn");
  const before = Number(await page.locator("#delivered").getAttribute("data-delivered"));
  const rowsBefore = await page.locator("#flows tbody").innerText();
  await page.screenshot({ path: join(artifacts, "dashboard.png"), fullPage: true });
  const settled = () => page.waitForSelector("body[data-ready='1']", { timeout: 30000 });
  await page.locator("#map-svg path.link[data-link='scp-east']").first().dispatchEvent("click");
  await settled();
  const afterCut = Number(await page.locator("#delivered").getAttribute("data-delivered"));
  assert.ok(afterCut < before, `delivered ${before} -> ${afterCut}`);
  assert.notEqual(await page.locator("#flows tbody").innerText(), rowsBefore);
  assert.equal(await page.locator("#cut-list").innerText(), "scp-east");
  assert.ok(await page.locator("path.link.cut").count() === 1);
  await page.screenshot({ path: join(artifacts, "dashboard-cut.png"), fullPage: true });
  // A planned link opens: on the freight network with the Caspian and eastern branches cut,
  // opening Rasht–Astara moves freight onto the western branch.
  for (const id of ["instc-caspian", "instc-east"]) {
    await page.locator(`#map-svg path.link[data-link='${id}']`).first().dispatchEvent("click");
    await settled();
    assert.match(await page.locator("#cut-list").innerText(), new RegExp(id));
  }
  const cutFreight = Number(await page.locator("#delivered").getAttribute("data-delivered"));
  await page.locator("#map-svg path.link[data-link='rasht-astara']").first().dispatchEvent("click");
  await settled();
  assert.equal(await page.locator("#open-list").innerText(), "rasht-astara");
  assert.ok(Number(await page.locator("#delivered").getAttribute("data-delivered")) > cutFreight);
  assert.ok(await page.locator("#map-svg path.link.opened").count() >= 1);
  assert.match(await page.locator("#rerouted tbody").innerText(), /rasht-astara/);
  await page.screenshot({ path: join(artifacts, "dashboard-open.png"), fullPage: true });
  await page.close();
});

test("a small forecast runs and its probabilities appear", async () => {
  const page = await context.newPage();
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  await page.fill("#runs", "300");
  await page.fill("#shocks", "event:RUS>AZE:173@2026-01\nblock:tap@2027-01");
  await page.click("#run-forecast");
  await page.waitForSelector("#probabilities li", { timeout: 120000 });
  const items = await page.locator("#probabilities li").allInnerTexts();
  assert.ok(items.length >= 2, items.join("\n"));
  const total = items.map((t) => Number(t.match(/: ([\d.]+)%/)[1])).reduce((a, b) => a + b, 0);
  assert.match(await page.locator("#forecast-shocks").innerText(), /block:tap@2027-01/);
  assert.ok(Math.abs(total - 100) < 0.5, `probabilities sum to ${total}%`);
  assert.equal(await page.locator("#error").innerText(), "");
  // The scenario forecast of the estimated model (GET /api/scenarios), or why it is absent.
  await page.waitForFunction(() => document.querySelectorAll("#scenarios tbody tr").length > 0 ||
    /not available/.test(document.getElementById("scenario-caption").textContent), null, { timeout: 120000 });
  const rows = await page.locator("#scenarios tbody tr").allInnerTexts();
  if (rows.length) {
    assert.equal(rows.length, 3, rows.join("\n"));
    const sum = rows.map((t) => Number(t.split("\t")[1].replace("%", ""))).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 100) <= 2, `scenario probabilities sum to ${sum}% (rounded)`);
  }
  await page.screenshot({ path: join(artifacts, "dashboard-forecast.png"), fullPage: true });
  await page.close();
});

test("the report opened from disk shows its charts and map", async () => {
  const file = join(artifacts, "report.html");
  execFileSync(sphere, ["report", "--out", file, "--runs", "200", "--sensitivity-runs", "20", "--cut", "scp-east"]);
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
  await page.goto("file://" + file);
  const areas = await page.$$eval("section", (sections) => sections.map((s) => ({
    id: s.id,
    missing: !!s.querySelector(".missing"),
    svg: [...s.querySelectorAll("svg")].map((g) => { const r = g.getBoundingClientRect(); return r.width * r.height; }),
  })));
  const charts = ["timeline", "dyads", "leverage", "map", "scenarios", "forecast", "sensitivity", "bargaining"];
  for (const s of areas.filter((a) => !a.missing && charts.includes(a.id))) {
    assert.ok(s.svg.length > 0 && s.svg.every((a) => a > 1000), `${s.id}: ${JSON.stringify(s.svg)}`);
  }
  assert.ok(areas.filter((a) => !a.missing).length >= 9, JSON.stringify(areas.map((a) => [a.id, a.missing])));
  for (const id of ["sources", "disagreements", "quotes"])
    assert.ok(areas.find((a) => a.id === id && !a.missing), `${id} section`);
  const countries = await page.$$eval("#map path.country", (ps) => ps.filter((p) => { const r = p.getBBox(); return r.width > 0 && r.height > 0; }).length);
  assert.ok(countries > 5, `${countries} countries drawn`);
  assert.ok(await page.locator("#map path.link.cut").count() >= 1);
  assert.deepEqual(requests, [], "the report loads nothing from the network");
  await page.screenshot({ path: join(artifacts, "report.png"), fullPage: true });
  // Printed to PDF (as chromium --print-to-pdf does), the briefing keeps every section: the
  // navigation bar is hidden, scrolling tables are expanded, and the pages carry the quotes.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("nav").evaluate((n) => getComputedStyle(n).display), "none");
  const scroll = await page.locator(".scroll").first().evaluate((n) => getComputedStyle(n).overflowY);
  assert.equal(scroll, "visible");
  const pdf = await page.pdf({ format: "A4", printBackground: true });
  const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.ok(pages >= 8, `${pages} pages`);
  writeFileSync(join(artifacts, "report.pdf"), pdf);
  await page.close();
});
