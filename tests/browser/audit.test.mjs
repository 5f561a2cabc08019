// The audit's report.html in a real browser (Debian's chromium, driven by playwright-core):
// it loads nothing from the network, draws a bar per rule with findings and the density map,
// ranks the districts by name, and every worst feature's link scrolls to its evidence. In
// Chinese too. Screenshots go to $OUT (docs/ with UPDATE_SCREENSHOT=1 in tests/consumers/run.sh).
//   node tests/browser/audit.test.mjs   (after `cargo build`; run by tests/consumers/run.sh)
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const bin = process.env.IRONRULE_BIN || path.join(root, "target/debug/ironrule");
// Absolute: the report is opened by a file:// URL.
const out = path.resolve(process.env.OUT || path.join(root, "target/browser"));
const project = path.join(root, "data/yichang/ironrule.toml");
const proposals = path.join(root, "data/yichang/proposals.geojson");
fs.mkdirSync(out, { recursive: true });

/// `ironrule audit` into a folder: exit 1 (prohibited findings), as the demo promises.
function audit(lang) {
  const dir = path.join(out, `audit-${lang}`);
  try {
    execFileSync(bin, ["audit", "--lang", lang, "-p", project, "-o", dir, "--quiet", proposals]);
    throw new Error("audit exited 0; the demo has prohibited findings");
  } catch (e) {
    if (e.status !== 1) throw e;
  }
  return { dir, summary: JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")) };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  timeout: 60000,
});
let failed = false;
try {
  for (const lang of ["en", "zh"]) {
    const { dir, summary } = audit(lang);
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    const errors = [];
    const requests = [];
    page.on("pageerror", e => errors.push(`page error: ${e.message}`));
    page.on("request", r => requests.push(r.url()));
    await page.goto(`file://${dir}/report.html`);
    assert.deepEqual(errors, []);
    // Self-contained: the page itself is the only thing loaded.
    assert.deepEqual(requests.filter(u => !u.startsWith("file://")), [], "network requests");

    // A bar per rule with findings, with its count.
    const bars = await page.$$eval("#by-rule .bar", bs => bs.map(b => [b.dataset.key, Number(b.dataset.value)]));
    const expected = Object.entries(summary.by_rule).filter(([, r]) => r.findings > 0).map(([k, r]) => [k, r.findings]);
    assert.deepEqual(bars, expected);
    const widths = await page.$$eval("#by-rule rect", rs => rs.map(r => r.getBoundingClientRect().width));
    assert.ok(widths.every(w => w > 0), "every bar is drawn");

    // The density map: cells over the zones, summing to the findings.
    const cells = await page.$$eval("#density rect.cell", cs => cs.reduce((n, c) => n + Number(c.dataset.n), 0));
    assert.equal(cells, summary.findings);
    assert.ok(await page.locator("#density g.layer").count() > 0, "zones under the cells");

    // Districts by name, most findings first.
    const rows = await page.$$eval("#districts tr", trs => trs.slice(1).map(tr => [...tr.cells].map(td => td.textContent)));
    const names = summary.by_district.names;
    const totals = Object.entries(summary.by_district.districts)
      .map(([d, rules]) => [d, Object.values(rules).reduce((a, b) => a + b, 0)])
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    assert.deepEqual(rows.map(r => r[1]), totals.map(([d]) => `${names[d]} (${d})`));

    // Each worst feature's link scrolls to its evidence.
    const links = page.locator("#worst a");
    const n = await links.count();
    assert.ok(n > 0, "worst features listed");
    const last = links.nth(n - 1);
    const target = await last.getAttribute("href");
    await last.click();
    assert.ok(page.url().endsWith(target), page.url());
    const box = await page.locator(target).boundingBox();
    assert.ok(box && box.y >= -1 && box.y < 900, `${target} scrolled into view (${box && box.y})`);
    assert.ok((await page.locator(`${target} tr`).count()) > 1, "the evidence lists findings");

    if (lang === "zh") {
      assert.ok((await page.textContent("h1")).includes("审查报告"));
    }
    await page.goto(`file://${dir}/report.html`);
    await page.setViewportSize({ width: 1100, height: 1700 });
    await page.screenshot({ path: path.join(out, `audit-report-${lang}.png`) });
    await context.close();
  }
  console.log("audit report: self-contained, charts and density agree with summary.json, districts ranked by name, evidence links work (en, zh)");
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
