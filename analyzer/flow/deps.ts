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
