// Reads the entries of a .tar.gz archive (plain ustar/GNU headers, short
// names), enough to check what a backup download holds.

import { gunzipSync } from 'node:zlib';

/** Returns a Map from entry name to its text. */
export function readTarGz(bytes) {
  const tar = gunzipSync(bytes);
  const entries = new Map();
  let at = 0;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim(), 8);
    const body = tar.subarray(at + 512, at + 512 + size);
    entries.set(name, body.toString('utf8'));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}
