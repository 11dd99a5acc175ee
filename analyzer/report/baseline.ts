// Only what a change adds: findings are matched by their line-free id, so
// code that merely moved does not bring an old finding back as new.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../flow/finding';
import { InputError } from '../util/errors';

/** `cwd`: the directory a relative `file` is in (the command's); messages name `file` as given. */
export function readBaseline(file: string, cwd = ''): Set<string> {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read baseline (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message);
    const where = pos ? `:${text.slice(0, Number(pos[1])).split('\n').length}` : '';
    throw new InputError(`${file}${where}: baseline is not JSON (write one with \`callorder check --format json\`)`);
  }
  const findings = (raw as { findings?: unknown })?.findings;
  if (!Array.isArray(findings) || !findings.every((f) => typeof (f as Finding)?.id === 'string')) {
    throw new InputError(`${file}: not a callorder JSON output: no findings[] with ids`);
  }
  return new Set(findings.map((f) => (f as Finding).id));
}

export function splitByBaseline(findings: Finding[], before: Set<string>): { added: Finding[]; old: Finding[] } {
  return {
    added: findings.filter((f) => !before.has(f.id)),
    old: findings.filter((f) => before.has(f.id)),
  };
}
