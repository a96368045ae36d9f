// Bills & usage, a printed invoice, deleting a pay-as-you-go workspace and
// the operator's pages (overview, accounts, one account, audit log,
// refunds, one refund) in Chinese in a real Chromium, each at 1280 px and
// at a 390 px phone width: the words come from the zh-CN messages, the key
// English labels are gone, amounts and dates read the Chinese way, and
// nothing scrolls sideways.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PHONE, WIDE, launch, shotBoth } from './support/browser.mjs';
import { startDemoServer } from './support/server.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startDemoServer();
  browser = await launch();
  page = browser.page;
  await browser.context.setExtraHTTPHeaders({ 'Accept-Language': 'zh-CN,zh;q=0.9' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const CN_DATE = /\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} \(UTC\+08:00\)/;
const heading = () => page.locator('h1').innerText();
const main = () => page.locator('main').innerText();

/** Days around now, wide enough for the demo's last 48 hours of usage. */
function around() {
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  return { from: day(-6), to: day(2) };
}

/** Signs in through the Chinese sign-in page. */
async function signInChinese(key) {
  await page.goto(`${server.url}/console/sign-in`);
  await page.getByLabel('API 密钥').fill(key);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/console\/(workspaces|operator)$/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
}

/** Fails when `text` still holds one of the English `labels`. */
function noEnglish(text, labels) {
  for (const label of labels) assert.doesNotMatch(text, new RegExp(label), `English left over: ${label}`);
}

/** Fails when the page is wider than a 390 px phone. */
async function fitsPhone() {
  await page.setViewportSize(PHONE);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `the page is ${width} px wide at ${PHONE.width} px`);
  await page.setViewportSize(WIDE);
}

test('Bills & usage charts the usage in Chinese', async () => {
  await signInChinese(server.keys.customers['acme-analytics']);
  const { from, to } = around();
  await page.getByRole('link', { name: '账单与用量' }).click();
  await page.waitForURL(/\/console\/bills$/);
  await page.getByLabel('开始日期').fill(from);
  await page.getByLabel('结束日期（不含）').fill(to);
  await page.getByRole('button', { name: '查询' }).click();
  await page.waitForURL(/\/console\/bills\?from=/);
  assert.equal(await heading(), '账单与用量');
  await page.getByRole('img', { name: /每日 CU 时及抵扣方式/ }).waitFor();
  assert.match(await page.locator('svg rect.seg-plan title').first().textContent(), /CU 时，资源包抵扣/);
  const legend = await page.locator('.legend').innerText();
  for (const part of ['配额抵扣', '资源包抵扣', '按量付费']) assert.match(legend, new RegExp(part));
  const adhoc = page.locator('tbody tr', { hasText: 'adhoc-queries' }).first();
  assert.match(await adhoc.locator('td[data-label="扣费"]').innerText(), /^USD \d/);
  assert.match(await adhoc.locator('td[data-label="日期"]').innerText(), /^\d{4}年\d{1,2}月\d{1,2}日$/);
  assert.match(await page.locator('tfoot').innerText(), /合计/);
  noEnglish(await main(), ['Covered by quota', 'From resource plans', 'CU-hours', 'Total', 'Download usage']);
  await fitsPhone();
  await shotBoth(page, 'z01-bills-zh');
});

test('a printed invoice has Chinese labels around its content as issued', async () => {
  await page.goto(`${server.url}/console/documents`);
  assert.equal(await heading(), '票据');
  const first = page.locator('tr[data-document^="INV-"]').first();
  const number = await first.getAttribute('data-document');
  await first.getByRole('link').first().click();
  await page.waitForURL(/\/console\/documents\/doc_/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.equal(await heading(), '发票');
  const text = await page.locator('body').innerText();
  for (const words of ['开具日期', '销售方', '购买方', '费用明细', '应付合计', number]) assert.match(text, new RegExp(words));
  assert.match(text, /\d{4}-\d{2}-\d{2} \(Asia\/Shanghai\)/, 'the issue date stays as issued');
  noEnglish(text, ['Invoice', 'Seller', 'Buyer', 'Total due', 'Charges', 'Download PDF']);
  await fitsPhone();
  await shotBoth(page, 'z09-invoice-zh');
});

test('a pay-as-you-go workspace is deleted without a refund, in Chinese', async () => {
  await page.goto(`${server.url}/console/workspaces`);
  await page.locator('tr[data-workspace="adhoc-queries"]').getByRole('link', { name: '删除' }).click();
  await page.waitForURL(/\/delete$/);
  assert.equal(await heading(), '删除工作空间 adhoc-queries');
  assert.match(await page.locator('#no-refund').innerText(), /^不会产生退款：该工作空间按量付费/);
  assert.match(await page.locator('#delete-title').innerText(), /工作空间 adhoc-queries 将被删除/);
  assert.equal(await page.getByRole('button', { name: '删除工作空间' }).count(), 1);
  noEnglish(await main(), ['Nothing is refunded', 'Delete workspace', 'Type the workspace name', 'Cancel']);
  await fitsPhone();
  await shotBoth(page, 'z02-delete-no-refund-zh');
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.waitForURL(/\/console\/sign-in$/);
});

test('the operator overview and the accounts list are in Chinese', async () => {
  await signInChinese(server.keys.operator);
  assert.equal(await heading(), '概览');
  assert.match(await page.locator('#ledger').innerText(), /平衡/);
  assert.match(await page.locator('#clock').innerText(), CN_DATE);
  await page.getByLabel('向前拨动').waitFor();
  noEnglish(await main(), ['Ledger check', 'Audit chain', 'Balanced', 'Advance by', 'Service time']);
  await shotBoth(page, 'z03-operator-overview-zh');

  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '账号' }).click();
  await page.waitForURL(/\/console\/operator\/accounts$/);
  assert.equal(await heading(), '账号');
  const head = await page.locator('.account-table thead').innerText();
  for (const column of ['账号', '计费时区', '余额', '运行中的实例', '在途退款']) assert.match(head, new RegExp(column));
  noEnglish(await main(), ['Billing zone', 'Balance', 'Active instances', 'Refunds pending', 'Search']);
  await fitsPhone();
  await shotBoth(page, 'z04-operator-accounts-zh');
});

test('an account page is in Chinese with Chinese dates', async () => {
  await page.goto(`${server.url}/console/operator/accounts`);
  await page.getByLabel('名称或账号 ID').fill('ACME');
  await page.getByRole('button', { name: '搜索' }).click();
  await page.waitForURL(/q=ACME/);
  const rows = page.locator('.account-table tbody tr');
  assert.equal(await rows.count(), 1);
  await rows.first().locator('th a').click();
  await page.waitForURL(/\/console\/operator\/accounts\/acc_/);
  assert.equal(await heading(), 'acme-analytics');
  const text = await main();
  for (const words of ['支付方式', '实例', '退款', '余额明细', '开户时间', '订单付款']) assert.match(text, new RegExp(words));
  assert.match(text, CN_DATE);
  assert.match(text, /运行中/, 'instance states are in Chinese');
  noEnglish(text, ['Payment methods', 'Instances', 'Balance entries', 'Opened', 'Order payment', 'Times on this page']);
  await fitsPhone();
  await shotBoth(page, 'z05-operator-account-zh');
});

test('the audit log filters and explains a bad filter in Chinese', async () => {
  await page.goto(`${server.url}/console/operator/audit`);
  assert.equal(await heading(), '审计日志');
  await page.getByLabel('账号', { exact: true }).fill('acme');
  await page.getByLabel('事件类型').fill('order.paid');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/account=acme&action=order\.paid/);
  const whats = await page.locator('.audit-table td[data-label="事项"]').allInnerTexts();
  assert.ok(whats.length >= 1 && whats.every((w) => w === 'order.paid'), whats.join());
  assert.match(await page.locator('.audit-table').innerText(), CN_DATE);
  noEnglish(await main(), ['Event type', 'Actor', 'Clear filters', 'Newest first', 'When', 'Subject']);
  await fitsPhone();
  await shotBoth(page, 'z06-operator-audit-zh');

  const answer = await page.goto(`${server.url}/console/operator/audit?account=nobody-at-all`);
  assert.equal(answer.status(), 400);
  assert.equal(await page.locator('#audit-problem').innerText(), '没有名为“nobody-at-all”或 ID 为它的账号。');
});

test('refunds are searched and shown in Chinese', async () => {
  await page.goto(`${server.url}/console/operator/refunds`);
  assert.equal(await heading(), '退款');
  await page.getByLabel('退款单号、账号名称或账号 ID').fill('GLOBEX');
  await page.getByRole('button', { name: '搜索' }).click();
  await page.waitForURL(/q=GLOBEX/);
  assert.match(await page.locator('#refund-account').innerText(), /^globex-data\s+的退款/);
  const row = page.locator('.refund-table tbody tr').first();
  assert.match(await row.innerText(), /退款中|已到账|被拒绝/);
  noEnglish(await main(), ['Refunds of', 'Any status', 'Retry releases', 'On its way']);
  await fitsPhone();
  await shotBoth(page, 'z07-operator-refunds-zh');

  await row.locator('th a').click();
  await page.waitForURL(/\/console\/operator\/refunds\/ref_/);
  assert.match(await heading(), /^退款 USD [\d,]+\.\d{2}$/);
  const facts = await page.locator('.facts').innerText();
  for (const label of ['退款单号', '账号', '创建时间', '退款去向说明', '尝试次数', '红字发票']) assert.match(facts, new RegExp(label));
  assert.match(facts, CN_DATE);
  noEnglish(await main(), ['Refund ID', 'Why there', 'Attempts', 'Times are in', 'Retry now']);
  await fitsPhone();
  await shotBoth(page, 'z08-operator-refund-zh');
});
