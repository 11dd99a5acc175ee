// The fuzz test's generator and mutations: a case replays from (seed, number)
// alone, and each mutation does to the text what its name says.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { Prng, caseSeed } from './prng';
import { mutate, mutateAs, SMALL_KINDS, BIG_FORMS, tokens } from './mutate';
import { maxOf } from '../util/append';

const TEXT = [
  '// SPDX-License-Identifier: GPL-2.0',
  '#include <linux/kvm_host.h>',
  '',
  '#ifdef CONFIG_X',
  'static int demo(struct kvm_vcpu *vcpu, int a)',
  '{',
  '\tif (vcpu->arch.ready && a > 0)',
  '\t\treturn helper(vcpu, "text", \'c\');',
  '\treturn 0;',
  '}',
  '#endif',
  '',
].join('\n');

test('the generator: same seed, same sequence; cases get distinct seeds', () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const xs = Array.from({ length: 100 }, () => a.u32());
  assert.deepEqual(Array.from({ length: 100 }, () => b.u32()), xs);
  assert.ok(new Set(xs).size > 95);
  assert.equal(new Set(Array.from({ length: 1000 }, (_, i) => caseSeed(7, i))).size, 1000);
  const r = new Prng(1);
  for (let i = 0; i < 1000; i++) {
    const n = r.int(10);
    assert.ok(n >= 0 && n < 10 && Number.isInteger(n));
  }
});

test('a mutation replays from its seed', () => {
  for (let i = 0; i < 200; i++) {
    const m1 = mutate(TEXT, new Prng(caseSeed(3, i)), i);
    const m2 = mutate(TEXT, new Prng(caseSeed(3, i)), i);
    assert.deepEqual(m2, m1);
  }
});

test('the tokens of C text: identifiers, literals, comments and punctuation, not whitespace', () => {
  const ts = tokens('a->b = "x y"; /* c d */ 0x1f\n').map((t) => 'a->b = "x y"; /* c d */ 0x1f\n'.slice(t.start, t.end));
  assert.deepEqual(ts, ['a', '-', '>', 'b', '=', '"x y"', ';', '/* c d */', '0x1f']);
});

test('each small mutation changes the text the way its name says', () => {
  for (const kind of SMALL_KINDS) {
    let changed = 0;
    for (let s = 0; s < 30; s++) {
      const m = mutateAs(kind, TEXT, new Prng(s));
      assert.equal(m.kind, kind);
      if (m.text !== TEXT) changed++;
      if (kind === 'insert-nul') assert.ok(m.text.includes('\0'));
      if (kind === 'insert-invalid-utf8') assert.ok(!isUtf8(Buffer.from(m.text, 'latin1')), m.what);
      if (kind === 'truncate') assert.ok(TEXT.startsWith(m.text));
      if (kind.startsWith('delete')) assert.ok(m.text.length <= TEXT.length);
      if (kind.startsWith('duplicate')) assert.ok(m.text.length > TEXT.length);
      if (kind.startsWith('swap')) assert.equal([...m.text].sort().join(''), [...TEXT].sort().join(''));
    }
    assert.ok(changed >= 20, `${kind} left the text unchanged in ${30 - changed} of 30 cases`);
  }
});

test('the first cases of a run take each big form once: 100,000-deep nesting, 1 MB lines', () => {
  BIG_FORMS.forEach((f, i) => {
    const m = mutate(TEXT, new Prng(i), i);
    assert.equal(m.kind, f.kind);
    if (f.kind === 'long-line') {
      assert.ok(maxOf(m.text.split('\n').map((l) => l.length)) >= 1 << 20, `${f.form}: no 1 MB line`);
    } else {
      // the unit each form repeats, and how often
      const [unit, times] = ({ '((balanced': [')', 100_000], '{{balanced': ['}', 100_000], 'struct{': ['{ struct ', 10_000], '#if X\n': ['#if X\n', 100_000] } as Record<string, [string, number]>)[f.form] ?? [f.form, 100_000];
      const count = m.text.split(unit).length - TEXT.split(unit).length;
      assert.ok(count >= times, `${JSON.stringify(f.form)}: ${count} more ${JSON.stringify(unit)}`);
    }
  });
  const later = mutate(TEXT, new Prng(5), BIG_FORMS.length + 5);
  assert.ok(later.text.length < 10 * TEXT.length || ['deep-nesting', 'long-line'].includes(later.kind));
});
