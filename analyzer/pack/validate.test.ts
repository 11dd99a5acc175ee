// The pack validator: the build's compiled code while rules/schema.json is
// the schema it was compiled from, the schema compiled at run time once the
// file changed, and ajv's errors said as one key and one reason.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packValidator, schemaHash, schemaError, PREBUILT } from './validate';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCHEMA = fs.readFileSync(path.join(ROOT, 'rules', 'schema.json'), 'utf8');

test('the build compiled rules/schema.json, and a run uses that code', () => {
  const pre = require(`./${PREBUILT}`) as { schemaHash: string };
  assert.equal(pre.schemaHash, schemaHash(SCHEMA));
  assert.equal(packValidator(SCHEMA), pre);
});

test('a schema edited since the build is compiled at run time, and holds', () => {
  // the same schema with `name` required
  const edited = SCHEMA.replace('"type": "object",\n  "additionalProperties": false,', '"type": "object",\n  "required": ["name"],\n  "additionalProperties": false,');
  assert.notEqual(edited, SCHEMA);
  const v = packValidator(edited);
  assert.notEqual(v, require(`./${PREBUILT}`));
  assert.equal(v({ rules: [] }), false);
  assert.deepEqual(schemaError(v.errors ?? [], { rules: [] }, () => []), { path: ['name'], reason: 'is required', on: 'parent' });
  assert.equal(v({ name: 'x', rules: [] }), true);
});

test('of the errors a oneOf gives, the deepest is the one said', () => {
  const v = packValidator(SCHEMA);
  // an entry is a name or an object: the object's unknown key says more than "expected string"
  const pack = { rules: [{ id: 'r', kind: 'init-before-read', message: 'm', confidence: 'high', fields: ['a.b'], entries: [{ function: 'f', argz: {} }] }] };
  assert.equal(v(pack), false);
  assert.deepEqual(schemaError(v.errors ?? [], pack, () => []), { path: ['rules', 0, 'entries', 0, 'argz'], reason: 'is not a known key', on: 'key' });
  const num = { rules: [{ ...pack.rules[0], entries: [5] }] };
  assert.equal(v(num), false);
  assert.deepEqual(schemaError(v.errors ?? [], num, () => []), { path: ['rules', 0, 'entries', 0], reason: 'expected string, found integer', on: 'value' });
});
