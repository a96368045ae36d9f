// The Developers page in a real Chromium: a customer adds a webhook
// endpoint (its secret shown once), sees a delivery to a receiver on
// 127.0.0.1 with its status and latency, and redelivers it by hand; the
// operator sees failing endpoints.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { launch, shotBoth, signIn, signOut } from './support/browser.mjs';
import { startDemoServer } from './support/server.mjs';

let server;
let browser;
let page;
let receiver;
const received = [];

before(async () => {
  server = await startDemoServer();
  browser = await launch();
  page = browser.page;
  receiver = createServer((request, response) => {
    received.push(request.headers['webhook-id']);
    response.writeHead(204).end();
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

async function until(what, check) {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a customer adds an endpoint, sees its secret once, and redelivers an event', async () => {
  const key = server.keys.customers['acme-analytics'];
  await signIn(page, server.url, key);
  await page.goto(`${server.url}/console/developers`);
  const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
  await page.getByLabel('URL (https://)').fill(hook);
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const secret = await page.locator('[data-secret] .secret').innerText();
  assert.match(secret, /^whsec_/);
  await shotBoth(page, 'd01-endpoint-added');
  await page.goto(`${server.url}/console/developers`);
  assert.equal(await page.locator('[data-secret]').count(), 0, 'the secret is shown once');

  const events = await (await fetch(`${server.url}/api/v1/events?limit=1`, { headers: { authorization: `Bearer ${key}` } })).json();
  assert.equal(events.length, 1, 'the demo world has events');
  const queued = await fetch(`${server.url}/api/v1/events/${events[0].id}/redeliver`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}',
  });
  assert.equal(queued.status, 202);
  await until('the first delivery', () => received.length >= 1);
  await until('the attempt on the page', async () => {
    await page.goto(`${server.url}/console/developers`);
    return (await page.locator('[data-endpoint] tbody tr').count()) >= 1;
  });
  assert.match(await page.locator('[data-endpoint] tbody tr').first().innerText(), /HTTP 204[\s\S]*ms/);
  await shotBoth(page, 'd02-deliveries');
  await page.locator('[data-endpoint] tbody tr').first().getByRole('button', { name: 'Redeliver' }).click();
  await until('the redelivery', () => received.length >= 2);
  assert.equal(received[0], received[1], 'a redelivery carries the same webhook-id');
  await signOut(page);
});

test('the operator sees failing endpoints', async () => {
  await signIn(page, server.url, server.keys.operator);
  const answer = await page.goto(`${server.url}/console/operator/webhooks`);
  assert.equal(answer.status(), 200);
  await page.getByRole('heading', { name: 'Failing webhook endpoints' }).waitFor();
  await shotBoth(page, 'd03-operator-webhooks');
  await signOut(page);
});
