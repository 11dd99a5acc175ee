// rules/schema.json's definitions are generated from the kinds' schemas
// (schema-json.ts); the checked-in file must be what `npm run schema` writes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { schemaJsonText } from './schema-json';
import { ROOT } from './fixture-cases.testlib';

test('rules/schema.json is what npm run schema writes from the kinds (run it when this fails)', () => {
  const current = fs.readFileSync(path.join(ROOT, 'rules', 'schema.json'), 'utf8');
  assert.equal(schemaJsonText(current), current);
});

test('the definitions are made from the kinds, whatever the file held (a hand edit there is undone)', () => {
  const current = fs.readFileSync(path.join(ROOT, 'rules', 'schema.json'), 'utf8');
  const edited = current.replace('"required": ["id", "kind", "message", "confidence", "trigger", "follow"]', '"required": ["id", "kind", "message", "confidence", "follow"]');
  assert.notEqual(edited, current);
  assert.equal(schemaJsonText(edited), current);
});
