// A worker thread of the parse pool: loads tree-sitter itself, takes chunks of
// files, answers one message a file. A failure inside one file is that file's
// note, never the worker's end.

import { parentPort, workerData } from 'node:worker_threads';
import { makeNormalizer } from './normalize';
import { factsOfBytes, type FactsContext } from './file-facts';
import { EntryStore } from '../cache/store';
import { errMsg } from '../parse/parse-file';
import type { PoolInit, PoolJob, PoolReply } from './parse-pool';

const init = workerData as PoolInit;
const cx: FactsContext = {
  normalize: makeNormalizer(init.frontend),
  limits: init.limits,
  store: init.cacheRoot ? new EntryStore('facts', init.cacheRoot) : null,
  lean: init.lean,
};

parentPort!.on('message', (chunk: PoolJob[]) => {
  for (const job of chunk) {
    let reply: PoolReply;
    try {
      const out = factsOfBytes(Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength), job.rel, job.key, cx);
      reply = { index: job.index, ...out };
    } catch (e) {
      reply = { index: job.index, ok: false, note: `${job.rel}: internal error: ${errMsg(e)}, skipped`, transient: true };
    }
    parentPort!.postMessage(reply);
  }
  parentPort!.postMessage({ done: true });
});
