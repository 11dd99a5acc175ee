// The on-disk cache: facts per file content, results per tree content. Every
// key hashes the compiled analyzer too, so a rebuilt callorder never reads
// what an older build wrote. A cache that cannot be read or written is a
// slower run, never a failed one.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { kernelCacheRoot } from '../source/fetch-kernel';

export function sha(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\u0000');
  }
  return h.digest('hex');
}

let code: string | null = null;
/** A hash of the compiled analyzer (dist/analyzer/**.js). */
export function codeKey(): string {
  if (code) return code;
  const root = path.resolve(__dirname, '..');
  const files: string[] = [];
  (function walk(dir: string) {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name.endsWith('.js') && !ent.name.endsWith('.test.js')) files.push(p);
    }
  })(root);
  const h = createHash('sha256');
  for (const f of files.sort()) h.update(path.relative(root, f)).update(fs.readFileSync(f));
  code = h.digest('hex');
  return code;
}

export class Cache {
  constructor(readonly dir: string) {}

  private file(kind: string, key: string): string {
    return path.join(this.dir, kind, key.slice(0, 2), `${key}.json`);
  }

  get<T>(kind: string, key: string): T | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file(kind, key), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  put(kind: string, key: string, value: unknown): void {
    const f = this.file(kind, key);
    // written aside and renamed, so a reader never sees half a file
    const tmp = `${f}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(tmp, JSON.stringify(value));
      fs.renameSync(tmp, f);
    } catch {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* nothing more to do */
      }
    }
  }
}

/** The analysis cache under the kernel cache ($CALLORDER_CACHE or ~/.cache/callorder). */
export function openCache(): Cache {
  return new Cache(path.join(kernelCacheRoot(), 'analysis'));
}
