// A real headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core, with helpers to sign in and to take screenshots.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './server.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = process.env.E2E_SHOTS ?? path.join(repoRoot, 'target', 'e2e-screenshots');
export const WIDE = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Launches Chromium with a fresh profile; resolves to { context, page, close }. */
export async function launch() {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'spark-billing-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: WIDE,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const close = async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** Signs in with `key` and waits for the start page. */
export async function signIn(page, url, key) {
  await page.goto(`${url}/console/sign-in`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/(workspaces|operator)$/);
}

/** Signs out through the header's button. */
export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/console\/sign-in$/);
}

/** True when the page is wider than its viewport (something overflows). */
export async function overflows(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

/**
 * Saves a full-page screenshot as target/e2e-screenshots/<name>-<width>.png
 * (or in $E2E_SHOTS)
 * and fails if the page scrolls sideways.
 */
export async function shot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  const { width } = page.viewportSize();
  await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  assert.equal(await overflows(page), false, `${name} overflows sideways at ${width} px`);
}

/** Screenshots the current page at 1280 and at 390 px, back to 1280 after. */
export async function shotBoth(page, name) {
  await page.setViewportSize(WIDE);
  await shot(page, name);
  await page.setViewportSize(PHONE);
  await shot(page, name);
  await page.setViewportSize(WIDE);
}
