// Every rule kind is a module with its docs and fixture tests: a kind added
// without them fails here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULE_KINDS } from '.';
import { packSchema } from '../pack/load';
import { casesIn } from '../pack/examples';
import { ROOT, kindFixtureDir } from './fixture-cases';

const kinds = Object.keys(RULE_KINDS).sort();

test('the registry and the schema know the same kinds', () => {
  const rule = packSchema().definitions?.rule;
  const enumKinds = (rule?.properties?.kind?.enum ?? []) as string[];
  assert.deepEqual([...enumKinds].sort(), kinds);
});

for (const kind of kinds) {
  test(`${kind}: a doc, a test file, and at least 3 valid and 3 invalid fixture cases`, () => {
    const doc = path.join(ROOT, 'analyzer', 'rules', `${kind}.md`);
    assert.ok(fs.existsSync(doc), `analyzer/rules/${kind}.md`);
    const text = fs.readFileSync(doc, 'utf8');
    for (const heading of ['## What it finds', '## How sure it is', '## Keys', '## Example']) {
      assert.ok(text.includes(heading), `${kind}.md has "${heading}"`);
    }
    assert.ok(fs.existsSync(path.join(__dirname, `${kind}.test.js`)), `analyzer/rules/${kind}.test.ts`);
    const { cases, problems } = casesIn(kindFixtureDir(kind));
    assert.deepEqual(problems, []);
    assert.ok(cases.filter((c) => c.valid).length >= 3, 'valid cases');
    assert.ok(cases.filter((c) => !c.valid).length >= 3, 'invalid cases');
  });
}

test('every directory of fixtures/rules is a rule kind', () => {
  const dirs = fs.readdirSync(path.join(ROOT, 'fixtures', 'rules')).sort();
  assert.deepEqual(dirs, kinds);
});
