// Loads a rule pack (JSON, or YAML for .yaml/.yml) and the packs it extends,
// validates each file against rules/schema.json, and merges them. A bad pack
// is a PackError naming the file, the key and the reason, with the key's line
// and column: the CLI prints it as one line and exits 2.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Alias } from 'yaml';
import type { ValidateFunction } from 'ajv';
import { jsonError } from '../util/json-error';
import type { FrontendConfig } from '../parse/normalize';
import type { RuleSpec } from './rule-spec';
import { keyName, locate, type KeyPath, type Position } from './locate';
import { packValidator, schemaError } from './validate';
import { append } from '../util/append';
import { PackError } from '../util/errors';
import { authoredAt, expandSets, SetError, type PackSet, type Spliced } from './sets';
import { parsedYaml } from './yaml-cache';


/** A PackError at `path` of a file whose text is `text` (read again when not given). */
export function packErrorAt(file: string, text: string | null, path: KeyPath, reason: string, on: 'key' | 'value' | 'parent' = 'value'): PackError {
  if (text === null) {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // the position is a help, not a need
    }
  }
  return new PackError(file, keyName(path), reason, (text !== null && locate(text, path, on)) || undefined);
}

export interface OpsCallMacro {
  /** the macro the call goes through: `static_call(kvm_x86_X)(...)` */
  macro: string;
  /** prefix stripped from the macro's argument to get the member name */
  keyPrefix: string;
  /** struct type whose tables implement the member */
  struct: string;
}

export interface ProgramConfig {
  opsCallMacros: OpsCallMacro[];
  /** tables that go together on one path (one vendor's ops, nested ops, PMU ops) */
  tableGroups: string[][];
  /** fields fixed for an entry's object, run apart per value (flow/run.ts buildsOf) */
  modes?: { field: string; equals: string; when: string; skip?: string[] }[];
  /** typedef names of plain numbers the tree does not define (`u64`, `gfn_t`): a variable of one is never called */
  scalarTypes: string[];
}

export interface EngineConfig {
  /** bit operations on tracked bit-set fields: `test_bit(nr, &field)` */
  /** fill, zero: whole-bitmap writes (`bitmap_fill(map, n)`), read as `map = ~0` and `map = 0` */
  bitOps: { test: string[]; set: string[]; clear: string[]; fill?: string[]; zero?: string[] };
  /** calls that fill memory, (dst, value, len): a field passed as dst is written */
  memWriters: string[];
  /** calls whose destination argument is written and source read, (dst, src, len) */
  memCopiers: string[];
  /** calls that never return (BUG, panic) */
  noReturn: string[];
}

export interface Pack {
  name: string;
  files: string[];
  include: string[];
  exclude: string[];
  frontend: FrontendConfig;
  program: ProgramConfig;
  engine: EngineConfig;
  rules: RuleSpec[];
  /** rule id → the pack file that defined it, for messages */
  ruleFile: Record<string, string>;
  /** the named sets of this pack and those it extends, expanded */
  sets: Record<string, PackSet>;
  /** where the items the sets put into each file's lists were written, for messages */
  spliced: Spliced;
  /** entries found in the tree by role (program/roles.ts), by name */
  roles: Record<string, RoleSpec>;
  /** the pack file (and index in it) each program list item and role came from, for notes (rules/names.ts) */
  origins: PackOrigins;
}

export interface PackOrigins {
  opsCallMacros: { file: string; index: number }[];
  tableGroups: { file: string; index: number }[];
  roles: Record<string, string>;
}

/**
 * A role: the functions the cases of each dispatcher's switch call first
 * (the handlers a command number reaches), found in the tree; `except` are
 * calls a case may make before its handler (taking a lock, a test).
 */
export interface RoleSpec {
  dispatch: string[];
  except?: string[];
}

let schemaText: string | null = null;
let validator: ValidateFunction | null = null;

function packSchemaText(): string {
  return (schemaText ??= fs.readFileSync(path.join(rulesDir(), 'schema.json'), 'utf8'));
}

/** rules/schema.json, parsed. */
export function packSchema(): { definitions: Record<string, { oneOf?: { properties: { kind: { const: string } } }[] }> } {
  return JSON.parse(packSchemaText());
}

/** The kinds the schema allows, for the message that names them. */
function schemaKinds(): string[] {
  return (packSchema().definitions.rule.oneOf ?? []).map((b) => b.properties.kind.const);
}

/** rules/ of this checkout, wherever the compiled code runs from. */
export function rulesDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const cand = path.join(dir, 'rules');
    if (fs.existsSync(path.join(cand, 'schema.json'))) return cand;
    dir = path.dirname(dir);
  }
  throw new PackError('rules/schema.json', '', 'cannot find the rules directory of this installation');
}

export function defaultPackPath(): string {
  return path.join(rulesDir(), 'kvm-x86.yaml');
}

interface RawPack {
  name?: string;
  extends?: string[];
  files?: { include?: string[]; exclude?: string[] };
  frontend?: Partial<FrontendConfig>;
  program?: Partial<ProgramConfig>;
  engine?: Partial<EngineConfig>;
  rules?: RuleSpec[];
  roles?: Record<string, RoleSpec>;
}

function readPack(file: string): { parsed: unknown; text: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PackError(file, '', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return { parsed: isYaml(file) ? parsedYaml(text, YAML_OPTIONS, () => parseYaml(file, text)) : parseJson(file, text), text };
}

/** The schema's verdict on a pack as the loader expanded it; the error names the key where the author wrote it. */
function validated(file: string, text: string, raw: unknown, spliced: Spliced): RawPack {
  validator ??= packValidator(packSchemaText());
  if (!validator(raw)) {
    const e = schemaError(validator.errors ?? [], raw, schemaKinds);
    const o = authoredAt(spliced, file, e.path);
    throw packErrorAt(o.file, o.file === file ? text : null, o.path, e.reason, e.on);
  }
  return raw as RawPack;
}

/** `extends` as written, when it is a list of names; else nothing, and the schema says what is wrong. */
function extendsOf(file: string, text: string, parsed: unknown): string[] {
  const ext = (parsed as RawPack | null)?.extends;
  if (ext === undefined) return [];
  if (Array.isArray(ext) && ext.every((e) => typeof e === 'string' && e)) return ext;
  validated(file, text, parsed, {});
  return [];
}

/** Packs are JSON, or YAML when the name says so; `extends` may mix them. */
function isYaml(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const e = jsonError(text);
    throw new PackError(file, '', e ? `not valid JSON at line ${e.line}, column ${e.column}: ${e.reason}` : 'not valid JSON');
  }
}

/** How packs are parsed, part of the key of a kept parse (pack/yaml-cache.ts). */
const YAML_OPTIONS = 'uniqueKeys merge maxAliasCount=1000 aliases-in-own-node-refused';

function parseYaml(file: string, text: string): unknown {
  // loaded here, not at start-up: most packs are JSON, and the parser is a third of what a warm check loads
  const YAML = require('yaml') as typeof import('yaml');
  // every problem the parser reports is an error here, warnings (an unknown
  // tag) included, and nothing goes to the console on the way
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true, logLevel: 'silent', merge: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const pos = problem.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new PackError(file, '', `not valid YAML${where}: ${problem.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  // an alias names a list once for many rules (and `<<: *rule` a rule for its variants); one inside the node it names
  // would make the pack hold itself, and no schema walk would end
  let loop: Alias | undefined;
  YAML.visit(doc, {
    Alias(_, node) {
      const target = node.resolve(doc);
      if (target?.range && node.range && target.range[0] <= node.range[0] && node.range[0] < target.range[2]) {
        loop = node;
        return YAML.visit.BREAK;
      }
    },
  });
  if (loop) {
    const line = loop.range ? text.slice(0, loop.range[0]).split('\n').length : 0;
    throw new PackError(file, '', `not valid as a pack${line ? ` at line ${line}` : ''}: alias *${loop.source} is inside the node it names`);
  }
  try {
    // the default bound on aliases keeps a pack of nested aliases from growing without end
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new PackError(file, '', `not valid as a pack: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** `cwd`: the directory a relative `file` is in (the command's); messages name `file` as given. */
export function loadPack(file: string, seen: string[] = [], cwd = ''): Pack {
  const abs = path.resolve(cwd, file);
  if (seen.includes(abs)) throw new PackError(file, 'extends', `cycle: ${[...seen, abs].map((s) => path.basename(s)).join(' -> ')}`);
  const { parsed, text } = readPack(abs);
  const written = (keys: KeyPath, reason: string) => packErrorAt(file, text, keys, reason);
  const base: Pack = {
    name: path.basename(file),
    files: [abs],
    include: [], exclude: [],
    frontend: {
      blank: [], blankWithArgs: [], fileScopeMacroPatterns: [], iteratorPatterns: [], typeArgMacros: {},
      typeArgOnlyMacros: {}, blankWithComma: [], stringMacros: [], opaqueArgMacros: [], aliases: {}, declaratorMacros: {},
      undefinedMacros: [],
    },
    program: { opsCallMacros: [], tableGroups: [], scalarTypes: [] },
    engine: { bitOps: { test: [], set: [], clear: [] }, memWriters: [], memCopiers: [], noReturn: [] },
    rules: [],
    ruleFile: {},
    sets: {},
    spliced: {},
    roles: {},
    origins: { opsCallMacros: [], tableGroups: [], roles: {} },
  };
  for (const [i, ext] of extendsOf(abs, text, parsed).entries()) {
    const p = besideOrShipped(abs, ext);
    if (!p) throw written(['extends', i], `no such pack: ${ext}`);
    // the key that closes a cycle is this one, in this file
    if ([...seen, abs].includes(p)) throw written(['extends', i], `cycle: ${[...seen, abs, p].map((s) => path.basename(s)).join(' -> ')}`);
    merge(base, loadPack(p, [...seen, abs]));
  }
  let expanded: ReturnType<typeof expandSets>;
  try {
    expanded = expandSets(abs, parsed, base.sets);
  } catch (e) {
    if (!(e instanceof SetError)) throw e;
    throw packErrorAt(e.at.file === abs ? file : e.at.file, e.at.file === abs ? text : null, e.at.path, e.reason);
  }
  const spliced: Spliced = { [abs]: expanded.spliced };
  const raw = validated(abs, text, expanded.raw, spliced);
  const at = (keys: KeyPath, reason: string) => {
    const o = authoredAt(spliced, abs, keys);
    return o.file === abs ? packErrorAt(file, text, o.path, reason) : packErrorAt(o.file, null, o.path, reason);
  };
  const own: Pack = {
    ...base,
    name: raw.name ?? base.name,
    files: [abs],
    include: raw.files?.include ?? [],
    exclude: raw.files?.exclude ?? [],
    frontend: {
      blank: raw.frontend?.blank ?? [], blankWithArgs: raw.frontend?.blankWithArgs ?? [],
      fileScopeMacroPatterns: raw.frontend?.fileScopeMacroPatterns ?? [], iteratorPatterns: raw.frontend?.iteratorPatterns ?? [],
      typeArgMacros: raw.frontend?.typeArgMacros ?? {},
      typeArgOnlyMacros: raw.frontend?.typeArgOnlyMacros ?? {},
      blankWithComma: raw.frontend?.blankWithComma ?? [],
      stringMacros: raw.frontend?.stringMacros ?? [],
      opaqueArgMacros: raw.frontend?.opaqueArgMacros ?? [],
      aliases: raw.frontend?.aliases ?? {},
      declaratorMacros: raw.frontend?.declaratorMacros ?? {},
      undefinedMacros: raw.frontend?.undefinedMacros ?? [],
      ...(raw.frontend?.cleanup ? { cleanup: raw.frontend.cleanup } : {}),
    },
    program: {
      opsCallMacros: raw.program?.opsCallMacros ?? [], tableGroups: raw.program?.tableGroups ?? [], scalarTypes: raw.program?.scalarTypes ?? [],
      modes: raw.program?.modes ?? [],
    },
    engine: {
      bitOps: {
        test: raw.engine?.bitOps?.test ?? [], set: raw.engine?.bitOps?.set ?? [], clear: raw.engine?.bitOps?.clear ?? [],
        fill: raw.engine?.bitOps?.fill ?? [], zero: raw.engine?.bitOps?.zero ?? [],
      },
      memWriters: raw.engine?.memWriters ?? [], memCopiers: raw.engine?.memCopiers ?? [], noReturn: raw.engine?.noReturn ?? [],
    },
    rules: raw.rules ?? [],
    ruleFile: Object.fromEntries((raw.rules ?? []).map((r) => [r.id, abs])),
    sets: expanded.sets,
    spliced,
    roles: raw.roles ?? {},
    origins: {
      opsCallMacros: (raw.program?.opsCallMacros ?? []).map((_, index) => ({ file: abs, index })),
      tableGroups: (raw.program?.tableGroups ?? []).map((_, index) => ({ file: abs, index })),
      roles: Object.fromEntries(Object.keys(raw.roles ?? {}).map((r) => [r, abs])),
    },
  };
  for (const key of ['fileScopeMacroPatterns', 'iteratorPatterns'] as const) {
    for (const [i, pat] of own.frontend[key].entries()) {
      try {
        new RegExp(pat);
      } catch {
        throw at(['frontend', key, i], `not a valid regular expression: ${pat}`);
      }
    }
  }
  // the front end rewrites in place: a replacement must fit in what it replaces
  for (const [name, to] of Object.entries(own.frontend.aliases ?? {})) {
    if (to.length > name.length) throw at(['frontend', 'aliases', name], `${to} is longer than ${name}`);
  }
  for (const [name, d] of Object.entries(own.frontend.declaratorMacros ?? {})) {
    if (d.type !== undefined && d.type.length > name.length) {
      throw at(['frontend', 'declaratorMacros', name, 'type'], `${d.type} is longer than ${name}`);
    }
  }
  for (const name of Object.keys(own.roles)) {
    if (base.roles[name]) throw at(['roles', name], `role ${name} is already defined in a pack this one extends`);
  }
  const roles = { ...base.roles, ...own.roles };
  for (const [i, r] of own.rules.entries()) {
    for (const [j, e] of (r.entries ?? []).entries()) {
      if (typeof e !== 'object' || !('role' in e) || roles[e.role]) continue;
      const known = Object.keys(roles).sort();
      throw at(['rules', i, 'entries', j, 'role'], `no role named ${e.role}${known.length ? ` (the roles: ${known.join(', ')})` : ' (the pack has no roles)'}`);
    }
  }
  const ids = new Set(base.rules.map((r) => r.id));
  for (const [i, r] of own.rules.entries()) {
    if (ids.has(r.id)) throw at(['rules', i, 'id'], `duplicate rule id ${r.id}`);
    ids.add(r.id);
    if (r.examples !== undefined) {
      const dir = besideOrShipped(abs, r.examples);
      if (!dir) throw at(['rules', i, 'examples'], `no such directory: ${r.examples}`);
      if (!fs.statSync(dir).isDirectory()) throw at(['rules', i, 'examples'], `not a directory: ${r.examples}`);
    }
  }
  merge(base, own);
  base.name = own.name;
  return base;
}

function merge(into: Pack, from: Pack): void {
  into.files = [...into.files.filter((f) => !from.files.includes(f)), ...from.files];
  append(into.include, from.include);
  append(into.exclude, from.exclude);
  const fe = into.frontend;
  append(fe.blank, from.frontend.blank);
  append(fe.blankWithArgs, from.frontend.blankWithArgs);
  append(fe.fileScopeMacroPatterns, from.frontend.fileScopeMacroPatterns);
  append(fe.iteratorPatterns, from.frontend.iteratorPatterns);
  Object.assign(fe.typeArgMacros, from.frontend.typeArgMacros);
  Object.assign((fe.typeArgOnlyMacros ??= {}), from.frontend.typeArgOnlyMacros);
  append((fe.blankWithComma ??= []), from.frontend.blankWithComma ?? []);
  append((fe.stringMacros ??= []), from.frontend.stringMacros ?? []);
  append((fe.opaqueArgMacros ??= []), from.frontend.opaqueArgMacros ?? []);
  Object.assign((fe.aliases ??= {}), from.frontend.aliases);
  Object.assign((fe.declaratorMacros ??= {}), from.frontend.declaratorMacros);
  append((fe.undefinedMacros ??= []), from.frontend.undefinedMacros ?? []);
  if (from.frontend.cleanup) fe.cleanup = from.frontend.cleanup;
  append(into.program.opsCallMacros, from.program.opsCallMacros);
  append(into.program.tableGroups, from.program.tableGroups);
  append(into.origins.opsCallMacros, from.origins.opsCallMacros);
  append(into.origins.tableGroups, from.origins.tableGroups);
  Object.assign(into.origins.roles, from.origins.roles);
  append((into.program.modes ??= []), from.program.modes ?? []);
  append(into.program.scalarTypes, from.program.scalarTypes);
  const en = into.engine;
  append(en.bitOps.test, from.engine.bitOps.test);
  append(en.bitOps.set, from.engine.bitOps.set);
  append(en.bitOps.clear, from.engine.bitOps.clear);
  append((en.bitOps.fill ??= []), from.engine.bitOps.fill ?? []);
  append((en.bitOps.zero ??= []), from.engine.bitOps.zero ?? []);
  append(en.memWriters, from.engine.memWriters);
  append(en.memCopiers, from.engine.memCopiers);
  append(en.noReturn, from.engine.noReturn);
  append(into.rules, from.rules);
  Object.assign(into.ruleFile, from.ruleFile);
  Object.assign(into.sets, from.sets);
  Object.assign(into.spliced, from.spliced);
  Object.assign(into.roles, from.roles);
}

/** The directory of a rule's example cases, or null when it has none. */
export function examplesDir(pack: Pack, rule: RuleSpec): string | null {
  if (rule.examples === undefined) return null;
  return besideOrShipped(pack.ruleFile[rule.id], rule.examples) ?? path.resolve(path.dirname(pack.ruleFile[rule.id]), rule.examples);
}

/**
 * A path a pack names (`extends`, `examples`): beside the pack, as written;
 * else, for a relative one, where it stands from callorder's own rules/, so
 * that a shipped pack copied elsewhere to be edited still finds kernel-c.json
 * and its examples. null when neither exists.
 */
function besideOrShipped(packFile: string, rel: string): string | null {
  const beside = path.resolve(path.dirname(packFile), rel);
  if (fs.existsSync(beside)) return beside;
  if (path.isAbsolute(rel)) return null;
  let shipped: string;
  try {
    shipped = path.resolve(rulesDir(), rel);
  } catch {
    return null;
  }
  return fs.existsSync(shipped) ? shipped : null;
}

/** A key that changes whenever the front end would produce different facts. */
export function frontendKey(p: Pack): string {
  return JSON.stringify(p.frontend);
}
