// Bills & usage in a real Chromium: the chart of CU-hours per day stacked
// by how they were covered, the table by day and workspace, the CSV
// downloads of usage and refunds read back, the page at 390 px, in the
// dark colour scheme, and refund pages as print media shows them.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { launch, shot, shotBoth, signIn } from './support/browser.mjs';
import { startDemoServer } from './support/server.mjs';

let server;
let browser;
let page;

const USAGE_COLUMNS = [
  'date', 'workspace_id', 'workspace_name', 'usage_cu_hours', 'quota_cu_hours', 'plan_cu_hours',
  'pay_as_you_go_cu_hours', 'charge_minor', 'currency',
];

/** Days around now, wide enough for the demo's last 48 hours of usage. */
function around() {
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  return { from: day(-6), to: day(2) };
}

/** Parses CSV text as the csv crate writes it (quotes doubled inside quoted fields). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') { quoted = false; } else { field += c; }
    } else if (c === '"') { quoted = true; } else if (c === ',') { row.push(field); field = ''; } else if (c === '\n') {
      row.push(field); rows.push(row); row = []; field = '';
    } else if (c !== '\r') { field += c; }
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

async function download(link) {
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  return parseCsv(await readFile(await file.path(), 'utf8'));
}

before(async () => {
  server = await startDemoServer();
  browser = await launch();
  page = browser.page;
  await signIn(page, server.url, server.keys.customers['acme-analytics']);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the page charts usage per day by how it was covered and lists it by workspace', async () => {
  await page.getByRole('link', { name: 'Bills & usage' }).click();
  await page.waitForURL(/\/console\/bills$/);
  const { from, to } = around();
  await page.getByLabel('From', { exact: true }).fill(from);
  await page.getByLabel('Until (not included)').fill(to);
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/\/console\/bills\?from=/);
  assert.equal(await page.getByRole('link', { name: 'Bills & usage' }).getAttribute('aria-current'), 'page');
  const chart = page.getByRole('img', { name: /CU-hours per day/ });
  await chart.waitFor();
  // The demo's usage is covered by quotas and plans alone.
  assert.ok((await page.locator('svg rect.seg-quota').count()) >= 1, 'quota coverage is drawn');
  assert.ok((await page.locator('svg rect.seg-plan').count()) >= 1, 'plan draws are drawn');
  assert.match(await page.locator('svg rect.seg-plan title').first().textContent(), /CU-hours from resource plans/);
  const legend = await page.locator('.legend').innerText();
  for (const part of ['Covered by quota', 'From resource plans', 'Pay-as-you-go']) assert.match(legend, new RegExp(part));
  const adhoc = page.locator('tbody tr', { hasText: 'adhoc-queries' }).first();
  await adhoc.waitFor();
  assert.match(await adhoc.locator('td[data-label="Charged"]').innerText(), /^USD \d/);
  assert.match(await page.locator('tfoot').innerText(), /Total/);
  await shotBoth(page, 'b01-bills');
  await page.emulateMedia({ colorScheme: 'dark' });
  const ground = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  assert.equal(ground, 'rgb(15, 20, 27)', 'the dark scheme follows the system setting');
  await shotBoth(page, 'b02-bills-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('the usage CSV has the report columns and one row per table row', async () => {
  const { from, to } = around();
  await page.goto(`${server.url}/console/bills?from=${from}&to=${to}`);
  const shown = await page.locator('tbody tr').count();
  const rows = await download(page.getByRole('link', { name: 'Download usage (CSV)' }));
  assert.deepEqual(rows[0], USAGE_COLUMNS);
  assert.equal(rows.length - 1, shown);
  const adhoc = rows.find((r) => r[2] === 'adhoc-queries');
  assert.ok(adhoc, 'the pay-as-you-go workspace is exported by name');
  assert.match(adhoc[7], /^\d+$/, 'charges are integers of minor units');
  assert.equal(adhoc[8], 'USD');
  const orders = await download(page.getByRole('link', { name: 'Download orders (CSV)' }));
  assert.equal(orders[0][0], 'id');
  assert.ok(orders.slice(1).every((o) => o[0].startsWith('ord_')), 'one order per row');
  assert.ok(orders.length > 2);
});

/** Checks the page as print media shows it: no navigation or buttons, black on white. */
async function printed(name) {
  await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
  assert.equal(await page.locator('header.top').isVisible(), false, `${name}: the navigation is not printed`);
  assert.equal(await page.locator('main .btn:visible, main button:visible').count(), 0, `${name}: no buttons`);
  const [ink, paper] = await page.evaluate(() => [getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor]);
  assert.deepEqual([ink, paper], ['rgb(0, 0, 0)', 'rgb(255, 255, 255)'], `${name}: black on white`);
  await shot(page, name);
  await page.emulateMedia({ media: 'screen', colorScheme: 'light' });
}

test('the review, the result and the refund print plainly, and refunds download as CSV', async () => {
  await page.goto(`${server.url}/console/unsubscribe?tab=plans`);
  await page.locator('#instances tbody tr', { hasText: '5-day unused money-back' })
    .getByRole('link', { name: 'Unsubscribe Resource' }).click();
  await page.locator('#refund-total').waitFor();
  await printed('b03-review-print');
  await page.getByLabel(/I have read the unsubscription terms/).check();
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await page.waitForURL(/\/console\/unsubscriptions\/uns_/);
  await printed('b04-result-print');

  await page.goto(`${server.url}/console/refunds`);
  const shown = await page.locator('tbody tr').count();
  assert.ok(shown >= 1, 'the refund of the plan is listed');
  const rows = await download(page.getByRole('link', { name: 'Download refunds (CSV)' }));
  assert.equal(rows[0].join(','), 'id,created_at,order_id,from,to,rule,status,amount_minor,currency,expected_by,rerouted_from');
  assert.equal(rows.length - 1, shown);
  assert.ok(rows.slice(1).some((r) => r[7] === '10736' && r[8] === 'USD'), 'USD 107.36 in minor units');
  await page.locator('tbody tr a[href^="/console/refunds/ref_"]').first().click();
  await page.waitForURL(/\/console\/refunds\/ref_/);
  await shotBoth(page, 'b05-refund');
  await printed('b06-refund-print');
});
