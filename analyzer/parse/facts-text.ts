// The text form of a file's facts, as the cache stores them and workers send
// them: line 1 is the facts with no function bodies, then one line a function
// with its body, in order. JSON never holds a raw newline, so the
// lines split cleanly, and a run too large to hold every body in memory can
// leave them on disk and read one when it is needed (body-store.ts).

import type { FileFacts, Stmt } from './ir';

export function factsToText(f: FileFacts): string {
  const bodies = f.functions.map((fn) => JSON.stringify(fn.body));
  // no `body` key at all (not null): body-store.ts adds an accessor in its place
  const skeleton = JSON.stringify({ ...f, functions: f.functions.map((fn) => ({ ...fn, body: undefined })) });
  return bodies.length ? `${skeleton}\n${bodies.join('\n')}` : skeleton;
}

export function factsFromText(text: string): FileFacts {
  let nl = text.indexOf('\n');
  const f = JSON.parse(nl < 0 ? text : text.slice(0, nl)) as FileFacts;
  for (const fn of f.functions) {
    const from = nl + 1;
    nl = text.indexOf('\n', from);
    fn.body = JSON.parse(nl < 0 ? text.slice(from) : text.slice(from, nl)) as Stmt;
  }
  return f;
}

/** Where each line of a text form starts and ends, in bytes of its UTF-8 form from `at`. */
export function lineSpans(bytes: Uint8Array, at: number): { start: number[]; end: number[] } {
  const start: number[] = [];
  const end: number[] = [];
  let from = at;
  for (;;) {
    const nl = bytes.indexOf(10, from);
    start.push(from);
    end.push(nl < 0 ? bytes.length : nl);
    if (nl < 0) break;
    from = nl + 1;
  }
  return { start, end };
}
