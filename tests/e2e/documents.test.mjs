// Invoices and credit notes in a real Chromium: the Documents page, an
// invoice opened from its order, a credit note reached from the result of
// a downgrade, and the printable page as print media shows it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, shot, shotBoth, signIn } from './support/browser.mjs';
import { startDemoServer } from './support/server.mjs';

let server;
let browser;
let page;

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

test('the documents page lists invoices and an invoice prints from its own page', async () => {
  await page.goto(`${server.url}/console/documents`);
  await page.getByRole('link', { name: 'Documents' }).first().waitFor();
  const first = page.locator('tr[data-document^="INV-"]').first();
  assert.ok((await page.locator('tr[data-document^="INV-"]').count()) >= 1, 'the demo purchases have invoices');
  await shotBoth(page, 'd01-documents');
  await first.getByRole('link').first().click();
  await page.waitForURL(/\/console\/documents\/doc_/);
  const text = await page.locator('body').innerText();
  assert.match(text, /Invoice/);
  assert.match(text, /INV-\d{4}-\d{6}/);
  assert.match(text, /Total due/);
  await shot(page, 'd02-invoice');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('nav.noprint').isVisible(), false, 'links are not printed');
  await shot(page, 'd03-invoice-print');
  await page.emulateMedia({ media: 'screen' });
  const pdf = await page.request.get(page.url() + '/pdf');
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.ok((await pdf.body()).subarray(0, 5).toString() === '%PDF-');
});

test('a downgrade links to its credit note, which names the invoice it credits', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await page.locator('tr[data-workspace="etl-prod"]').getByRole('link', { name: 'Change reserved CUs' }).click();
  await page.getByLabel(/CUs to keep/).fill('60');
  await page.getByRole('button', { name: 'Show the refund' }).click();
  await page.waitForURL(/\/downgrade\?cu=60$/);
  await page.getByLabel(/I have read what changes/).check();
  await page.getByRole('button', { name: 'Change reserved CUs' }).click();
  await page.waitForURL(/\/console\/unsubscriptions\/uns_/);
  const refund = (await page.locator('#refund-total').innerText()).trim();
  await page.locator('#credit-note').click();
  await page.waitForURL(/\/console\/documents\/doc_/);
  const text = await page.locator('body').innerText();
  assert.match(text, /Credit note/);
  assert.match(text, /CN-\d{4}-\d{6}/);
  assert.match(text, /Credits invoice\s+INV-\d{4}-\d{6}/);
  assert.match(text, /Refund destinations/);
  const digits = refund.replace(/^[^0-9]+/, '');
  assert.match(text, new RegExp(`Total credited\\s+\\$${digits.replace('.', '\\.')} USD`), `the total ${refund} is shown`);
  await shot(page, 'd04-credit-note');
});
