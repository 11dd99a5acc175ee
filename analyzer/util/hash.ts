// SHA-256 of one value or of several parts: the cache's keys, a report's
// Message-ID. Below every layer, so a report needs no cache to name a mail.

import { createHash } from 'node:crypto';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A hash of several parts, each ended by a NUL. A part may be a list of parts
 * (hashed as if each stood in the call), so that a caller with a list as long
 * as a whole kernel's files passes it as it is: a spread into the call
 * overflows the stack past about 125,000 arguments.
 */
export function sha(...parts: (string | Buffer | readonly (string | Buffer)[])[]): string {
  return shaOf(flatParts(parts));
}

function* flatParts(parts: (string | Buffer | readonly (string | Buffer)[])[]): Generator<string | Buffer> {
  for (const p of parts) {
    if (typeof p === 'string' || Buffer.isBuffer(p)) yield p;
    else for (const q of p) yield q;
  }
}

/** sha() of any number of parts, from an iterable: a key over every file of a tree is not passed as arguments. */
export function shaOf(parts: Iterable<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\u0000');
  }
  return h.digest('hex');
}
