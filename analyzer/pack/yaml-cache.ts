// A YAML pack parsed once per text. Loading and running the yaml parser costs
// more than a warm check of an unchanged tree does in all, and the default
// pack is YAML: its parse is kept as an entry of the cache (kind `pack`, with
// the store's checked header, private modes and atomic write), keyed by the
// text, so a pre-commit run reads JSON. Only a parse that succeeded is kept;
// a cache that cannot be written costs the parse, never the run.

import { EntryStore, sha } from '../cache/store';
import { packageVersion } from '../cache/code-id';

/**
 * What the pack `text` parses to: from the cache, else from `parse()`, which
 * is then kept. `how` names the parser's options: a parse under other options
 * or by another version of the parser is another entry.
 */
export function parsedYaml(text: string, how: string, parse: () => unknown): unknown {
  // the cache in force now: tests and the server change it between runs
  const store = new EntryStore('pack');
  const key = sha(packageVersion('yaml'), how, text);
  const kept = store.read(key);
  if (kept !== null) {
    try {
      return JSON.parse(kept);
    } catch {
      // a sound entry that is not JSON was not written by this code: parse again
    }
  }
  const value = parse();
  store.write(key, JSON.stringify(value));
  return value;
}
