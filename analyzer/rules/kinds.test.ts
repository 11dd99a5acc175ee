// Every rule kind is a module with its docs and fixture tests: a kind added
// without them fails here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULE_KINDS } from '.';
import { packSchema } from '../pack/load';
import { casesIn } from '../driver/examples';
import { ROOT, kindFixtureDir } from './fixture-cases.testlib';

const kinds = Object.keys(RULE_KINDS).sort();

test('the registry and the schema know the same kinds', () => {
  const schemaKinds = (packSchema().definitions.rule.oneOf ?? []).map((b) => b.properties.kind.const);
  assert.deepEqual([...schemaKinds].sort(), kinds);
});

for (const kind of kinds) {
  test(`${kind}: a doc, a test file, and at least 3 valid and 3 invalid fixture cases`, () => {
    const doc = path.join(ROOT, 'analyzer', 'rules', `${kind}.md`);
    assert.ok(fs.existsSync(doc), `analyzer/rules/${kind}.md`);
    const text = fs.readFileSync(doc, 'utf8');
    for (const heading of ['## What it finds', '## How sure it is', '## Keys', '## Example']) {
      assert.ok(text.includes(heading), `${kind}.md has "${heading}"`);
    }
    // the schema says a key's shape, the doc its meaning: every key of the kind has its row
    const keys = text.slice(text.indexOf('## Keys'), text.indexOf('## Example'));
    for (const key of Object.keys(RULE_KINDS[kind].schema.properties)) {
      assert.match(keys, new RegExp(`^\\| [^|]*\`${key}\``, 'm'), `${kind}.md's Keys has a row for ${key}`);
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
