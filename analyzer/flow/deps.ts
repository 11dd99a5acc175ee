// Dependency recording: what a run walked and called, for incremental
// reuse; a blind frame's share goes with its summary.

import type { FunctionFact } from '../parse/ir';
import type { FrameResult } from './summaries';

export interface BlindSub {
  walked: FunctionFact[];
  called: string[];
  inner: FrameResult[];
}

export interface Collector {
  walked: Set<FunctionFact>;
  called: Set<string>;
  inner: Set<FrameResult>;
  cut: boolean;
}

/**
 * What one engine's runs depend on: every function a call could reach (all
 * targets, before the vendor filter) and every name called, resolved or not
 * (a function added under that name would be reached). Inside a blind frame
 * an event belongs to that frame's summary (BlindSub); the run gets it with
 * the summary, when the run ends (flush).
 */
export class Deps {
  readonly walked = new Set<FunctionFact>();
  readonly called = new Set<string>();
  /** blind summaries this run used outside any other blind frame */
  private usedBlind = new Set<FrameResult>();
  /** one a blind analysis under way, innermost last */
  private collecting: Collector[] = [];

  walk(fn: FunctionFact): void {
    const c = this.collecting[this.collecting.length - 1];
    if (c) c.walked.add(fn);
    else this.walked.add(fn);
  }

  call(name: string): void {
    const c = this.collecting[this.collecting.length - 1];
    if (c) c.called.add(name);
    else this.called.add(name);
  }

  /** A blind summary was used (made or reused) here. */
  blind(r: FrameResult): void {
    const c = this.collecting[this.collecting.length - 1];
    if (c) c.inner.add(r);
    else this.usedBlind.add(r);
  }

  /** The analysis was cut short: no frame under way is a function of its key alone. */
  cut(): void {
    for (const c of this.collecting) c.cut = true;
  }

  /** A blind frame's analysis starts: what happens until `end` is its own. */
  begin(): Collector {
    const col: Collector = { walked: new Set(), called: new Set(), inner: new Set(), cut: false };
    this.collecting.push(col);
    return col;
  }

  end(col: Collector): BlindSub {
    this.collecting.pop();
    return { walked: [...col.walked], called: [...col.called], inner: [...col.inner] };
  }

  /** What the blind summaries used walked and called, each summary once. */
  flush(): void {
    const seen = new Set<FrameResult>();
    const work = [...this.usedBlind];
    while (work.length) {
      const r = work.pop()!;
      if (seen.has(r) || !r.sub) continue;
      seen.add(r);
      for (const w of r.sub.walked) this.walked.add(w);
      for (const c of r.sub.called) this.called.add(c);
      for (const i of r.sub.inner) work.push(i);
    }
    this.usedBlind.clear();
  }
}
