// The customer's quota journey in a real Chromium: sign in, the workspace
// list, quotas that cannot be refunded, backing up job scripts, deleting a
// workspace (the unsubscription of its quota) with a wrong and then the
// right name, the refund it made, renewing, and a form without its CSRF
// token.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { launch, shot, shotBoth, signIn } from './support/browser.mjs';
import { startDemoServer } from './support/server.mjs';
import { readTarGz } from './support/tar.mjs';

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

const row = (name) => page.locator(`tr[data-workspace="${name}"]`);

test('the console asks for a key and refuses a wrong one', async () => {
  const answer = await page.goto(`${server.url}/`);
  assert.equal(answer.status(), 200);
  assert.match(page.url(), /\/console\/sign-in$/);
  await shotBoth(page, 'q01-sign-in');
  await page.getByLabel('API key').fill('sbk_not_a_real_key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /not valid/);
  await shot(page, 'q02-sign-in-wrong-key');
});

test('signing in sets a strict, HttpOnly session cookie scoped to the console', async () => {
  await signIn(page, server.url, server.keys.customers['acme-analytics']);
  const cookies = await browser.context.cookies(`${server.url}/console/workspaces`);
  const session = cookies.find((c) => c.name === 'sb_session');
  assert.ok(session, 'no session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(session.path, '/console');
  assert.doesNotMatch(session.value, new RegExp(server.keys.customers['acme-analytics']));
});

test('the workspace list shows each quota with its expiration', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  for (const name of ['etl-prod', 'ml-training', 'reporting', 'adhoc-queries']) {
    await row(name).waitFor();
  }
  assert.match(await row('etl-prod').innerText(), /100 CU/);
  assert.match(await row('etl-prod').innerText(), /\d{4}-\d{2}-\d{2}/);
  assert.match(await row('adhoc-queries').innerText(), /Pay-as-you-go/);
  await shotBoth(page, 'q03-workspaces');
});

test('the keyboard reaches every action and shows where it is', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Skip to content');
  // Tab on through the navigation until the first row's first action.
  let focused = null;
  for (let i = 0; i < 30 && focused?.text !== 'Back up job scripts'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { text: el.textContent.trim(), outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    });
  }
  assert.equal(focused.text, 'Back up job scripts', 'the keyboard reaches the first row action');
  assert.equal(focused.outline, 'solid');
  assert.ok(focused.width >= 2);
  await shot(page, 'q03b-keyboard-focus');
});

test('a pay-as-you-go workspace is deleted without a refund once its name is typed', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await row('adhoc-queries').getByRole('link', { name: 'Delete' }).click();
  await page.locator('#no-refund').waitFor();
  assert.match(await page.locator('#no-refund').innerText(), /pay-as-you-go/);
  assert.match(await page.locator('.panel-danger').innerText(), /cannot be restored/);
  assert.equal(await page.getByRole('link', { name: /Download a backup/ }).count(), 1);
  await shotBoth(page, 'q04-delete-without-refund');
  await page.getByLabel(/Type the workspace name/).fill('adhoc');
  await page.getByLabel(/deleted for good and that nothing is refunded/).check();
  await page.getByRole('button', { name: 'Delete workspace' }).click();
  await page.locator('#delete-error').waitFor();
  assert.match(await page.locator('#delete-error').innerText(), /does not match/);
  assert.doesNotMatch(await page.locator('#delete-error').innerText(), /CONFIRMATION_MISMATCH/);
  await page.getByLabel(/Type the workspace name/).fill('adhoc-queries');
  await page.getByLabel(/deleted for good and that nothing is refunded/).check();
  await page.getByRole('button', { name: 'Delete workspace' }).click();
  await page.waitForURL(/\/console\/workspaces\?deleted=ws_/);
  assert.match(await page.locator('.notice').innerText(), /adhoc-queries was deleted .* Nothing was refunded/);
  assert.equal(await row('adhoc-queries').count(), 0);
  await shotBoth(page, 'q04b-deleted-without-refund');
});

test('a quota on its last day refunds nothing, says why, and its workspace can still be deleted', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await row('ml-training').getByRole('link', { name: 'Delete' }).click();
  await page.locator('#no-refund').waitFor();
  assert.match(await page.locator('#no-refund').innerText(), /every paid day has been used/);
  assert.equal(await page.getByRole('button', { name: 'Unsubscribe' }).count(), 0);
  await shotBoth(page, 'q05-last-day-delete');
  await page.goto(`${server.url}/console/unsubscribe`);
  const quota = page.locator('tr', { hasText: 'ml-training' });
  assert.equal(await quota.getByRole('link', { name: /Unsubscribe/ }).count(), 0);
  await page.goto(`${server.url}${await quota.getByRole('link').first().getAttribute('href')}/unsubscribe`);
  await page.locator('[data-reason="ZERO_REFUNDABLE"]').waitFor();
  assert.match(await page.locator('.reason').innerText(), /every paid day has been used/);
  // The calculation is still shown: the coupon struck out of the cash.
  assert.ok((await page.locator('.receipt del').count()) >= 1);
  await shotBoth(page, 'q05b-zero-refundable');
});

test('the backup download holds every job script', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row('etl-prod').getByRole('link', { name: 'Back up job scripts' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^etl-prod-jobs-.*\.tar\.gz$/);
  const entries = readTarGz(await readFile(await download.path()));
  for (const job of ['daily_sessions.py', 'churn_features.py', 'revenue_report.sql', 'compact_lake.py']) {
    assert.ok(entries.has(`jobs/${job}`), `backup lacks ${job}: ${[...entries.keys()]}`);
  }
  assert.match(entries.get('jobs/daily_sessions.py'), /SparkSession/);
  assert.equal(JSON.parse(entries.get('manifest.json')).jobs.length, 4);
});

test('deleting etl-prod refuses a wrong name, then refunds once and deletes it', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await row('etl-prod').getByRole('link', { name: 'Delete' }).click();
  await page.locator('.panel-danger').waitFor();
  const warning = await page.locator('.panel-danger').innerText();
  assert.match(warning, /4 jobs and 3 data objects/);
  assert.match(warning, /cannot be restored/);
  const rule = page.locator('#destinations tr[data-rule="card_older_than_max_age"]');
  assert.match(await rule.innerText(), /card payment older than 150 days → account balance/);
  await shotBoth(page, 'q06-review-quota');

  await page.getByLabel(/Type the workspace name/).fill('etl-prd');
  await page.getByLabel(/I have read the unsubscription terms/).check();
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await page.locator('#review-error').waitFor();
  assert.match(await page.locator('#review-error').innerText(), /CONFIRMATION_MISMATCH/);
  await shot(page, 'q07-review-wrong-name');

  const refund = await page.locator('#refund-total').innerText();
  const form = await page.locator('form.confirm-form').evaluate((f) => ({
    action: f.action,
    fields: Object.fromEntries(new FormData(f).entries()),
  }));
  await page.getByLabel(/Type the workspace name/).fill('etl-prod');
  await page.getByLabel(/I have read the unsubscription terms/).check();
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await page.waitForURL(/\/console\/unsubscriptions\/uns_/);
  const resultUrl = page.url();
  assert.equal(await page.locator('#refund-total').innerText(), refund);
  assert.match(await page.locator('#workspace-deleted').innerText(), /etl-prod was deleted with 4 jobs, 3 data objects/);
  assert.match(await page.locator('.refund-table').innerText(), /account balance/);
  await shotBoth(page, 'q08-result-quota');

  // The same form sent again (a double click, a reload) changes nothing.
  // The browser follows the replay's redirect: wait for that page too, or
  // the next navigation would be cut short by it.
  const [replay] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === form.action),
    page.waitForEvent('load'),
    page.evaluate(({ action, fields }) => {
      const again = document.createElement('form');
      again.method = 'post';
      again.action = action;
      for (const [name, value] of Object.entries({ ...fields, confirm_name: 'etl-prod', terms: 'accepted' })) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        again.append(input);
      }
      document.body.append(again);
      again.submit();
    }, form),
  ]);
  assert.equal(replay.status(), 303);
  assert.equal(new URL(replay.headers().location, server.url).href, resultUrl);
  await page.waitForLoadState();

  await page.goto(`${server.url}/console/refunds`);
  assert.equal(await page.locator('.refund-table tbody tr', { hasText: refund }).count(), 1);
  await shotBoth(page, 'q09-refunds');
  await page.getByLabel('Status').selectOption('succeeded');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/status=succeeded/);
  assert.ok((await page.locator('.refund-table tbody tr', { hasText: refund }).count()) === 1);

  await page.goto(`${server.url}/console/workspaces`);
  await row('reporting').waitFor();
  assert.equal(await row('etl-prod').count(), 0);
  await shot(page, 'q10-workspaces-after-delete');
});

test('renewing a quota adds a pending period to its timeline', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await row('reporting').getByRole('link', { name: 'Renew' }).click();
  await page.getByLabel('Months to add').waitFor();
  await shotBoth(page, 'q11-renew');
  await page.getByLabel('Months to add').selectOption('1');
  await page.getByLabel(/Account balance/).check();
  await page.getByRole('button', { name: 'Renew and pay' }).click();
  await page.waitForURL(/\/console\/instances\/ins_.*\?renewed=ord_/);
  assert.match(await page.locator('.notice').innerText(), /is paid/);
  assert.equal(await page.locator('.timeline rect.seg-pending').count(), 2);
  assert.equal(await page.locator('.timeline line.today').count(), 1);
  await shotBoth(page, 'q12-quota-timeline');
});

test('a form sent without its CSRF token is refused and changes nothing', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await row('reporting').getByRole('link', { name: 'Delete' }).click();
  await page.getByLabel(/Type the workspace name/).fill('reporting');
  await page.getByLabel(/I have read the unsubscription terms/).check();
  await page.locator('form.confirm-form input[name="csrf"]').evaluate((input) => input.remove());
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Unsubscribe' }).click(),
  ]);
  assert.equal(answer.status(), 403);
  await page.getByText('CSRF_TOKEN_INVALID').waitFor();
  await shot(page, 'q13-csrf-refused');
  await page.goto(`${server.url}/console/workspaces`);
  await row('reporting').waitFor();
  assert.equal(await row('reporting').count(), 1);
});

test('signing out ends the session', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/console\/sign-in$/);
  await page.goto(`${server.url}/console/workspaces`);
  assert.match(page.url(), /\/console\/sign-in$/);
});
