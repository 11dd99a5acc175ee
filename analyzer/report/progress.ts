// A progress line on stderr while a tree is parsed: files done of all, rate,
// time left. Only on a terminal: in a log or a pipe it would be noise.

import type { Progress } from '../source/load-tree';

export interface ProgressLine {
  update: (p: Progress) => void;
  /** clears the line */
  end: () => void;
}

const EVERY_MS = 100;
const WIDTH = 24;

export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine | null {
  if (!stream.isTTY) return null;
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < EVERY_MS && p.done < p.total) return;
      last = now;
      shown = true;
      stream.write(`\r${render(p, (now - started) / 1000)}\x1b[K`);
    },
    end() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

export function render(p: Progress, seconds: number, label = 'parsing'): string {
  const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : p.total ? p.done / p.total : 1;
  const filled = Math.round(frac * WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
  const rate = seconds > 0 ? p.done / seconds : 0;
  const mbs = seconds > 0 ? p.bytesDone / 1e6 / seconds : 0;
  const left = frac > 0 && frac < 1 ? (seconds * (1 - frac)) / frac : 0;
  return `${label} ${bar} ${p.done}/${p.total} files  ${rate.toFixed(0)} files/s  ${mbs.toFixed(1)} MB/s  ETA ${duration(left)}`;
}

function duration(s: number): string {
  const t = Math.round(s);
  return t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}
