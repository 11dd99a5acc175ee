// A YAML pack parsed once per text. Loading and running the yaml parser costs
// more than a warm check of an unchanged tree does in all, and the default
// pack is YAML: its parse is kept as JSON in the cache, under the hash of the
// text, so a pre-commit run reads JSON. Only a parse that succeeded is kept;
// a file that cannot be written costs the parse, never the run.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot } from '../cache/root';

let parserVersion: string | null = null;

/**
 * What the pack `text` parses to: from the cache, else from `parse()`, which
 * is then kept. `how` names the parser's options: a parse under other options
 * or by another version of the parser is another entry.
 */
export function parsedYaml(text: string, how: string, parse: () => unknown): unknown {
  parserVersion ??= (JSON.parse(fs.readFileSync(require.resolve('yaml/package.json'), 'utf8')) as { version: string }).version;
  const key = crypto.createHash('sha256').update(`${parserVersion}\0${how}\0${text}`).digest('hex');
  const file = path.join(cacheRoot(), 'packs', `${key}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // not kept yet, or kept badly: parse again
  }
  const value = parse();
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(value));
    fs.renameSync(tmp, file);
  } catch {
    // a read-only cache: the next run parses again
  }
  return value;
}
