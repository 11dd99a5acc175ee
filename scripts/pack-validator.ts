// Part of `npm run build`: compiles rules/schema.json into the pack validator
// dist/analyzer/pack/pack-validator.js (ajv's standalone code), so a run loads
// the compiled code instead of compiling the schema at every start.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { AJV_OPTIONS, PREBUILT, schemaHash } from '../analyzer/pack/validate';

const ROOT = path.resolve(__dirname, '..', '..');
const text = fs.readFileSync(path.join(ROOT, 'rules', 'schema.json'), 'utf8');
const Ajv = (require('ajv') as typeof import('ajv')).default;
const standalone = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
const ajv = new Ajv(AJV_OPTIONS);
const code = standalone(ajv, ajv.compile(JSON.parse(text) as object));
const out = path.join(ROOT, 'dist', 'analyzer', 'pack', PREBUILT);
const tmp = `${out}.${process.pid}.tmp`;
fs.writeFileSync(tmp, `${code}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(text))};\n`);
fs.renameSync(tmp, out);
