import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressLine, render, stopProgress } from './progress';

test('progress: files done of all, rate, time left', () => {
  assert.equal(
    render({ done: 30, total: 120, bytesDone: 2_500_000, bytesTotal: 10_000_000 }, 2),
    'parsing [######..................] 30/120 files  15 files/s  1.3 MB/s  ETA 6s',
  );
  assert.equal(
    render({ done: 6000, total: 60000, bytesDone: 100e6, bytesTotal: 1300e6 }, 60),
    'parsing [##......................] 6000/60000 files  100 files/s  1.7 MB/s  ETA 12m00s',
  );
});

test('progress: nothing when stderr is no terminal', () => {
  assert.equal(progressLine({ isTTY: false } as NodeJS.WriteStream), null);
  const written: string[] = [];
  const line = progressLine({ isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream)!;
  line.update({ done: 1, total: 1, bytesDone: 10, bytesTotal: 10 });
  line.end();
  assert.match(written[0], /^\rparsing \[#+\] 1\/1 files/);
  assert.equal(written[1], '\r\x1b[K');
});

// issue 19.9: the line ignored the terminal's width (and wrapped, each redraw a new line), and was drawn
// again after "interrupted by SIGINT"
test('progress: cut to the terminal\'s width; cleared and never drawn again once a run is ending', () => {
  const written: string[] = [];
  const tty = { isTTY: true, columns: 40, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const line = progressLine(tty)!;
  line.update({ done: 1, total: 10, bytesDone: 10, bytesTotal: 100 });
  assert.equal(written.length, 1);
  const shown = written[0].replace(/^\r/, '').replace(/\x1b\[K$/, '');
  assert.equal(shown.length, 39, JSON.stringify(written[0]));
  assert.ok(render({ done: 1, total: 10, bytesDone: 10, bytesTotal: 100 }, 1).startsWith(shown));
  stopProgress();
  assert.equal(written[1], '\r\x1b[K', 'cleared');
  line.update({ done: 10, total: 10, bytesDone: 100, bytesTotal: 100 });
  line.end();
  assert.equal(written.length, 2, 'nothing after it');
  assert.equal(progressLine(tty), null, 'and no new line');
});
