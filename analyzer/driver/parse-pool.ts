// Parsing in worker threads. Files go out largest first, in chunks that a
// worker asks for when it is nearly done with the last, so two cores stay busy
// to the end; answers come back one a file, in whatever order, and the caller
// puts them in path order. A worker that dies costs the file it was on a note
// and is replaced; the rest of its chunk goes to the others.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FrontendConfig } from '../parse/normalize';
import type { ParseLimits } from '../parse/parse-file';
import type { FileOutcome } from './file-facts';
import { append } from '../util/append';

export interface PoolInit {
  frontend: FrontendConfig;
  limits: ParseLimits;
  /** cache root the workers write facts under; null: no cache */
  cacheRoot: string | null;
  /** leave bodies in the entries written and send the rest (file-facts.ts) */
  lean: boolean;
}

export interface PoolJob {
  index: number;
  rel: string;
  /** fact-cache key of these bytes; null without a cache */
  key: string | null;
  bytes: Uint8Array;
  /** false: declarations only (parse-file.ts parseText) */
  bodies: boolean;
}

export type PoolReply = FileOutcome & { index: number };

/** a chunk is about this many bytes of source, or one file when a file is larger */
const CHUNK_BYTES = 192 * 1024;
const CHUNK_FILES = 32;
/** deaths after which the pool stops replacing workers and notes what is left */
const MAX_RESPAWNS = 8;

export interface PoolFeed {
  /** jobs, largest first; called when a worker wants more; null when none are left */
  next(maxBytes: number, maxFiles: number): PoolJob[] | null;
}

/** fewer bytes than this to parse and no worker is started: starting one costs more than it saves */
const MIN_PARALLEL_BYTES = 256 * 1024;

/** Whether `misses` files of `bytes` in all are worth workers beside this thread, with `jobs` threads in all. */
export function workersPay(jobs: number, misses: number, bytes: number, minParallelBytes = MIN_PARALLEL_BYTES): boolean {
  return jobs > 1 && misses > 1 && bytes >= minParallelBytes;
}

/**
 * A feed over files in the order given (largest first, as the callers sort
 * them): job(i) gives file i's job, or null when it was settled without a
 * parse (a read that failed).
 */
export function chunkFeed(order: number[], job: (i: number) => PoolJob | null): PoolFeed {
  let next = 0;
  return {
    next(maxBytes, maxFiles) {
      const chunk: PoolJob[] = [];
      let bytes = 0;
      while (next < order.length && chunk.length < maxFiles && (chunk.length === 0 || bytes < maxBytes)) {
        const j = job(order[next++]);
        if (!j) continue;
        bytes += j.bytes.length;
        chunk.push(j);
      }
      return chunk.length ? chunk : null;
    },
  };
}

/**
 * A feed whose chunks shrink as it runs out (at most a quarter of what is
 * left per thread; a worker holds up to two), so that no thread is left with
 * a chunk queued while the others have run dry.
 */
export function shrinkingFeed(feed: PoolFeed, bytes: number, threads: number): PoolFeed {
  let left = bytes;
  return {
    next(maxBytes, maxFiles) {
      const chunk = feed.next(Math.min(maxBytes, Math.floor(left / (4 * threads))), maxFiles);
      for (const j of chunk ?? []) left -= j.bytes.length;
      return chunk;
    },
  };
}

/**
 * This thread's share of a feed the workers take from too: one file at a
 * time, so that it and the workers end together, with a turn of the event
 * loop after each (parse trees are freed then, tree-memory.ts, and the
 * workers' answers come in).
 */
export async function parseHere(feed: PoolFeed, each: (job: PoolJob) => void): Promise<void> {
  for (let c = feed.next(0, 1); c; c = feed.next(0, 1)) {
    each(c[0]);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** every worker of every pool, so that an interrupted run can stop them all (stopWorkers) */
const running = new Set<Worker>();
let stopping = false;
/** shared with every worker: non-zero when they are to stop (parse-worker.ts) */
const stopFlag = new Int32Array(new SharedArrayBuffer(4));

/**
 * Stop every parse worker and start no more, for a run that is ending on a
 * signal: afterwards no thread writes to the cache. The workers are asked to
 * stop, not terminated (a thread terminated inside a parse aborts the
 * process); each cancels its parse and ends between files. The pools'
 * promises never settle, so nothing goes on to analyse a tree half parsed.
 * Resolves when the workers are gone, or after `ms` if one does not stop.
 */
export function stopWorkers(ms: number): Promise<void> {
  stopping = true;
  Atomics.store(stopFlag, 0, 1);
  if (running.size === 0) return Promise.resolve();
  const all = Promise.all([...running].map((w) => new Promise((gone) => w.once('exit', gone))));
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void all.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * Runs every job the feed hands out on `workers` threads; onReply gets each
 * file's outcome. Resolves when the feed is empty and every answer is in.
 */
export function runPool(workers: number, init: PoolInit, feed: PoolFeed, onReply: (r: PoolReply) => void): Promise<void> {
  const script = path.join(__dirname, 'parse-worker.js');
  return new Promise((resolve) => {
    let live = 0;
    let respawns = 0;
    let drained = false;
    let finished = false;

    // jobs of a dead worker go out again before the feed's own
    const requeue: PoolJob[] = [];
    const take = (): PoolJob[] | null => {
      if (requeue.length) return requeue.splice(0, CHUNK_FILES);
      const chunk = drained ? null : feed.next(CHUNK_BYTES, CHUNK_FILES);
      if (!chunk) drained = true;
      return chunk;
    };

    const finish = () => {
      if (!finished && drained && live === 0) {
        finished = true;
        resolve();
      }
    };

    const spawn = () => {
      if (stopping) return;
      const w = new Worker(script, { workerData: { ...init, stop: stopFlag } });
      running.add(w);
      w.once('exit', () => running.delete(w));
      live++;
      /** jobs sent and not yet answered, in the order the worker takes them */
      const pending: PoolJob[] = [];
      let chunksOut = 0;
      let gone = false;

      const send = (): boolean => {
        const chunk = take();
        if (!chunk) return false;
        append(pending, chunk);
        chunksOut++;
        // copied, not transferred: a dead worker's jobs are sent again
        w.postMessage(chunk);
        return true;
      };

      const retire = () => {
        if (gone) return;
        gone = true;
        live--;
        // done with its files: it writes nothing more, and an interrupt need not wait for it
        running.delete(w);
        void w.terminate();
        finish();
      };

      w.on('message', (m: PoolReply | { done: true }) => {
        if (stopping) return;
        if ('done' in m) {
          chunksOut--;
          if (!send() && chunksOut === 0) retire();
          return;
        }
        const k = pending.findIndex((j) => j.index === m.index);
        if (k >= 0) pending.splice(k, 1);
        onReply(m);
      });

      const died = (why: string) => {
        if (gone || stopping) return;
        gone = true;
        live--;
        // the first unanswered file is the one the worker was on
        const [lost, ...rest] = pending;
        if (lost) onReply({ index: lost.index, ok: false, note: `${lost.rel}: worker failed (${why}), skipped`, transient: true });
        if (respawns++ < MAX_RESPAWNS) {
          append(requeue, rest);
          spawn();
          return;
        }
        const fail = (j: PoolJob) => onReply({ index: j.index, ok: false, note: `${j.rel}: worker failed (${why}), skipped`, transient: true });
        rest.forEach(fail);
        // with no worker left, nothing else will take what remains
        if (live === 0) for (let c = take(); c; c = take()) c.forEach(fail);
        finish();
      };
      w.on('error', (e) => died(e.message.split('\n')[0]));
      w.on('exit', (code) => {
        if (!gone) died(`exit code ${code}`);
      });

      // two chunks in flight: the next is there when the worker finishes one
      if (send()) send();
      else if (chunksOut === 0) retire();
    };

    for (let i = 0; i < workers; i++) spawn();
  });
}
