// Starts `spark-billing serve --demo` on a free loopback port with a fresh
// data directory, and stops it again. Builds nothing: the binary comes from
// SPARK_BILLING_BIN or $CARGO_TARGET_DIR/debug/spark-billing.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function binaryPath() {
  if (process.env.SPARK_BILLING_BIN) return process.env.SPARK_BILLING_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, 'target');
  return path.join(target, 'debug', 'spark-billing');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url, child, log, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || (child.pid === undefined && log.length > 0)) throw new Error(`spark-billing exited early (${child.exitCode}):\n${log.join('')}`);
    try {
      const answer = await fetch(`${url}/readyz`);
      if (answer.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`spark-billing did not become ready in ${deadlineMs} ms:\n${log.join('')}`);
}

/** Starts the demo server; resolves to { url, keys, dataDir, stop }. */
export async function startDemoServer() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'spark-billing-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binaryPath(),
    ['serve', '--demo', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } },
  );
  const log = [];
  child.once('error', (e) => log.push(`cannot start ${binaryPath()}: ${e.message}\n`));
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  await waitUntilReady(url, child, log, 60_000);
  const keys = JSON.parse(await readFile(path.join(dataDir, 'demo-keys.json'), 'utf8'));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  return { url, keys, dataDir, stop, log };
}
