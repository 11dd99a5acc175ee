// Malformed rules made from the kinds' own schemas, through the CLI: for each
// kind, a rule of its fixture pack without each required key, with a key of
// each other kind, and with each of its own keys of the wrong type. Each stops
// `callorder rules list --rules PACK` with exit 2 and one line,
// `callorder: FILE:LINE:COLUMN: KEY: REASON`, the position found here by
// searching the pack's text. A kind added to the registry is covered at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { KINDS } from '../rules';
import { RULE_BASE } from './rule-schema';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');

type Rule = Record<string, unknown>;

/** The first rule of the kind's fixture pack, without its examples (a directory beside that pack). */
function fixtureRule(kind: string): Rule {
  const pack = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'rules', kind, 'pack.json'), 'utf8')) as { rules: Rule[] };
  const { examples: _, ...rule } = pack.rules.find((r) => r.kind === kind)!;
  return rule;
}

const ownKeys = (k: (typeof KINDS)[number]) => Object.keys(k.schema.properties);
const typeOfKey = (k: (typeof KINDS)[number], key: string) => (k.schema.properties as Record<string, { type?: string }>)[key].type;

/** A value of `type`, and another type's value with the name the error gives its type. */
function valueOf(type: string | undefined): unknown {
  return type === 'array' ? ['x'] : type === 'object' ? {} : 'x';
}
function wrongFor(type: string | undefined): { value: unknown; found: string } {
  if (type === 'array') return { value: 'x', found: 'string' };
  if (type === 'object') return { value: ['x'], found: 'array' };
  return { value: 5, found: 'integer' };
}

interface Case { name: string; rule: Rule; key: string; reason: string; on: 'key' | 'value' | 'parent' }

function cases(): Case[] {
  const out: Case[] = [];
  const used = new Map<string, number>();
  for (const k of KINDS) {
    const base = fixtureRule(k.kind);
    const mine = new Set([...Object.keys(RULE_BASE.properties), 'kind', ...ownKeys(k)]);
    for (const key of ['id', 'kind', ...RULE_BASE.required.filter((r) => r !== 'id'), ...k.schema.required]) {
      const { [key]: _, ...rule } = base;
      out.push({ name: `${k.kind} without ${key}`, rule, key, reason: 'is required', on: 'parent' });
    }
    for (const other of KINDS) {
      // a key of the other kind that this one lacks, taking each such key in turn across the kinds
      const foreign = ownKeys(other).filter((x) => !mine.has(x)).sort((a, b) => (used.get(a) ?? 0) - (used.get(b) ?? 0));
      if (!foreign.length) continue;
      const key = foreign[0];
      used.set(key, (used.get(key) ?? 0) + 1);
      const value = fixtureRule(other.kind)[key] ?? valueOf(typeOfKey(other, key));
      out.push({ name: `${k.kind} with ${other.kind}'s ${key}`, rule: { ...base, [key]: value }, key, reason: `is not a key of ${k.kind} rules`, on: 'key' });
    }
    for (const key of ownKeys(k)) {
      const type = typeOfKey(k, key);
      const { value, found } = wrongFor(type);
      out.push({ name: `${k.kind} with ${key} of the wrong type`, rule: { ...base, [key]: value }, key, reason: `expected ${type}, found ${found}`, on: 'value' });
    }
  }
  return out;
}

/** line:column of `offset` in `text`, both from 1 */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `${before.split('\n').length}:${offset - before.lastIndexOf('\n')}`;
}

/** Where the error must point: the rule's `{`, the key's opening quote, or the first character of its value. */
function expectedPosition(text: string, c: Case): string {
  const ruleStart = text.indexOf('{', text.indexOf('"rules": ['));
  if (c.on === 'parent') return position(text, ruleStart);
  const key = text.indexOf(`"${c.key}": `, ruleStart);
  assert.ok(key > 0, c.key);
  return position(text, c.on === 'key' ? key : key + `"${c.key}": `.length);
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CALLORDER_NO_SERVER: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('every fixture rule loads as it is (the cases below differ from it by one key)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-kinds-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'ok.json');
  fs.writeFileSync(file, JSON.stringify({ name: 'gen', rules: KINDS.map((k) => fixtureRule(k.kind)) }, null, 2));
  const r = await run(['rules', 'list', '--rules', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trimEnd().split('\n').length, KINDS.length);
});

test('a malformed rule of each kind: exit 2 and one line naming the file, the position, the key and the reason', { concurrency: 2 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-kinds-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const all = cases();
  // every kind: each required key, a key of every other kind, each own key's type
  assert.ok(all.length >= KINDS.length * (4 + KINDS.length - 1));
  await Promise.all(all.map((c, i) =>
    t.test(c.name, async () => {
      const file = path.join(dir, `case-${i}.json`);
      const text = JSON.stringify({ name: 'gen', rules: [c.rule] }, null, 2);
      fs.writeFileSync(file, text);
      const r = await run(['rules', 'list', '--rules', file]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `callorder: ${file}:${expectedPosition(text, c)}: rules[0].${c.key}: ${c.reason}\n`);
    })));
});
