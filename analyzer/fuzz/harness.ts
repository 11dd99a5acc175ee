// One fuzz case through the whole pipeline, in process: the mutated file is
// written into a scratch tree and read by parseFile (so the size limit, the
// NUL and UTF-8 checks and the timeout are the CLI's), its facts join the
// facts of a few unmodified files, and makeProgram, runRules, the parse and
// call-graph statistics, the graph view and both reports run on the result.
//
// What a case must show besides "no exception":
//   - unmodified files: their facts are deep-frozen, so a stage that writes
//     into shared facts (which a fact cache or a second program would then
//     see) throws; and one of them is parsed again after every case and must
//     give the facts it gave first (no parser state leaks from a bad file);
//   - their findings: the rules run once with the unmodified files' functions
//     as entries, alone, for a baseline. In a case the mutated file can change
//     those findings only through a name the unmodified files use: a function
//     they call, a struct or typedef they name, a macro, a table of a type they
//     call through, a hook assigned in a struct they use. So the case compares
//     what each such name resolves to with and without the mutated file, and
//     when nothing differs the findings must equal the baseline exactly; when
//     something differs (the mutated file defines a name they use) the
//     findings may legitimately change and only the other checks apply;
//   - the mutated file: a parse over the time limit ends in a note naming
//     the file and --timeout, never in silence, and reading it never takes
//     more than a few times the limit.
// The mutated file's own functions are entries too, under rules with other
// ids, so the engine walks the damaged bodies; those rules cannot touch the
// baseline's findings, which are keyed by rule id.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileFacts } from '../parse/ir';
import { parseFile, type ParseLimits } from '../parse/parse-file';
import { makeNormalizer, type Normalizer } from '../parse/normalize';
import { discoverFiles } from '../source/discover';
import type { TreeFacts } from '../driver/load-tree';
import type { Pack } from '../pack/load';
import type { RuleSpec } from '../pack/rule-spec';
import { makeProgram, indirectStats } from '../program/callgraph';
import type { Program } from '../program/program';
import { graphFrom, renderGraph } from '../program/graph-view';
import { runRules } from '../flow/run';
import { computeStats } from '../report/stats';
import { renderText } from '../report/text';
import { checkJson } from '../report/json';
import { Prng, caseSeed } from './prng';
import { mutate } from './mutate';
import { deepFreeze } from '../util/deep-freeze';

export interface FuzzOptions {
  /** the kernel tree the files come from */
  kernel: string;
  /** scratch directory the mutated file is written into */
  scratch: string;
  pack: Pack;
  limits: ParseLimits;
  /** failing inputs are copied here as case-<i>-<name> */
  keepDir?: string;
  /** how many unmodified files, and the size bounds of the mutated ones */
  unmodified?: number;
  minBytes?: number;
  maxBytes?: number;
}

export interface Fuzz {
  opts: FuzzOptions;
  normalize: Normalizer;
  unmodified: FileFacts[];
  /** their facts as first parsed, to compare a re-parse with */
  unmodifiedJson: string[];
  pool: string[];
  uRules: RuleSpec[];
  /** every identifier the unmodified files' text holds, and the pack's program names */
  uNames: string[];
  baseline: string;
  baselineCount: number;
  baselineView: string;
}

export interface CaseResult {
  i: number;
  file: string;
  kind: string;
  what: string;
  bytes: number;
  ms: number;
  parseMs: number;
  /** the note when the mutated file was skipped */
  skipped?: string;
  notes: string[];
  /** findings compared with the baseline (the mutated file uses no name of theirs) */
  compared: boolean;
  findings: number;
  failures: string[];
}

const SUFFIX = '-on-mutant';
/** how far past --timeout reading one file may run before the limit counts as broken */
const OVERRUN = 5;
const READ_SLACK_MS = 1000;

/** Words the pack's rules are about: a file that mentions them is likely to give findings. */
function ruleVocabulary(pack: Pack): Set<string> {
  const words = new Set<string>();
  const text = JSON.stringify(pack.rules.map((r) => ({ ...r, id: '', message: '', description: '', seed: [], tests: [] })));
  for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]{3,}/g)) words.add(m[0]);
  for (const w of ['kind', 'fields', 'entries', 'fresh', 'initializers', 'operations', 'acquire', 'release', 'confidence', 'high', 'medium', 'region', 'trigger', 'follow', 'changes', 'predicate', 'marks', 'call', 'regArg', 'registers', 'write', 'read', 'exempt', 'conditionMentions', 'severity', 'warning', 'error', 'value', 'field', 'function', 'args']) words.delete(w);
  return words;
}

function identifiers(text: string): Set<string> {
  return new Set(text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
}

/**
 * Chooses the unmodified files (the smallest that mention the rules' words,
 * so that the baseline has findings) and the pool the mutated file is drawn
 * from (every other file of the pack within the size bounds), parses the
 * unmodified files and computes the baseline.
 */
export function setup(opts: FuzzOptions): Fuzz {
  const { kernel, pack } = opts;
  const minBytes = opts.minBytes ?? 1024;
  const maxBytes = opts.maxBytes ?? 48 * 1024;
  const normalize = makeNormalizer(pack.frontend);
  const files = discoverFiles(kernel, pack.include, pack.exclude).files;
  const size = new Map(files.map((f) => [f, fs.statSync(path.join(kernel, f)).size]));
  const vocab = ruleVocabulary(pack);
  const scored = files
    .filter((f) => size.get(f)! >= minBytes && size.get(f)! <= maxBytes)
    .map((f) => ({ f, hits: [...identifiers(fs.readFileSync(path.join(kernel, f), 'latin1'))].filter((w) => vocab.has(w)).length }))
    .filter((x) => x.hits > 0)
    .sort((a, b) => size.get(a.f)! - size.get(b.f)! || (a.f < b.f ? -1 : 1));
  const chosen = scored.slice(0, opts.unmodified ?? 4).map((x) => x.f).sort();
  const unmodified: FileFacts[] = [];
  let uText = '';
  for (const f of chosen) {
    const r = parseFile(path.join(kernel, f), f, normalize, opts.limits);
    if (!r.ok) throw new Error(`unmodified file ${f} does not parse: ${r.note}`);
    unmodified.push(r.facts);
    uText += fs.readFileSync(path.join(kernel, f), 'latin1');
  }
  const unmodifiedJson = unmodified.map((f) => JSON.stringify(f));
  deepFreeze(unmodified);
  const pool = files.filter((f) => !chosen.includes(f) && size.get(f)! >= minBytes && size.get(f)! <= maxBytes);
  const uEntries = [...new Set(unmodified.flatMap((f) => f.functions.map((fn) => fn.name)))].sort();
  const uRules = pack.rules.map((r) => ({ ...r, entries: uEntries }) as RuleSpec);
  const programNames = JSON.stringify(pack.program).match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  const uNames = [...new Set([...identifiers(uText), ...programNames, ...uEntries])].sort();
  const fz: Fuzz = { opts, normalize, unmodified, unmodifiedJson, pool, uRules, uNames, baseline: '', baselineCount: 0, baselineView: '' };
  const tree = treeOf(fz, null);
  const prog = makeProgram(tree, pack);
  const res = runRules(prog, packWith(pack, uRules), undefined);
  fz.baseline = JSON.stringify(res.findings);
  fz.baselineCount = res.findings.length;
  fz.baselineView = viewOf(prog, uNames);
  return fz;
}

function treeOf(fz: Fuzz, mutant: FileFacts | null): TreeFacts {
  const files = mutant ? [...fz.unmodified, mutant].sort((a, b) => (a.file < b.file ? -1 : 1)) : [...fz.unmodified];
  return { root: fz.opts.scratch, files, notes: [], bytes: files.reduce((n, f) => n + f.bytes, 0) };
}

function packWith(pack: Pack, rules: RuleSpec[]): Pack {
  return { ...pack, rules, ruleFile: Object.fromEntries(rules.map((r) => [r.id, 'fuzz'])) };
}

/** What each name the unmodified files use resolves to: definitions, tables, hook implementations. */
export function viewOf(p: Program, names: string[]): string {
  const at = (x: { file: string; line: number }) => `${x.file}:${x.line}`;
  const want = new Set(names);
  const out: string[] = [];
  for (const n of names) {
    const parts = [
      p.functions.get(n)?.map(at),
      p.structs.get(n) && `${at(p.structs.get(n)!)}:${p.structs.get(n)!.fields.length}`,
      p.typedefs.get(n) && JSON.stringify(p.typedefs.get(n)),
      p.globals.get(n)?.map(at),
      p.macros.get(n) && at(p.macros.get(n)!),
      p.tablesByName.get(n)?.map(at),
      p.tablesByType.get(n)?.map((t) => `${t.name}@${at(t)}`),
    ];
    if (parts.some((x) => x !== undefined)) out.push(`${n} ${JSON.stringify(parts)}`);
  }
  for (const [hook, impls] of p.hookImpls) {
    if (want.has(hook.slice(0, hook.indexOf('.')))) out.push(`${hook} ${impls.map((x) => `${x.table.name}@${at(x.table)}=${x.fn}`).join(',')}`);
  }
  return out.sort().join('\n');
}

export function runCase(fz: Fuzz, seed: number, i: number, onStart?: (c: { file: string; kind: string; what: string }) => void): CaseResult {
  const r = new Prng(caseSeed(seed, i));
  const file = r.pick(fz.pool);
  const original = fs.readFileSync(path.join(fz.opts.kernel, file), 'latin1');
  const m = mutate(original, r, i);
  const abs = path.join(fz.opts.scratch, file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, Buffer.from(m.text, 'latin1'));
  onStart?.({ file, kind: m.kind, what: m.what });
  const res: CaseResult = { i, file, kind: m.kind, what: m.what, bytes: m.text.length, ms: 0, parseMs: 0, notes: [], compared: false, findings: 0, failures: [] };
  const t0 = Date.now();
  try {
    pipeline(fz, file, abs, r, res);
  } catch (e) {
    res.failures.push(`exception: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
  if (res.failures.length && fz.opts.keepDir) {
    fs.mkdirSync(fz.opts.keepDir, { recursive: true });
    fs.copyFileSync(abs, path.join(fz.opts.keepDir, `case-${i}-${path.basename(file)}`));
  }
  fs.rmSync(abs, { force: true });
  res.ms = Date.now() - t0;
  return res;
}

function pipeline(fz: Fuzz, file: string, abs: string, r: Prng, res: CaseResult): void {
  const { pack, limits } = fz.opts;
  const p0 = Date.now();
  const parsed = parseFile(abs, file, fz.normalize, limits);
  res.parseMs = Date.now() - p0;
  let mutant: FileFacts | null = null;
  if (parsed.ok) {
    mutant = parsed.facts;
    res.notes = mutant.notes;
  } else {
    res.skipped = parsed.note;
    res.notes = [parsed.note];
  }
  for (const n of res.notes) {
    if (!n.startsWith(file)) res.failures.push(`a note that does not name the file: ${n}`);
  }
  // the budget starts after the file is read: reading gets a second of slack
  if (limits.timeoutMs > 0 && res.parseMs > limits.timeoutMs + READ_SLACK_MS && !res.skipped?.includes('--timeout')) {
    res.failures.push(`the parse took ${res.parseMs} ms, over --timeout ${limits.timeoutMs} ms, and was not cut`);
  }
  // the parse stops at the budget; fact extraction runs to its end and is
  // checked after, so it may overrun, but by no more than a few times the budget
  if (limits.timeoutMs > 0 && res.parseMs > OVERRUN * limits.timeoutMs) {
    res.failures.push(`reading the file took ${res.parseMs} ms, over ${OVERRUN} times --timeout ${limits.timeoutMs} ms`);
  }

  const tree = treeOf(fz, mutant);
  tree.notes = res.notes;
  const prog = makeProgram(tree, pack);
  const mEntries = mutant ? pickEntries(mutant, r) : [];
  const mRules = mEntries.length ? pack.rules.map((x) => ({ ...x, id: `${x.id}${SUFFIX}`, entries: mEntries }) as RuleSpec) : [];
  const run = runRules(prog, packWith(pack, [...fz.uRules, ...mRules]), undefined);
  res.findings = run.findings.length;

  // what the stats, graph and check commands print, so the renderers see the damaged names too
  computeStats(tree);
  indirectStats(prog);
  if (mEntries.length) {
    const g = graphFrom(prog, mEntries[0], { depth: 6 });
    for (const f of ['text', 'dot', 'json'] as const) renderGraph(g, f);
  }
  renderText(run.findings);
  JSON.stringify(checkJson(fz.opts.scratch, run.findings, { files: tree.files.length, bytes: tree.bytes, functions: 0, entries: run.entriesRun, rules: pack.rules.length, notes: tree.notes }));

  if (viewOf(prog, fz.uNames) === fz.baselineView) {
    res.compared = true;
    const mine = JSON.stringify(run.findings.filter((f) => !f.rule.endsWith(SUFFIX)));
    if (mine !== fz.baseline) res.failures.push(`the unmodified files' findings changed although the mutated file defines no name they use:\n${diffLines(fz.baseline, mine)}`);
  }

  // one unmodified file parsed again after the damaged one: same facts
  const k = res.i % fz.unmodified.length;
  const u = fz.unmodified[k];
  const again = parseFile(path.join(fz.opts.kernel, u.file), u.file, fz.normalize, { ...limits, timeoutMs: 0 });
  if (!again.ok) res.failures.push(`${u.file} no longer parses after the mutated file: ${again.note}`);
  else if (JSON.stringify(again.facts) !== fz.unmodifiedJson[k]) res.failures.push(`${u.file} parses to different facts after the mutated file`);
}

/** up to three of the mutant's functions, entries for the rules that walk it */
function pickEntries(f: FileFacts, r: Prng): string[] {
  const names = [...new Set(f.functions.map((fn) => fn.name))].sort();
  const out = new Set<string>();
  for (let n = Math.min(3, names.length); n > 0; n--) out.add(r.pick(names));
  return [...out].sort();
}

function diffLines(a: string, b: string): string {
  const pa = (JSON.parse(a) as { rule: string; file: string; line: number; message: string }[]).map((f) => `${f.rule} ${f.file}:${f.line} ${f.message}`);
  const pb = (JSON.parse(b) as { rule: string; file: string; line: number; message: string }[]).map((f) => `${f.rule} ${f.file}:${f.line} ${f.message}`);
  const lost = pa.filter((x) => !pb.includes(x)).map((x) => `  - ${x}`);
  const gained = pb.filter((x) => !pa.includes(x)).map((x) => `  + ${x}`);
  return [...lost, ...gained].join('\n') || '  (same findings, different traces or order)';
}
