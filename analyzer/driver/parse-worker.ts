// A worker thread of the parse pool: loads tree-sitter itself, takes chunks of
// files, answers one message a file. A failure inside one file is that file's
// note, never the worker's end.

import { parentPort, workerData } from 'node:worker_threads';
import { makeNormalizer } from '../parse/normalize';
import { factsOfBytes, type FactsContext } from './file-facts';
import { EntryStore } from '../cache/store';
import { errMsg, abandonParsesWhen } from '../parse/parse-file';
import type { PoolInit, PoolJob, PoolReply } from './parse-pool';

const init = workerData as PoolInit & { stop: Int32Array };
// set by the main thread when the run ends on a signal: the parse in progress
// is cancelled and the thread ends between files, never inside a cache write
const stopped = () => Atomics.load(init.stop, 0) !== 0;
abandonParsesWhen(stopped);
const cx: FactsContext = {
  normalize: makeNormalizer(init.frontend),
  limits: init.limits,
  store: init.cacheRoot ? new EntryStore('facts', init.cacheRoot) : null,
  lean: init.lean,
};

// Chunks are queued and taken one a turn of the event loop. Handling them in
// the message handler itself would not do: Node drains every queued message
// in one go, and with the next chunk always waiting the loop would never turn,
// so the finalizers that free parse trees would never run (tree-memory.ts).
const queue: PoolJob[][] = [];
let scheduled = false;

parentPort!.on('message', (chunk: PoolJob[]) => {
  if (stopped()) process.exit(0);
  queue.push(chunk);
  if (!scheduled) {
    scheduled = true;
    setImmediate(work);
  }
});

function work(): void {
  const chunk = queue.shift();
  if (chunk) {
    for (const job of chunk) {
      if (stopped()) process.exit(0);
      const reply = one(job);
      if (stopped()) process.exit(0);
      parentPort!.postMessage(reply);
    }
    parentPort!.postMessage({ done: true });
  }
  if (queue.length) setImmediate(work);
  else scheduled = false;
}

function one(job: PoolJob): PoolReply {
  try {
    const out = factsOfBytes(Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength), job.rel, job.key, cx, job.bodies);
    return { index: job.index, ...out };
  } catch (e) {
    return { index: job.index, ok: false, note: `${job.rel}: internal error: ${errMsg(e)}, skipped`, transient: true };
  }
}
