// For tests only (ajv is a devDependency): a validator for the SARIF schema kept in docs/schemas.

import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** null when `v` is valid SARIF 2.1.0, else ajv's errors as text. */
export function sarifValidator(): (v: unknown) => string | null {
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'schemas', 'sarif-schema-2.1.0.json'), 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const v = ajv.compile(schema);
  return (x) => (v(x) ? null : ajv.errorsText(v.errors));
}
