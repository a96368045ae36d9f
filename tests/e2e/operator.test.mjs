// The operator's console in a real Chromium, and what customers may not
// see of it: accounts, refunds with search and Retry, the audit log with
// filters, the ledger check, policy versions and the simulated clock.

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

test('the accounts list searches by name and opens an account page', async () => {
  await page.goto(`${server.url}/console/operator`);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
  await page.waitForURL(/\/console\/operator\/accounts$/);
  const rows = page.locator('.account-table tbody tr');
  assert.ok((await rows.count()) >= 2);
  assert.match(await page.locator('.account-table thead').innerText(), /Refunds pending/i);
  await shotBoth(page, 'o11-accounts');
  await page.getByLabel('Name or account ID').fill('ACME');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=ACME/);
  assert.equal(await rows.count(), 1);
  const name = await rows.first().locator('th a').innerText();
  await rows.first().locator('th a').click();
  await page.waitForURL(/\/console\/operator\/accounts\/acc_/);
  assert.equal(await page.locator('h1').innerText(), name);
  const text = await page.locator('main').innerText();
  for (const heading of ['Payment methods', 'Instances', 'Refunds', 'Balance entries']) {
    assert.match(text, new RegExp(heading));
  }
  assert.match(text, /Visa ending \d{4}|PayPal \(/, 'methods read as people know them');
  assert.match(text, /UTC\+08:00/);
  assert.doesNotMatch(text, / UTC(?![+-])/, 'every instant carries its offset');
  await shotBoth(page, 'o12-account');
  const refund = page.locator('.refund-table tbody tr').first().locator('th a');
  if ((await refund.count()) > 0) {
    await refund.click();
    await page.waitForURL(/\/console\/operator\/refunds\/ref_/);
    assert.match(await page.locator('main').innerText(), new RegExp(name));
  }
});

test('the audit log is filtered from the address and keeps a bad filter with a message', async () => {
  await page.goto(`${server.url}/console/operator/audit`);
  await page.getByLabel('Account', { exact: true }).fill('acme');
  await page.getByLabel('Event type').fill('order.paid');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/account=acme&action=order\.paid/);
  const rows = page.locator('.audit-table tbody tr');
  assert.ok((await rows.count()) >= 1);
  for (const what of await page.locator('.audit-table td[data-label="What"]').allInnerTexts()) {
    assert.equal(what, 'order.paid');
  }
  await shotBoth(page, 'o13-audit-filtered');
  const linked = page.url();
  await page.goto(linked);
  assert.equal(await page.getByLabel('Event type').inputValue(), 'order.paid', 'a filtered view can be linked');

  const answer = await page.goto(`${server.url}/console/operator/audit?account=nobody-at-all&action=order.paid`);
  assert.equal(answer.status(), 400);
  assert.match(await page.locator('#audit-problem').innerText(), /No account is named “nobody-at-all”/);
  assert.doesNotMatch(await page.locator('#audit-problem').innerText(), /INVALID/);
  assert.equal(await page.getByLabel('Account', { exact: true }).inputValue(), 'nobody-at-all');
  await shotBoth(page, 'o14-audit-refused');
});

test('a refund search opens a refund by its id or lists an account\'s refunds', async () => {
  await page.goto(`${server.url}/console/operator/refunds`);
  const id = await page.locator('.refund-table tbody tr').first().getAttribute('data-refund');
  await page.getByLabel('Refund ID, account name or account ID').fill(id);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(new RegExp(`/console/operator/refunds/${id}$`));
  assert.match(await page.locator('h1').innerText(), /^Refund /);
  await shotBoth(page, 'o15-refund');
  await page.goto(`${server.url}/console/operator/refunds`);
  await page.getByLabel('Refund ID, account name or account ID').fill('GLOBEX');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=GLOBEX/);
  assert.match(await page.locator('#refund-account').innerText(), /Refunds of\s+globex-data/);
  const accounts = await page.locator('.refund-table td[data-label="Account"] a').allInnerTexts();
  assert.ok(accounts.length >= 1 && accounts.every((a) => a === 'globex-data'), accounts.join());
  await shotBoth(page, 'o16-refunds-of-account');
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
