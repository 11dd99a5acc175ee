// npm run schema: writes rules/schema.json's definitions again from the rule
// kinds' schemas (analyzer/rules/schema-json.ts); the rest of the file is kept.
//   node dist/scripts/pack-schema.js           rewrite rules/schema.json
//   node dist/scripts/pack-schema.js --check   exit 1 when it is stale

import * as fs from 'node:fs';
import * as path from 'node:path';
import { schemaJsonText } from '../analyzer/rules/schema-json';

const file = path.resolve(__dirname, '..', '..', 'rules', 'schema.json');
const current = fs.readFileSync(file, 'utf8');
const next = schemaJsonText(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('rules/schema.json is stale: run npm run schema');
    process.exit(1);
  }
} else if (next !== current) {
  fs.writeFileSync(file, next);
  console.log('rules/schema.json: written');
} else {
  console.log('rules/schema.json: up to date');
}
