// The console in Chinese in a real Chromium: a browser that asks for zh-CN
// gets the sign-in page and every customer page in Chinese, amounts in yuan
// and dates written the Chinese way; the CNY customer deletes a workspace
// through the unsubscription review; the language switch stores English
// with the account (it wins over the browser) and then Chinese again.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PHONE, WIDE, launch, shot, shotBoth } from './support/browser.mjs';
import { startDemoServer } from './support/server.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startDemoServer();
  browser = await launch();
  page = browser.page;
  await browser.context.setExtraHTTPHeaders({ 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.5' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const lang = () => page.evaluate(() => document.documentElement.lang);
const heading = () => page.locator('h1').innerText();
const row = (name) => page.locator(`tr[data-workspace="${name}"]`);
const CN_DATE = /\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} \(UTC\+08:00\)/;

test('a browser asking for Chinese signs in on a Chinese page', async () => {
  await page.goto(`${server.url}/console/sign-in`);
  assert.equal(await lang(), 'zh-CN');
  assert.equal(await heading(), '登录');
  await page.getByLabel('API 密钥').fill(server.keys.customers['initech-cn']);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/console\/workspaces$/);
  assert.equal(await lang(), 'zh-CN');
});

test('the workspace list is in Chinese, with yuan and Chinese dates', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  assert.equal(await heading(), '工作空间');
  const text = await row('warehouse').innerText();
  assert.match(text, /包年包月 \+ 按量付费/);
  assert.match(text, /40 CU/);
  assert.match(text, CN_DATE);
  assert.match(await page.locator('.who-balance').innerText(), /^余额 ¥[\d,]+\.\d{2}$/);
  await shotBoth(page, 'i01-workspaces-zh');
});

test('deleting the workspace shows the review in Chinese and unsubscribes', async () => {
  await row('warehouse').getByRole('link', { name: '删除' }).click();
  await page.waitForURL(/\/delete$/);
  assert.equal(await heading(), '确认退订');
  assert.match(await page.locator('#delete-title').innerText(), /工作空间 warehouse 将被删除/);
  assert.match(await page.locator('#refund-total').innerText(), /^¥[\d,]+\.\d{2}$/);
  assert.match(await page.locator('#destinations').innerText(), /账户余额/);
  assert.match(await page.locator('.facts').innerText(), /有效期至 \d{4}年/);
  await shotBoth(page, 'i02-review-zh');
  await page.getByLabel(/请输入工作空间名称/).fill('warehouse');
  await page.getByLabel(/我已阅读退订须知/).check();
  await page.getByRole('button', { name: '确认退订' }).click();
  await page.waitForURL(/\/console\/unsubscriptions\//);
  assert.equal(await heading(), '已退订');
  assert.match(await page.locator('#workspace-deleted').innerText(), /工作空间 warehouse 已删除/);
  assert.match(await page.locator('.refund-table').innerText(), /即时到账|已于/);
  await shotBoth(page, 'i03-done-zh');
});

test('the switch stores English with the account, over the browser, and back', async () => {
  const done = page.url();
  await page.getByRole('button', { name: 'English' }).click();
  await page.waitForURL(done);
  assert.equal(await lang(), 'en');
  assert.equal(await heading(), 'Unsubscribed');
  // The browser still asks for Chinese; the account's choice wins.
  await page.goto(`${server.url}/console/workspaces`);
  assert.equal(await heading(), 'Workspaces');
  assert.match(await page.locator('.who-balance').innerText(), /^Balance CNY [\d,]+\.\d{2}$/);
  await page.getByRole('button', { name: '简体中文' }).click();
  await page.waitForURL(/\/console\/workspaces$/);
  assert.equal(await lang(), 'zh-CN');
  assert.equal(await heading(), '工作空间');
});

test('the Chinese pages fit a 390 px phone', async () => {
  await page.setViewportSize(PHONE);
  for (const [path, name] of [['/console/unsubscribe', 'i04-unsubscribe-zh'], ['/console/refunds', 'i05-refunds-zh']]) {
    await page.goto(`${server.url}${path}`);
    assert.equal(await lang(), 'zh-CN');
    await shot(page, name);
  }
  await page.setViewportSize(WIDE);
});
