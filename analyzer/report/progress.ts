// A progress line on stderr while a tree is parsed: files done of all, rate,
// time left. Only on a terminal: in a log or a pipe it would be noise.

import type { Out } from '../util/io';

/** How far a load is: files and bytes done of all. */
export interface Progress {
  done: number;
  total: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface ProgressLine {
  update: (p: Progress) => void;
  /** clears the line */
  end: () => void;
}

const EVERY_MS = 100;
const WIDTH = 24;

/** The lines on screen now, which a run that is ending clears and silences (stopProgress). */
const live = new Set<{ stop(): void }>();
let stopped = false;

/**
 * Clears every progress line and draws none again: a run ending on a signal
 * says so on a clean line, and no redraw comes after it (cli.ts).
 */
export function stopProgress(): void {
  stopped = true;
  for (const l of live) l.stop();
  live.clear();
}

export function progressLine(stream: Out = process.stderr): ProgressLine | null {
  if (!stream.isTTY || stopped) return null;
  const started = Date.now();
  let last = 0;
  let shown = false;
  let done = false;
  const clear = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  const me = {
    stop() {
      clear();
      done = true;
    },
  };
  live.add(me);
  return {
    update(p) {
      if (done) return;
      const now = Date.now();
      if (now - last < EVERY_MS && p.done < p.total) return;
      last = now;
      shown = true;
      stream.write(`\r${fit(render(p, (now - started) / 1000), stream.columns)}\x1b[K`);
    },
    end() {
      clear();
      done = true;
      live.delete(me);
    },
  };
}

/** The line cut to the terminal's width, less the last column: a line that reaches it wraps, and \r redraws only the wrapped part. */
export function fit(line: string, columns: number | undefined): string {
  return columns && columns > 1 && line.length > columns - 1 ? line.slice(0, columns - 1) : line;
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
