// Function bodies kept on disk, in the facts entries they were written to,
// for trees too large to hold every body in memory (the whole kernel: about
// 5 GB of heap). A body is read and parsed when something asks for it and
// kept in a bounded most-recently-used set; a body evicted and asked for again
// is read again, a new but equal object. Nothing in the analyzer keys its
// state on a body's identity for correctness (memo fields on expressions are
// recomputed), which is what makes this sound.

import * as fs from 'node:fs';
import type { FunctionFact, Stmt } from '../parse/ir';
import { InputError } from '../util/errors';

export interface BodyRef {
  file: string;
  at: number;
  length: number;
}

const STORE = Symbol('body store');
const REF = Symbol('body ref');
type LazyFunction = FunctionFact & { [STORE]: BodyStore; [REF]: BodyRef };

/**
 * One accessor for every function, its state in two symbol properties: all
 * such functions share one hidden class. A getter closure per function, or an
 * accessor replacing a `body` data property, puts each object in dictionary
 * mode, about 900 bytes a function (700,000 of them in the kernel).
 */
const SHARED: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyFunction) {
    return this[STORE].load(this, this[REF]);
  },
  set(this: FunctionFact, v: Stmt) {
    Object.defineProperty(this, 'body', { value: v, enumerable: true, writable: true, configurable: true });
  },
};

/** bytes of body JSON kept parsed at most */
const KEEP_BYTES = 96 << 20;
const OPEN_FILES = 32;

export class BodyStore {
  private kept = new Map<FunctionFact, { body: Stmt; length: number }>();
  private keptBytes = 0;
  private fds = new Map<string, number>();

  /** Makes fn.body read through this store. fn must have no `body` yet (see SHARED). */
  attach(fn: FunctionFact, ref: BodyRef): void {
    const f = fn as LazyFunction;
    f[STORE] = this;
    f[REF] = ref;
    Object.defineProperty(fn, 'body', SHARED);
  }

  load(fn: FunctionFact, ref: BodyRef): Stmt {
    const k = this.kept.get(fn);
    if (k) {
      this.kept.delete(fn);
      this.kept.set(fn, k);
      return k.body;
    }
    // the entries are the cache's: another run, or `cache clear`, may remove or
    // rewrite one under this run, which is no internal error but bad input
    const gone = (why: string) => new InputError(`${ref.file}: cache entry ${why} during the run (was the cache cleared?); run again`);
    const buf = Buffer.allocUnsafe(ref.length);
    let fd: number;
    try {
      fd = this.fd(ref.file);
    } catch {
      throw gone('removed');
    }
    let got = 0;
    while (got < ref.length) {
      const n = fs.readSync(fd, buf, got, ref.length - got, ref.at + got);
      if (n <= 0) throw gone('shortened');
      got += n;
    }
    let body: Stmt;
    try {
      body = JSON.parse(buf.toString('utf8')) as Stmt;
    } catch {
      throw gone('rewritten');
    }
    this.kept.set(fn, { body, length: ref.length });
    this.keptBytes += ref.length;
    for (const [old, v] of this.kept) {
      if (this.keptBytes <= KEEP_BYTES) break;
      this.kept.delete(old);
      this.keptBytes -= v.length;
    }
    return body;
  }

  private fd(file: string): number {
    let fd = this.fds.get(file);
    if (fd !== undefined) {
      this.fds.delete(file);
      this.fds.set(file, fd);
      return fd;
    }
    fd = fs.openSync(file, 'r');
    this.fds.set(file, fd);
    if (this.fds.size > OPEN_FILES) {
      const [oldest, ofd] = this.fds.entries().next().value as [string, number];
      this.fds.delete(oldest);
      fs.closeSync(ofd);
    }
    return fd;
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
    this.kept.clear();
    this.keptBytes = 0;
  }
}
