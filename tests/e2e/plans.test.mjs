// Resource plans in a real Chromium: the Unsubscribe page's tabs, filter and
// search; a used plan that cannot be given back; the unused two-day-old
// plan given back in full while every workspace stays; the capacity bars;
// and another account's ids answering 404.

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

const refundable = () => page.locator('#instances tbody tr', { hasText: '5-day unused money-back' });

test('the Unsubscribe page lists quotas and plans in two tabs', async () => {
  await page.goto(`${server.url}/console/unsubscribe`);
  assert.equal(await page.locator('#instances tbody tr').count(), 3);
  assert.equal(await page.locator('#instances tr[data-reason="ZERO_REFUNDABLE"]').count(), 1);
  await shotBoth(page, 'p01-unsubscribe-quotas');
  await page.getByRole('link', { name: /Resource Plans/ }).click();
  await page.waitForURL(/tab=plans/);
  assert.equal(await page.locator('#instances tbody tr').count(), 3);
  assert.equal(await refundable().count(), 1);
  await shotBoth(page, 'p02-unsubscribe-plans');
});

test('the commodity filter and the instance-id search narrow the list', async () => {
  await page.goto(`${server.url}/console/unsubscribe`);
  await page.getByLabel('Commodity Name').selectOption({ label: 'Spark Computing Resource Plan' });
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/commodity=spark_resource_plan/);
  assert.equal(await page.locator('#instances tbody tr').count(), 3);
  const id = await refundable().getAttribute('data-instance');
  await page.getByLabel('Instance ID').fill(id.slice(-10));
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=/);
  assert.equal(await page.locator('#instances tbody tr').count(), 1);
  assert.equal(await page.locator('#instances tbody tr').getAttribute('data-instance'), id);
});

test('a used plan and a plan past its window cannot be given back', async () => {
  await page.goto(`${server.url}/console/unsubscribe?tab=plans`);
  assert.equal(await page.locator('tr[data-reason="REFUND_WINDOW_PASSED"]').count(), 1);
  const used = page.locator('tr[data-reason="RESOURCE_PLAN_USED"]');
  // A row that cannot be given back now offers no button, only why.
  assert.equal(await used.getByRole('link', { name: 'Unsubscribe Resource' }).count(), 0);
  assert.equal(await page.locator('tr[data-reason="REFUND_WINDOW_PASSED"]').getByRole('link', { name: 'Unsubscribe Resource' }).count(), 0);
  await shot(page, 'p02b-plans-not-refundable-now');
  const id = await used.getAttribute('data-instance');
  await page.goto(`${server.url}/console/instances/${id}/unsubscribe`);
  await page.locator('.panel-refused[data-reason="RESOURCE_PLAN_USED"]').waitFor();
  assert.match(await page.locator('.reason').innerText(), /already been drawn/);
  assert.equal(await page.getByRole('button', { name: 'Unsubscribe' }).count(), 0);
  await shotBoth(page, 'p03-plan-not-eligible');
});

test('the resource plans page draws each plan capacity as a bar', async () => {
  await page.goto(`${server.url}/console/plans`);
  assert.equal(await page.locator('.plan-card svg.bar').count(), 3);
  // Only the plan that can be given back now offers the button.
  assert.equal(await page.locator('.plan-card').getByRole('link', { name: 'Unsubscribe Resource' }).count(), 1);
  await shotBoth(page, 'p04-plans');
});

test('the unused plan comes back in full and every workspace stays', async () => {
  await page.goto(`${server.url}/console/unsubscribe?tab=plans`);
  await refundable().getByRole('link', { name: 'Unsubscribe Resource' }).click();
  await page.locator('#refund-total').waitFor();
  assert.equal(await page.locator('#refund-total').innerText(), 'USD 107.36');
  assert.match(await page.locator('#destinations tr[data-rule="original_method"]').innerText(), /Visa ending 4242/);
  assert.equal(await page.locator('.panel-danger').count(), 0);
  await shotBoth(page, 'p05-review-plan');
  await page.getByLabel(/I have read the unsubscription terms/).check();
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await page.waitForURL(/\/console\/unsubscriptions\/uns_/);
  assert.equal(await page.locator('#refund-total').innerText(), 'USD 107.36');
  assert.match(await page.locator('.refund-table').innerText(), /On its way/);
  await shotBoth(page, 'p06-result-plan');

  await page.goto(`${server.url}/console/workspaces`);
  for (const name of ['etl-prod', 'ml-training', 'reporting', 'adhoc-queries']) {
    assert.equal(await page.locator(`tr[data-workspace="${name}"]`).count(), 1, name);
  }
  await page.goto(`${server.url}/console/plans`);
  // The plan given back shows what it released, not "Remaining 0" on an empty bar.
  const given = page.locator('.plan-card', { hasText: 'Unsubscribed' });
  assert.match(await given.locator('.bar-legend').innerText(), /Given back/);
  assert.equal(await given.locator('rect.bar-gone').count(), 1);
  await shotBoth(page, 'p07-plans-after');
});

test("another account's workspace, instance and refund answer 404", async () => {
  await signOut(page);
  await signIn(page, server.url, server.keys.customers['globex-data']);
  const workspace = await page.locator('tr[data-workspace="streaming"] td code').innerText();
  await page.goto(`${server.url}/console/unsubscribe`);
  const instance = await page.locator('#instances tbody tr').first().getAttribute('data-instance');
  await page.goto(`${server.url}/console/refunds`);
  const refund = await page.locator('.refund-table tbody tr').first().getAttribute('data-refund');
  assert.ok(workspace && instance && refund);
  await signOut(page);

  await signIn(page, server.url, server.keys.customers['acme-analytics']);
  for (const path of [
    `/console/instances/${instance}`,
    `/console/instances/${instance}/unsubscribe`,
    `/console/workspaces/${workspace}/delete`,
    `/console/workspaces/${workspace}/backup`,
    `/console/workspaces/${workspace}/renew`,
    `/console/refunds/${refund}`,
  ]) {
    const answer = await page.goto(`${server.url}${path}`);
    assert.equal(answer.status(), 404, path);
    assert.match(await page.locator('main').innerText(), /NOT_FOUND/, path);
  }
  await shotBoth(page, 'p08-not-found');
});
