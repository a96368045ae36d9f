// Changing a quota while keeping its workspace, in a real Chromium:
// "Change reserved CUs" (a downgrade) with the refund of the removed CUs'
// share and the change drawn on the quota's timeline, a downgrade below the
// region's minimum refused, and "Switch to pay-as-you-go" with its
// type-to-confirm.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, shot, shotBoth, signIn, signOut } from './support/browser.mjs';
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

const row = (name) => page.locator(`tr[data-workspace="${name}"]`);

test('a quota keeps fewer CUs, refunds their share and keeps its workspace', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await row('etl-prod').getByRole('link', { name: 'Change reserved CUs' }).click();
  await page.getByLabel(/CUs to keep/).fill('60');
  await page.getByRole('button', { name: 'Show the refund' }).click();
  await page.waitForURL(/\/downgrade\?cu=60$/);
  const stays = await page.locator('#what-stays').innerText();
  assert.match(stays, /keeps 60 CU instead of 100 CU/);
  assert.match(stays, /etl-prod stays with all its jobs/);
  assert.match(await page.locator('.receipt').first().innerText(), /Share of the removed CUs/);
  assert.ok((await page.locator('#destinations tbody tr').count()) >= 1);
  const refund = await page.locator('#refund-total').innerText();
  await shotBoth(page, 'c01-downgrade-review');

  await page.getByLabel(/I have read what changes/).check();
  await page.getByRole('button', { name: 'Change reserved CUs' }).click();
  await page.waitForURL(/\/console\/unsubscriptions\/uns_/);
  assert.match(await page.locator('h1').innerText(), /Reserved CUs changed to 60/);
  assert.equal(await page.locator('#refund-total').innerText(), refund);
  assert.equal(await page.locator('#workspace-deleted').count(), 0, 'a downgrade deletes nothing');
  await shotBoth(page, 'c02-downgrade-done');

  await page.goto(`${server.url}/console/workspaces`);
  assert.match(await row('etl-prod').innerText(), /60 CU/);
  await row('etl-prod').getByRole('link', { name: '60 CU' }).click();
  await page.locator('.timeline').waitFor();
  assert.equal(await page.locator('.timeline line.change').count(), 1);
  assert.match(await page.locator('.timeline text.change-label').textContent(), /60 CU/);
  await shotBoth(page, 'c03-downgrade-timeline');
});

test('a downgrade below the region minimum is refused with its reason', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  const href = await row('etl-prod').getByRole('link', { name: 'Change reserved CUs' }).getAttribute('href');
  await page.goto(`${server.url}${href}?cu=10`);
  await page.locator('[data-reason="QUOTA_BELOW_MINIMUM"]').waitFor();
  assert.equal(await page.locator('#change-form').count(), 0);
  await shot(page, 'c04-downgrade-below-minimum');
});

test('switching to pay-as-you-go asks for the workspace name and keeps the workspace', async () => {
  await signOut(page);
  await signIn(page, server.url, server.keys.customers['globex-data']);
  await page.goto(`${server.url}/console/workspaces`);
  await row('streaming').getByRole('link', { name: 'Switch to pay-as-you-go' }).click();
  await page.locator('#change-form').waitFor();
  assert.match(await page.locator('#what-stays').innerText(), /billed pay-as-you-go/);
  await shotBoth(page, 'c05-switch-review');
  await page.getByLabel(/Type the workspace name/).fill('stream');
  await page.getByLabel(/I have read what changes/).check();
  await page.getByRole('button', { name: 'Switch to pay-as-you-go' }).click();
  await page.locator('#change-error').waitFor();
  assert.match(await page.locator('#change-error').innerText(), /workspace's name/);
  await page.getByLabel(/Type the workspace name/).fill('streaming');
  await page.getByLabel(/I have read what changes/).check();
  await page.getByRole('button', { name: 'Switch to pay-as-you-go' }).click();
  await page.waitForURL(/\/console\/unsubscriptions\/uns_/);
  assert.match(await page.locator('h1').innerText(), /Switched to pay-as-you-go/);
  await shotBoth(page, 'c06-switch-done');
  await page.goto(`${server.url}/console/workspaces`);
  assert.match(await row('streaming').innerText(), /Pay-as-you-go/);
  assert.equal(await row('streaming').getByRole('link', { name: 'Switch to pay-as-you-go' }).count(), 0);
});
