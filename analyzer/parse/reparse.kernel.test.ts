// The edited function re-read alone (reparse.ts) against a full parse, on
// every .c and .h file of the pack in Debian's 6.12 tree: in each file, four
// functions spread over it, five edits each (a statement added after the
// opening brace, an if block added there, the last statement removed, the
// function renamed, a function added after it). Every
// edit that takes the shortcut must give exactly the facts a full parse of the
// edited file gives; nearly all of them must take it (a decline costs a full
// parse, never a wrong fact, but a shortcut that is seldom taken is no
// shortcut).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fetchKernel } from '../source/fetch-kernel';
import { discoverFiles } from '../source/discover';
import { makeNormalizer } from './normalize';
import { loadPack, defaultPackPath } from '../pack/load';
import { parseText, DEFAULT_LIMITS } from './parse-file';
import { reparseEdit } from './reparse';
import { factsToText } from './facts-text';
import type { FileFacts } from './ir';
import type { Normalizer } from './normalize';

const MIN_SHORTCUT = 0.85;

interface Original { rel: string; before: string; facts: FileFacts; lines: string[] }

/** Every pack file of 6.12 as parsed whole, read once for both tests. */
const originals = (() => {
  let memo: { normalize: Normalizer; files: Original[] } | null = null;
  return () => {
    if (memo) return memo;
    const root = fetchKernel('6.12');
    const pack = loadPack(defaultPackPath());
    const normalize = makeNormalizer(pack.frontend);
    const files: Original[] = [];
    for (const rel of discoverFiles(root, pack.include, pack.exclude).files) {
      const before = fs.readFileSync(path.join(root, rel), 'latin1');
      const r = parseText(before, rel, normalize, DEFAULT_LIMITS);
      if (r.ok) files.push({ rel, before, facts: r.facts, lines: before.split('\n') });
    }
    return (memo = { normalize, files });
  };
})();

/** What the shortcut makes of an edit: declined, or facts the same as a full parse's or not. */
function tryEdit(o: Original, after: string, normalize: Normalizer): 'declined' | 'same' | 'different' {
  const got = reparseEdit({ before: o.before, facts: o.facts, after }, o.rel, normalize, DEFAULT_LIMITS);
  if (!got) return 'declined';
  const full = parseText(after, o.rel, normalize, DEFAULT_LIMITS);
  return full.ok && factsToText(got) === factsToText(full.facts) ? 'same' : 'different';
}

test('reparse on 6.12: every shortcut taken gives the full parse\'s facts, and most edits take it', () => {
  const { normalize, files } = originals();
  let quick = 0;
  let declined = 0;
  const wrong: string[] = [];
  for (const o of files) {
    const { rel, lines } = o;
    const fns = o.facts.functions.filter((f) => f.endLine - f.line >= 3);
    const step = Math.max(1, Math.floor(fns.length / 4));
    for (const f of fns.filter((_, i) => i % step === 0).slice(0, 4)) {
      let brace = f.line - 1;
      while (brace < f.endLine - 1 && !lines[brace].includes('{')) brace++;
      const at = brace + 1;
      const last = f.endLine - 2;
      const edits: [string, string[] | null][] = [
        ['statement added', [...lines.slice(0, at), '\t(void)0;', ...lines.slice(at)]],
        ['block added', [...lines.slice(0, at), '\tif (a) {', '\t\tb();', '\t}', ...lines.slice(at)]],
        ['last statement removed', /;\s*$/.test(lines[last]) ? [...lines.slice(0, last), ...lines.slice(last + 1)] : null],
        ['renamed', [...lines.slice(0, f.line - 1), lines[f.line - 1].replace(`${f.name}(`, `${f.name}_x(`), ...lines.slice(f.line)]],
        ['function added after it', [...lines.slice(0, f.endLine), '', 'static void co_added(void)', '{', '\tco_call();', '}', ...lines.slice(f.endLine)]],
      ];
      for (const [kind, edited] of edits) {
        if (!edited) continue;
        const verdict = tryEdit(o, edited.join('\n'), normalize);
        if (verdict === 'declined') declined++;
        else quick++;
        if (verdict === 'different') wrong.push(`${rel} ${f.name}(): ${kind}`);
      }
    }
  }
  assert.deepEqual(wrong, [], 'shortcuts that differ from a full parse');
  assert.ok(quick > 600, `${quick} edits took the shortcut`);
  assert.ok(quick / (quick + declined) >= MIN_SHORTCUT, `${quick} of ${quick + declined} took the shortcut`);
});

test('reparse on 6.12: seeded random line edits (delete, double, swap, copy from elsewhere, a word replaced) never give a shortcut unlike the full parse', () => {
  const seed = Number(process.env.CALLORDER_REPARSE_SEED ?? 20261201);
  console.log(`reparse random edits: seed ${seed} (CALLORDER_REPARSE_SEED to replay)`);
  const rand = prng(seed);
  const { normalize, files } = originals();
  let quick = 0;
  const wrong: string[] = [];
  for (const o of files) {
    const { rel, lines } = o;
    for (let t = 0; t < 10; t++) {
      const i = rand(lines.length);
      const j = rand(lines.length);
      const kind = rand(5);
      const ls = lines.slice();
      if (kind === 0) ls.splice(i, 1);
      else if (kind === 1) ls.splice(i, 0, lines[i]);
      else if (kind === 2 && i + 1 < ls.length) [ls[i], ls[i + 1]] = [ls[i + 1], ls[i]];
      else if (kind === 3) ls.splice(i, 0, lines[j]);
      else ls[i] = ls[i].replace(/[a-z_]+/, 'zz');
      const verdict = tryEdit(o, ls.join('\n'), normalize);
      if (verdict !== 'declined') quick++;
      if (verdict === 'different') wrong.push(`${rel}:${i + 1}: edit ${kind} (line ${j + 1})`);
    }
  }
  assert.deepEqual(wrong, [], `seed ${seed}: shortcuts that differ from a full parse`);
  assert.ok(quick > 200, `${quick} random edits took the shortcut`);
});

/** A small seeded generator (a linear congruential one): the same seed, the same edits. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}
