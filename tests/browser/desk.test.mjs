// desk.test.mjs: the desk page (desk/) in Debian's chromium, driven by
// playwright-core (no browser download). Started by run.sh with two servers:
//   DESK_URL        an open server, empty (this script loads its fixtures)
//   DESK_KEYED_URL  a server with a key file; DESK_READ_KEY, DESK_WRITE_KEY
//   DESK_OUT        where screenshots and timings.json go
// Or, to measure a loaded server: node desk.test.mjs --measure URL [QUERY].
// Every journey fails on a page error, a console error of the page (the
// expected 401 of the keyed journey aside), a CSP refusal, or a dialog.
// Timings are the page's own "view:*" measures (app.js): reported, never
// asserted. Each wait is bounded (WAIT ms); the whole run by run.sh's timeout.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const WAIT = 15000;
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const out = process.env.DESK_OUT || 'browser-out';
mkdirSync(out, { recursive: true });
const timings = [];
const results = [];

async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: 60000, // a loaded 2-core machine has taken 25 s to start it
  });
}

// A page that records what must not happen.
async function newPage(browser, opts = {}) {
  const ctx = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (opts.allow401 && /status of 401/.test(m.text())) return;
    page.problems.push('console error: ' + m.text());
  });
  page.on('dialog', (d) => { page.problems.push('dialog: ' + d.message()); d.dismiss().catch(() => {}); });
  return page;
}

async function viewTime(page, name) {
  // a selector, not waitForFunction: its polling evaluates strings, which the
  // page's CSP (rightly) refuses
  await page.locator(`body[data-shown="${name}"]`).waitFor({ state: 'attached' });
  const ms = await page.evaluate((n) => {
    const e = performance.getEntriesByName('view:' + n);
    return e[e.length - 1].duration;
  }, name);
  return Math.round(ms * 10) / 10;
}

async function shot(page, name) {
  await page.screenshot({ path: `${out}/${name}.png`, fullPage: false });
}

async function axe(page, label) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  results.push({ axe: label, violations: r.violations.map((v) => `${v.impact} ${v.id}`) });
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), [],
    `${label}: serious or critical accessibility violations`);
}

function clean(page) {
  assert.deepEqual(page.problems, [], 'the page reported problems');
}

async function api(base, method, path, body, key) {
  const headers = { 'Content-Type': path.endsWith('_bulk') ? 'application/x-ndjson' : 'application/json' };
  if (key) headers.Authorization = 'Bearer ' + key;
  const res = await fetch(base + path, { method, headers, body, signal: AbortSignal.timeout(WAIT) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text;
}

// ---- fixtures ---------------------------------------------------------------
const HOSTILE = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2;alert(2)</script>';
const now = Date.now();
const iso = (minsAgo) => new Date(now - minsAgo * 60e3).toISOString().replace(/\.\d+Z$/, 'Z');
const summitBody = 'Russian Foreign Minister Sergei Lavrov met Secretary of State Antony Blinken in Geneva ' +
  'on Tuesday for talks on Ukraine. Lavrov said the harbour meeting was useful. Blinken said ' +
  'the United States would answer in writing next week. The talks in Geneva lasted two hours.';
function fixtures() {
  const lines = [
    { id: 'afp-summit', title: 'Lavrov and Blinken meet in Geneva', body: summitBody, source: 'AFP', published_at: iso(90), tags: ['diplomacy'] },
    { id: 'reu-summit', title: 'Lavrov, Blinken hold Geneva talks', body: summitBody, source: 'Reuters', published_at: iso(80) },
    { id: 'ap-summit', title: 'Geneva talks: Lavrov meets Blinken', body: summitBody + ' Both sides agreed to keep talking.', source: 'AP', published_at: iso(70) },
    { id: 'hostile-1', title: 'Harbour ' + HOSTILE, body: 'Harbour text ' + HOSTILE + ' "><svg onload=alert(3)> &lt;b&gt;not bold&lt;/b&gt; Sergei Lavrov',
      source: '<b onmouseover=alert(4)>Evil</b>', author: '<iframe src="javascript:alert(5)"></iframe>',
      language: 'en', url: 'javascript:alert(6)', tags: ['<script>alert(7)</script>'], published_at: iso(60) },
  ];
  for (let i = 0; i < 26; i++)
    lines.push({ id: `harbour-${i}`, title: `Harbour report number ${i}`, source: i % 2 ? 'AFP' : 'BBC',
      body: `The harbour authority published report ${i} on shipping volumes in district ${i * 7}, ` +
        `with ${i + 3} new berths and a dredging plan for basin ${String.fromCharCode(65 + (i % 26))}.`,
      published_at: iso(200 + i) });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

// ---- journeys ----------------------------------------------------------------
async function journey(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ journey: name, ok: true, ms: Date.now() - t0 });
    console.log(`ok    ${name}`);
  } catch (e) {
    results.push({ journey: name, ok: false, error: String(e.message || e) });
    console.log(`FAIL  ${name}: ${e.message || e}`);
  }
}

async function run(browser) {
  const base = process.env.DESK_URL;
  await api(base, 'POST', '/v1/articles/_bulk', fixtures());

  await journey('front page, its stories, live article', async () => {
    const page = await newPage(browser);
    await page.goto(base + '/');
    const t = await viewTime(page, 'front');
    timings.push({ view: 'front', ms: t });
    await page.getByRole('heading', { name: 'Biggest stories' }).waitFor();
    await page.locator('#livestate', { hasText: 'Live' }).waitFor();
    await api(base, 'POST', '/v1/articles', JSON.stringify({ id: 'live-1', title: 'Breaking: live harbour article',
      body: 'A new article about the harbour, sent while the desk is open.', source: 'AFP' }));
    await page.locator('#latest li', { hasText: 'Breaking: live harbour article' }).first().waitFor();
    await shot(page, 'front');
    await axe(page, 'front');
    clean(page);
  });

  await journey('search as you type, sort and page', async () => {
    const page = await newPage(browser);
    await page.goto(base + '/');
    await viewTime(page, 'front');
    await page.getByLabel('Search articles').pressSequentially('harbour', { delay: 30 });
    await page.waitForURL(/\?q=harbour/);
    await page.locator('.hits li').first().waitFor();
    timings.push({ view: 'search', ms: await viewTime(page, 'search') });
    assert.equal(await page.locator('.hits li').count(), 20, 'a first page of 20');
    assert.ok(await page.locator('.hits mark').count() > 0, 'matches marked');
    await shot(page, 'search');
    await axe(page, 'search');
    await page.getByRole('link', { name: 'Next page →' }).click();
    await page.waitForURL(/cursor=/);
    await page.locator('.hits li').first().waitFor();
    assert.ok(await page.locator('.hits li').count() >= 1, 'a second page');
    await page.getByLabel('Sort').selectOption('newest');
    await page.waitForURL(/sort=newest/);
    await page.goBack();
    await page.waitForURL((u) => !/sort=newest/.test(u.search));
    clean(page);
  });

  await journey('a shared search URL with a filter', async () => {
    const page = await newPage(browser, { viewport: { width: 390, height: 844 } }); // a phone
    await page.goto(base + '/?q=lavrov&source=AFP');
    timings.push({ view: 'search (shared URL)', ms: await viewTime(page, 'search') });
    await page.locator('.hits li', { hasText: 'Lavrov and Blinken meet in Geneva' }).waitFor();
    assert.equal(await page.getByLabel('Search articles').inputValue(), 'lavrov');
    await page.locator('.chip', { hasText: 'source: AFP' }).waitFor();
    await shot(page, 'search-phone');
    clean(page);
  });

  await journey('open a story, then an article and its entity', async () => {
    const page = await newPage(browser);
    await page.goto(base + '/?q=geneva');
    await viewTime(page, 'search');
    await page.locator('.hits a', { hasText: 'Lavrov and Blinken meet in Geneva' }).click();
    timings.push({ view: 'article', ms: await viewTime(page, 'article') });
    await page.locator('.article .body').waitFor();
    await shot(page, 'article');
    await axe(page, 'article');
    await page.getByRole('link', { name: 'its story' }).click();
    timings.push({ view: 'story', ms: await viewTime(page, 'story') });
    const rows = page.locator('table.members tbody tr');
    await rows.first().waitFor();
    assert.ok(await rows.count() >= 2, 'the story holds the copies');
    assert.ok(await page.locator('table.members tr.copy').count() >= 1, 'a copy is shown as one');
    await shot(page, 'story');
    await axe(page, 'story');
    await page.goto(base + '/?article=afp-summit');
    await page.locator('a.mention', { hasText: 'Lavrov' }).first().click();
    timings.push({ view: 'entity', ms: await viewTime(page, 'entity') });
    await page.getByRole('heading', { name: 'Related entities' }).waitFor();
    await page.locator('#h-related-entities ~ div[aria-busy="false"]').waitFor({ state: 'attached' });
    await shot(page, 'entity');
    await axe(page, 'entity');
    clean(page);
  });

  await journey('hostile text is shown inert', async () => {
    const page = await newPage(browser);
    for (const url of ['/?q=harbour%20text', '/?article=hostile-1', '/']) {
      await page.goto(base + url);
      await page.locator('#view[aria-busy="false"]').waitFor({ state: 'attached' });
    }
    await page.goto(base + '/?article=hostile-1');
    await viewTime(page, 'article');
    const h1 = await page.locator('#view h1').textContent();
    assert.ok(h1.includes('<script>window.__pwned=2;alert(2)</script>'), 'the title shows as text');
    assert.ok((await page.locator('.article .meta').textContent()).includes('<b onmouseover=alert(4)>Evil</b>'));
    assert.equal(await page.locator('.article script, .article img, .article iframe, .article svg, .article b').count(), 0);
    assert.equal(await page.locator('a[href^="javascript:"]').count(), 0, 'no javascript: link');
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
    await shot(page, 'hostile');
    clean(page);
  });

  await journey('a keyed server asks for the read key', async () => {
    const keyed = process.env.DESK_KEYED_URL;
    await api(keyed, 'POST', '/v1/articles/_bulk', fixtures(), process.env.DESK_WRITE_KEY);
    const page = await newPage(browser, { allow401: true });
    await page.goto(keyed + '/?q=lavrov');
    await page.locator('#keybox').waitFor({ state: 'visible' });
    await shot(page, 'key');
    await axe(page, 'key prompt');
    await page.getByLabel('Read key', { exact: true }).fill('wrong-key-0123456789abcdef');
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('#keyerror', { hasText: 'refused' }).waitFor();
    await page.getByLabel('Read key', { exact: true }).fill(process.env.DESK_READ_KEY);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('.hits li').first().waitFor();
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('articled.readKey')), process.env.DESK_READ_KEY);
    await page.goto(keyed + '/');
    await page.locator('#livestate', { hasText: 'Live' }).waitFor();
    clean(page);
  });
}

// The figures against a loaded server: each view opened by its URL, 3 times
// (the first and the best reported), no assertions but that it renders.
async function measure(browser, base, query) {
  const page = await newPage(browser);
  const st = await (await fetch(base + '/v1/stories?limit=1&min_articles=3')).json();
  const en = await (await fetch(base + '/v1/entities?limit=1')).json();
  const ar = await (await fetch(base + '/v1/search?limit=1&q=' + encodeURIComponent(query))).json();
  const views = [
    ['front', '/'],
    ['search', '/?q=' + encodeURIComponent(query)],
    ['search', '/?q=' + encodeURIComponent(query) + '&sort=newest'],
    ['story', '/?story=' + st.stories[0].id],
    ['entity', '/?entity=' + encodeURIComponent(en.entities[0].id)],
    ['article', '/?article=' + encodeURIComponent(ar.hits[0].id)],
  ];
  for (const [name, url] of views) {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(base + url);
      runs.push(await viewTime(page, name));
    }
    const t = { view: name, url, first_ms: runs[0], best_ms: Math.min(...runs) };
    if (name === 'entity') {
      await page.locator('#h-related-entities ~ div[aria-busy="false"]').waitFor({ state: 'attached', timeout: 60000 });
      t.related_ms = Math.round(await page.evaluate(() => performance.getEntriesByName('part:related').pop().duration));
    }
    timings.push(t);
    await shot(page, 'measure-' + name + (url.includes('newest') ? '-newest' : ''));
  }
  clean(page);
}

let browser;
try {
  browser = await launch();
} catch (e) {
  console.log('browser: skipped (chromium cannot start: ' + String(e.message).split('\n')[0] + ')');
  process.exit(77);
}
try {
  if (process.argv[2] === '--measure') await measure(browser, process.argv[3], process.argv[4] || 'oil prices');
  else await run(browser);
} finally {
  await browser.close();
}
writeFileSync(`${out}/timings.json`, JSON.stringify({ timings, results }, null, 2) + '\n');
for (const t of timings) console.log('time', JSON.stringify(t));
for (const r of results.filter((x) => x.axe)) console.log('axe', r.axe, r.violations.length ? r.violations.join(', ') : 'no violations');
const failed = results.filter((r) => r.journey && !r.ok).length;
console.log(`browser: ${results.filter((r) => r.journey).length} journeys, ${failed} failed; screenshots in ${out}`);
process.exit(failed ? 1 : 0);
