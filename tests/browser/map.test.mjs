// The map page of `ironrule serve` in a real browser: Debian's chromium, driven by
// playwright-core (pinned in package.json). A planner draws a footprint over the red line and
// sees YC201 with the area `ironrule check` measures for the same polygon; uploads the demo
// proposals and sees every finding; switches to Chinese; downloads SARIF (validated against
// the schema by tests/consumers/run.sh). Screenshots go to $OUT (docs/ with UPDATE_SCREENSHOT=1).
//   node tests/browser/map.test.mjs   (after `cargo build`; run by tests/consumers/run.sh)
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const bin = process.env.IRONRULE_BIN || path.join(root, "target/debug/ironrule");
const out = process.env.OUT || path.join(root, "target/browser");
const project = path.join(root, "data/yichang/ironrule.toml");
const proposals = path.join(root, "data/yichang/proposals.geojson");
fs.mkdirSync(out, { recursive: true });

function startServer() {
  const child = spawn(bin, ["serve", "-p", project, "--bind", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${log}`)), 60000);
    child.stderr.on("data", d => {
      log += d;
      const m = log.match(/on http:\/\/([^/\s]+)\//);
      if (m && !child.addr) { child.addr = m[1]; clearTimeout(timer); resolve(child); }
    });
    child.on("exit", code => reject(new Error(`the server exited ${code}:\n${log}`)));
  });
}

/// `ironrule check --format json` on a file: the oracle for what the page shows.
function cliCheck(file, lang) {
  try {
    return JSON.parse(execFileSync(bin, ["check", "--lang", lang, "-p", project, "--format", "json", file], { encoding: "utf8" }));
  } catch (e) {
    if (e.status === 1) return JSON.parse(e.stdout);
    throw e;
  }
}

const server = await startServer();
const base = `http://${server.addr}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  timeout: 60000,
});
const errors = [];
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US", acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  page.on("pageerror", e => errors.push(`page error: ${e.message}`));
  // The broken file of step 5 is answered 422, which the browser logs as a failed resource.
  page.on("response", r => { if (r.status() === 404) errors.push(`404: ${r.url()}`); });
  page.on("console", m => { if (m.type() === "error" && !/status of 422/.test(m.text())) errors.push(`console: ${m.text()}`); });
  // No request leaves the machine: everything the page needs is served by ironrule.
  page.on("request", r => { if (!r.url().startsWith(base) && !r.url().startsWith("blob:") && !r.url().startsWith("data:")) errors.push(`outside request: ${r.url()}`); });

  await page.goto(`${base}/?lang=en`);
  await page.waitForSelector("#legend label");
  const layersLoaded = () => page.waitForFunction(() => Object.values(zoneLayers).every(z => !z.shown || z.loadedZoom === Math.round(map.getZoom())));
  await layersLoaded();
  // The legend shows the layers' titles, each with its own colour.
  const legend = await page.$$eval("#legend details[open] label:not([data-relief])", ls => ls.map(l => ({ title: l.textContent, colour: l.querySelector(".sw").style.borderColor })));
  const served = await (await fetch(`${base}/v1/layers`)).json();
  assert.equal(legend.length, served.layers.length);
  assert.ok(legend.some(l => l.title.includes("控规地块")), "the regulatory plan's parcels are on the map");
  // The demo DEM's hillshade lies under the zones, served by ironrule, and can be hidden.
  await page.waitForFunction(() => { const i = document.querySelector("img.leaflet-image-layer"); return i && i.complete && i.naturalWidth > 0; });
  const relief = await page.$eval("img.leaflet-image-layer", i => ({ src: i.src, w: i.naturalWidth, h: i.naturalHeight }));
  assert.ok(relief.src.endsWith("/v1/relief/terrain") && Math.max(relief.w, relief.h) === 1024, JSON.stringify(relief));
  assert.ok((await page.textContent("#legend label[data-relief]")).startsWith("Terrain, hillshade"));
  assert.ok(legend.some(l => l.title.startsWith("Ecological protection red line")), JSON.stringify(legend));
  assert.equal(new Set(legend.map(l => l.colour)).size, legend.length, `colours repeat: ${JSON.stringify(legend)}`);

  // 1. Draw the hillside-villas footprint (P06 of the demo) over the red line.
  const demo = JSON.parse(fs.readFileSync(proposals, "utf8"));
  const ring = demo.features[5].geometry.coordinates[0];
  // Keep clear of the legend (top right): it takes clicks for itself.
  await page.evaluate(r => map.fitBounds(r.map(([x, y]) => [y, x]), { paddingTopLeft: [60, 60], paddingBottomRight: [360, 60] }), ring);
  await layersLoaded();
  const box = await page.locator("#map").boundingBox();
  const pixels = await page.evaluate(r => r.map(([x, y]) => { const p = map.latLngToContainerPoint([y, x]); return [p.x, p.y]; }), ring.slice(0, -1));
  await page.click("#draw-polygon");
  for (const [x, y] of pixels) await page.mouse.click(box.x + x, box.y + y);
  await page.click("#finish");
  await page.selectOption("#attr-kind", "new");
  await page.selectOption("#attr-land_use", "residential");
  await page.fill("#attr-height_m", "12");
  await page.click("#check");
  await page.waitForSelector('.finding[data-code="YC201"]');
  const shown = await page.textContent('.finding[data-code="YC201"] .measure');
  // The oracle: the polygon the page drew, checked by the command line.
  const drawn = await page.evaluate(() => request());
  const drawnFile = path.join(out, "drawn.geojson");
  fs.writeFileSync(drawnFile, drawn.body);
  const cli = cliCheck(drawnFile, "en");
  const yc201 = cli.findings.find(f => f.code === "YC201");
  assert.ok(yc201, "the command line finds YC201 for the drawn polygon too");
  const expected = yc201.measure.value >= 100 ? yc201.measure.value.toFixed(1) : yc201.measure.value.toFixed(2);
  assert.ok(shown.includes(`measured ${expected} m²`), `page says "${shown}", check measures ${yc201.measure.value}`);
  assert.ok(Math.abs(yc201.measure.value - 60000) / 60000 < 0.03, `drawn area ${yc201.measure.value} m² is not P06's 60,000 m²`);
  assert.ok((await page.textContent('.finding[data-code="YC201"] .fix')).includes("take "), "a finding says what would resolve it");
  await page.screenshot({ path: path.join(out, "serve-draw.png") });

  // 2. Upload the demo proposals: every finding `check` reports.
  const expectedAll = cliCheck(proposals, "en");
  await page.setInputFiles("#file", proposals);
  await page.waitForFunction(n => document.querySelectorAll(".finding[data-code]").length === n, expectedAll.findings.length);
  const verdict = await page.textContent(".verdict");
  const prohibited = expectedAll.summary.by_severity.prohibited;
  const nf = expectedAll.findings.length === 1 ? "1 finding" : `${expectedAll.findings.length} findings`;
  assert.ok(verdict.includes(`${nf}, ${prohibited} prohibited`), verdict);
  const codes = await page.$$eval(".finding[data-code]", els => els.map(e => e.dataset.code).sort());
  assert.deepEqual(codes, expectedAll.findings.map(f => f.code).sort());
  // A setback finding draws the nearest points and the distance.
  await page.click('.finding[data-code="YC101"]');
  assert.ok(await page.locator(".dist-label").count() > 0, "distance labels are drawn");
  await page.screenshot({ path: path.join(out, "serve-map.png") });

  // 2b. A FlatGeobuf in the working CRS (EPSG:4546): its findings' parts are drawn in place.
  await page.setInputFiles("#file", path.join(root, "tests/data/proposals_4546.fgb"));
  await page.waitForFunction(() => document.querySelector(".verdict") && results.getLayers().length > 0);
  const drawnAt = await page.evaluate(() => { const b = results.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; });
  assert.ok(drawnAt[0] > 110.5 && drawnAt[2] < 112 && drawnAt[1] > 30 && drawnAt[3] < 31.5, `parts drawn at ${drawnAt}`);
  await page.setInputFiles("#file", proposals);
  await page.waitForFunction(n => document.querySelectorAll(".finding[data-code]").length === n && document.querySelector(".finding .feature").textContent.length > 0, expectedAll.findings.length);

  // 3. Chinese.
  await page.click("#lang");
  await page.waitForFunction(() => document.querySelector(".verdict") && document.querySelector(".verdict").textContent.includes("禁止"));
  assert.equal(await page.locator(".finding[data-code]").count(), expectedAll.findings.length);
  assert.equal(await page.textContent("#check"), "检查");
  // The verdict is redrawn before the findings: wait for the messages in Chinese (bounded).
  const zhCli = cliCheck(proposals, "zh").findings.filter(f => f.code === "YC201").map(f => f.message);
  await page.waitForFunction(msgs => {
    const m = document.querySelector('.finding[data-code="YC201"] .message');
    return m && msgs.includes(m.textContent);
  }, zhCli, { timeout: 15000 }).catch(() => {});
  const zhMessage = await page.textContent('.finding[data-code="YC201"] .message');
  assert.ok(zhCli.includes(zhMessage), `"${zhMessage}" is not one of check --lang zh's messages`);
  await page.screenshot({ path: path.join(out, "serve-map-zh.png") });

  // 4. Download SARIF (validated by run.sh against the SARIF 2.1.0 schema).
  const [download] = await Promise.all([page.waitForEvent("download"), page.selectOption("#download", "sarif")]);
  await download.saveAs(path.join(out, "serve.sarif"));
  const sarif = JSON.parse(fs.readFileSync(path.join(out, "serve.sarif"), "utf8"));
  assert.equal(sarif.runs[0].results.length, expectedAll.findings.length);

  // 5. A bad file: the error the command line gives, on the page.
  const bad = path.join(out, "broken.geojson");
  fs.writeFileSync(bad, '{"type":"FeatureCollection","features":[{"type":"Feature",');
  await page.setInputFiles("#file", bad);
  await page.waitForFunction(() => document.querySelector("#findings .finding.prohibited:not([data-code])"));
  assert.match(await page.textContent("#findings"), /broken\.geojson/);
  // An input that could not be read is never shown as a pass.
  const brokenVerdict = await page.locator(".verdict");
  assert.ok(await brokenVerdict.evaluate(e => e.classList.contains("fail")), "the verdict is a fail");
  assert.match(await brokenVerdict.textContent(), /不予通过|Not passed/);

  // 6. At phone width: nothing wider than the screen, the map and the panel stacked.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "zh-CN", isMobile: true, hasTouch: true });
  const p2 = await phone.newPage();
  await p2.goto(`${base}/`);
  await p2.waitForSelector("#legend summary");
  assert.equal(await p2.locator("#legend details[open]").count(), 0, "the legend is folded on a phone");
  const overflow = await p2.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a phone`);
  assert.equal(await p2.textContent("#check"), "检查", "a Chinese browser gets the Chinese page");
  await p2.screenshot({ path: path.join(out, "serve-phone.png") });
  await phone.close();

  assert.deepEqual(errors, []);
  console.log(`browser: drew P06 (YC201 ${expected} m², as check measures), uploaded ${expectedAll.findings.length} findings, zh, SARIF, phone width`);
} catch (e) {
  failed = true;
  console.error(e);
  if (errors.length) console.error(errors.join("\n"));
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
process.exit(failed ? 1 : 0);
