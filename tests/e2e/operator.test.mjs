// The operator's console in a real Chromium, and what customers may not
// see of it: refunds with Retry, the audit log, the ledger check, policy
// versions and the simulated clock.

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
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('customers get 403 on operator pages', async () => {
  await signIn(page, server.url, server.keys.customers['acme-analytics']);
  for (const path of ['/console/operator', '/console/operator/refunds', '/console/operator/audit']) {
    const answer = await page.goto(`${server.url}${path}`);
    assert.equal(answer.status(), 403, path);
  }
  await page.getByText('FORBIDDEN').waitFor();
  await shotBoth(page, 'o01-forbidden');
  await signOut(page);
});

test('the overview shows a balanced ledger and the simulated clock', async () => {
  await signIn(page, server.url, server.keys.operator);
  assert.match(page.url(), /\/console\/operator$/);
  assert.match(await page.locator('#ledger').innerText(), /Balanced/);
  await page.getByLabel('Advance by').waitFor();
  await shotBoth(page, 'o02-overview');
});

test('a pending refund can be retried', async () => {
  await page.goto(`${server.url}/console/operator/refunds?status=pending`);
  const rows = page.locator('.refund-table tbody tr');
  assert.ok((await rows.count()) >= 1);
  await shotBoth(page, 'o03-refunds-pending');
  const id = await rows.first().getAttribute('data-refund');
  await rows.first().getByRole('button', { name: 'Retry' }).click();
  await page.waitForURL(/retried=/);
  assert.match(await page.locator('.notice').innerText(), new RegExp(`${id} is released`));
  await shot(page, 'o04-refund-retried');
});

test('the audit log lists the newest events', async () => {
  await page.goto(`${server.url}/console/operator/audit`);
  assert.ok((await page.locator('.audit-table tbody tr').count()) > 10);
  assert.match(await page.locator('.audit-table').innerText(), /refund\.retry/);
  await shotBoth(page, 'o05-audit');
});

test('a policy version is added, and a bad value is refused keeping what was typed', async () => {
  await page.goto(`${server.url}/console/operator/policy`);
  assert.match(await page.locator('label[for="effective_from"]').innerText(), /UTC\+08:00/);
  assert.equal(await page.locator('select#proration_unit').count(), 1);
  assert.equal(await page.locator('select#resource_plan_partial_refund').count(), 1);
  await shotBoth(page, 'o06-policy');
  await page.getByLabel('card_refund_max_age').fill('120d');
  await page.getByRole('button', { name: 'Add version' }).click();
  await page.waitForURL(/added=2/);
  assert.match(await page.locator('.notice').innerText(), /Policy version 2 was added/);
  await shot(page, 'o07-policy-added');

  await page.getByLabel('proration_unit').selectOption('second');
  await page.getByLabel('quote_ttl').fill('3d');
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Add version' }).click(),
  ]);
  assert.equal(answer.status(), 422);
  await page.locator('#policy-error').waitFor();
  assert.match(await page.locator('#policy-error').innerText(), /quote ttl/);
  assert.equal(await page.getByLabel('quote_ttl').inputValue(), '3d');
  assert.equal(await page.getByLabel('proration_unit').inputValue(), 'second');
  await shotBoth(page, 'o08-policy-refused');
});

test('the simulated clock moves forward', async () => {
  await page.goto(`${server.url}/console/operator`);
  await page.getByLabel('Advance by').selectOption('1d');
  await page.getByRole('button', { name: 'Advance' }).click();
  await page.waitForURL(/advanced=1d/);
  assert.match(await page.locator('.notice').innerText(), /moved forward by 1 day/);
  await shot(page, 'o09-clock-advanced');
});

test('operators are sent to their own pages and unknown pages answer 404', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  assert.match(page.url(), /\/console\/operator$/);
  const answer = await page.goto(`${server.url}/console/no-such-page`);
  assert.equal(answer.status(), 404);
  await shot(page, 'o10-unknown-page');
});
