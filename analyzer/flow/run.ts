// Runs a pack's rules over a program: entries are grouped so each entry is
// analysed once with the hooks of every rule that names it.

import { condLiterals, confinedTo, type Program } from '../program/program';
import { walkedMatcher } from '../source/discover';
import type { FunctionFact } from '../parse/ir';
import { fieldOfArg, qualifiedField, scopeOf } from '../program/callgraph';
import { walkStmt } from '../program/walk';
import { pinsIn, ruleEntries, runName, type RunEntry } from '../program/roles';
import type { Pack } from '../pack/load';
import type { RuleSpec } from '../pack/rule-spec';
import { Engine } from './engine';
import { SharedSummaries } from './summaries';
import type { RuleHooks, Site } from './hooks';
import { State } from './state';
import { FactSpace } from './facts';
import { confined } from './events';
import { Footprints } from './footprint';
import type { ParamRelevance } from './params';
import { fingerprint, sortFindings, traceOf, type Finding, type TraceStep } from './finding';
import { RULE_KINDS } from '../rules';
import { fill, type RuleContext } from '../rules/context';
import { append } from '../util/append';
import { PackError } from '../util/errors';

export interface RunResult {
  findings: Finding[];
  entriesRun: number;
  /** entries named by a rule that the tree does not define */
  missingEntries: string[];
  partial: string[];
  /** what each entry function's runs found and depended on, for reuse in a nearby tree */
  units: UnitResult[];
  /** the blind summaries of the run, which a run over a program with the same tree-wide facts can carry on */
  summaries: SharedSummaries;
}

/**
 * The runs of one entry function (each argument variant, definition and
 * vendor): the unit a nearby tree's analysis reuses, since their reports
 * share one table of findings and nothing else does.
 */
export interface UnitResult {
  entry: string;
  findings: Finding[];
  /** functions the runs could reach, as `file\0name` (fnKey) */
  walked: string[];
  /** names called, resolved or not */
  called: string[];
  entriesRun: number;
  partial: string[];
  missing: boolean;
  /** a role's unit: the dispatcher its runs start from */
  via?: string;
}

export function fnKey(fn: Pick<FunctionFact, 'file' | 'name'>): string {
  return `${fn.file}\u0000${fn.name}`;
}

export function entriesOf(rule: RuleSpec, p: Program, roles: Pack['roles'] = {}): RunEntry[] {
  const k = RULE_KINDS[rule.kind];
  if (rule.entries?.length) return ruleEntries(p, roles, rule.entries);
  return k.entries ? k.entries(rule as never, p) : [];
}

/**
 * `reuse` gives an entry function's result from a nearby tree when the
 * change cannot alter it (incremental.ts); those entries are not run again.
 * `opts.share: false` keeps every summary private to its engine, which must
 * find the same (shared.kernel.test.ts).
 */
export function runRules(p: Program, pack: Pack, only?: string[], reuse?: (entry: string) => UnitResult | undefined,
  opts?: { sharedSummaries?: number; carry?: SharedSummaries; share?: boolean }): RunResult {
  const walked = walkedMatcher(pack.include, pack.exclude, p.files.map((f) => f.file));
  if (walked) p = confinedTo(p, walked);
  const rules = pack.rules.filter((r) => !only?.length || only.includes(r.id));
  const groups = new Map<string, { entry: RunEntry; rules: RuleSpec[] }>();
  for (const r of rules) {
    if (!RULE_KINDS[r.kind]) throw new PackError(pack.ruleFile[r.id] ?? '', `rule ${r.id}.kind`, `unknown rule kind ${r.kind}`);
    for (const e of entriesOf(r, p, pack.roles)) {
      const key = `${e.function}|${JSON.stringify(e.args ?? {})}|${e.role ? `${e.role.handler}|${JSON.stringify(e.role.pins)}` : ''}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { entry: e, rules: [] }));
      g.rules.push(r);
    }
  }
  // a unit is an entry function's runs, or a role's handler's
  const byEntry = new Map<string, { entry: RunEntry; rules: RuleSpec[] }[]>();
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const unit = g.entry.role ? runName(g.entry) : g.entry.function;
    const l = byEntry.get(unit);
    if (l) l.push(g);
    else byEntry.set(unit, [g]);
  }
  const footprints = new Footprints(p);
  const shared = new SharedSummaries(opts?.sharedSummaries);
  if (opts?.carry) shared.carryFrom(opts.carry, p);
  const share = opts?.share !== false;
  const params = new Map<string, ParamRelevance>();
  const units: UnitResult[] = [];
  for (const [entry, gs] of [...byEntry].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    units.push(reuse?.(entry) ?? runUnit(p, pack, entry, gs, { footprints, shared: share ? shared : undefined }, params));
  }
  const found: Finding[] = [];
  const via = new Map<Finding, string>();
  for (const u of units) {
    for (const f of u.findings) {
      found.push(f);
      if (u.via) via.set(f, u.via);
    }
  }
  // one finding per site and rule: the first entry that reaches it tells the story; the
  // handlers of a role reached from one dispatcher are one entry, as that dispatcher's
  // run would have been, and the shortest path among them tells it
  const bySite = new Map<string, Finding>();
  for (const f of sortFindings(found)) {
    const from = via.get(f);
    const message = from === undefined ? f.message : f.message.split(f.entry).join(`\u0000${from}`);
    const k = `${f.rule}|${f.file}:${f.line}:${f.column}|${f.field ?? ''}|${message}`;
    const had = bySite.get(k);
    if (!had || (from !== undefined && f.trace.length < had.trace.length)) bySite.set(k, f);
  }
  return {
    findings: sortFindings([...bySite.values()]),
    entriesRun: units.reduce((n, u) => n + u.entriesRun, 0),
    missingEntries: units.filter((u) => u.missing).map((u) => u.entry),
    partial: units.flatMap((u) => u.partial),
    units,
    summaries: shared,
  };
}

/** Every run of one entry function, or of one handler of a role. */
function runUnit(p: Program, pack: Pack, entry: string, gs: { entry: RunEntry; rules: RuleSpec[] }[],
  across: { footprints: Footprints; shared: SharedSummaries | undefined }, paramsByRules: Map<string, ParamRelevance>): UnitResult {
  const unit: UnitResult = { entry, findings: [], walked: [], called: [], entriesRun: 0, partial: [], missing: false };
  const via = gs[0].entry.role ? gs[0].entry.function : undefined;
  if (via !== undefined) unit.via = via;
  const defs = p.functions.get(gs[0].entry.function);
  if (!defs) {
    unit.missing = true;
    return unit;
  }
  // the groups as this tree has them: a table it does not define is no vendor to run
  const tableGroups = pack.program.tableGroups.map((t) => t.filter((n) => p.tablesByName.has(n))).filter((t) => t.length);
  const found = new Map<string, Finding>();
  // the functions themselves, keyed once at the end: a unit's runs (a vendor, build and mode each) mostly walk the same
  const walked = new Set<FunctionFact>();
  const called = new Set<string>();
  for (const g of gs) {
    const name = runName(g.entry);
    const pins = g.entry.role ? pinsIn(p, g.entry.role.pins) : undefined;
    for (const fn of defs) {
      const hooks: RuleHooks[] = g.rules.map((r) => {
        // the rule's number in the pack: its facts' keys are its own
        const space = new FactSpace(pack.rules.indexOf(r));
        const ctx: RuleContext = {
          program: p,
          entry: g.entry,
          fact: (n) => space.fact(n),
          facts: (n) => space.facts(n),
          report(rep) {
            const trace = traceOf(rep.at, rep.note);
            if (rep.extra) append(trace, rep.extra);
            for (const step of whereSet(p, pack, rep.at)) trace.push(step);
            const chain = rep.at.stack.map((f) => f.fn.name);
            const id = fingerprint([r.id, g.entry.function, rep.at.fn.name, rep.key, chain.join('>')]);
            const dedupe = `${r.id}|${rep.at.fn.file}:${rep.at.line}:${rep.at.col}|${rep.key}`;
            const prev = found.get(dedupe);
            if (prev && prev.trace.length <= trace.length) return () => undefined;
            const finding: Finding = {
              id,
              rule: r.id,
              kind: r.kind,
              severity: r.severity ?? 'warning',
              confidence: r.confidence,
              message: fill(r.message, { ...rep.vars, entry: name }),
              file: rep.at.fn.file,
              line: rep.at.line,
              column: rep.at.col,
              function: rep.at.fn.name,
              entry: name,
              ...(rep.field ? { field: rep.field } : {}),
              trace,
            };
            found.set(dedupe, finding);
            return (step) => {
              if (found.get(dedupe) === finding) finding.trace.push(step);
            };
          },
        };
        return confined(r.id, RULE_KINDS[r.kind].create(r as never, ctx), space, across.footprints);
      });
      const freshStructs = new Set(g.rules.flatMap((r) => r.fresh ?? []));
      // one run per vendor: merging VMX and SVM paths would mix their facts;
      // and per build of a vendor's table whose members differ by #if side
      const groups = tableGroups.length ? tableGroups.map((_, i) => i) : [undefined];
      // which constants matter depends on what the rules watch, so entries with the same rules share it
      const ruleKey = g.rules.map((r) => r.id).join('\u0000');
      let params = paramsByRules.get(ruleKey);
      if (!params) paramsByRules.set(ruleKey, (params = Engine.paramsFor(p, hooks, pack.engine)));
      for (const group of groups) for (const v of runsOf(p, pack, group === undefined ? [] : tableGroups[group])) {
        // a rule that does not apply to an object in this mode watches nothing in its run
        const on = v.skip.size ? hooks.filter((_, i) => !v.skip.has(g.rules[i].id)) : hooks;
        if (!on.length) continue;
        const engine = new Engine(p, { hooks: on, config: pack.engine, freshStructs, tableGroups, group, assume: v.assume, ...across, params, pins });
        const st = new State();
        for (const [q, val] of v.fixed) st.setVal(q, val);
        engine.run(fn, g.entry.args ?? {}, st);
        if (engine.exhausted) unit.partial.push(`${name}: step budget exhausted, results partial`);
        for (const w of engine.walked) walked.add(w);
        for (const c of engine.called) called.add(c);
      }
      unit.entriesRun++;
    }
  }
  unit.findings = [...found.values()];
  unit.walked = [...new Set([...walked].map(fnKey))].sort();
  unit.called = [...called].sort();
  return unit;
}

/**
 * The runs of one vendor: each build (buildsOf), and in a build that
 * assumes a mode's `when`, once with the mode's field equal to its value
 * and once not (`sym:!VALUE`); in a build that assumes `when` off, the field
 * is not that value. A TDX vCPU and a VMX one are then never one path.
 */
interface Run {
  assume: ReadonlyMap<string, boolean>;
  /** fields the run starts knowing, `struct.member` → value */
  fixed: [string, string][];
  /** rules that do not apply in the run's modes */
  skip: Set<string>;
}

function runsOf(p: Program, pack: Pack, tables: string[]): Run[] {
  const out: Run[] = [];
  for (const assume of buildsOf(p, tables)) {
    let runs: Run[] = [{ assume, fixed: [], skip: new Set() }];
    for (const m of pack.program.modes ?? []) {
      const on = assume.get(m.when);
      if (on === undefined) continue;
      const not: [string, string] = [m.field, `sym:!${m.equals}`];
      if (!on) { for (const r of runs) r.fixed.push(not); continue; }
      const next: Run[] = [];
      for (const r of runs) {
        const skip = new Set(r.skip);
        for (const id of m.skip ?? []) skip.add(id);
        next.push({ assume, fixed: [...r.fixed, [m.field, `sym:${m.equals}`]], skip });
        next.push({ assume, fixed: [...r.fixed, not], skip: r.skip });
      }
      runs = next;
    }
    for (const r of runs) out.push(r);
  }
  return out;
}

/** A build is this many configuration symbols at most: each doubles the runs of its vendor. */
const MAX_BUILD_SYMBOLS = 2;
const builds = new WeakMap<Program, Map<string, ReadonlyMap<string, boolean>[]>>();

/**
 * The builds of a vendor's tables to run apart: every assignment of the
 * configuration symbols its members are set under by #if side (7.x's
 * `vt_op(name)`, `vt_name` with CONFIG_KVM_INTEL_TDX and `vmx_name`
 * without). A path then never takes one build's member and then the
 * other's. One build, assuming nothing, when no member depends on one.
 */
export function buildsOf(p: Program, tables: string[]): ReadonlyMap<string, boolean>[] {
  let memo = builds.get(p);
  if (!memo) builds.set(p, (memo = new Map()));
  const key = tables.join(',');
  let out = memo.get(key);
  if (out) return out;
  const names = new Set(tables);
  const symbols = new Set<string>();
  for (const impls of p.hookImpls.values()) {
    for (const i of impls) {
      if (!i.cond || !names.has(i.table.name)) continue;
      for (const l of condLiterals(i.cond) ?? []) symbols.add(l.name);
    }
  }
  const chosen = [...symbols].sort().slice(0, MAX_BUILD_SYMBOLS);
  out = [new Map<string, boolean>()];
  for (const s of chosen) {
    const next: Map<string, boolean>[] = [];
    for (const b of out) for (const v of [true, false]) next.push(new Map([...b, [s, v]]));
    out = next;
  }
  memo.set(key, out);
  return out;
}

/**
 * For each bit a decided branch found clear on the way to a finding, the
 * first place after the path's calls where a frame of it sets the bit (an
 * assignment of the field, a set-bit or fill of it): the step that says
 * where the fact the branch wanted comes only later.
 */
function whereSet(p: Program, pack: Pack, at: Site): TraceStep[] {
  const out: TraceStep[] = [];
  const setters = new Set([...pack.engine.bitOps.set, ...(pack.engine.bitOps.fill ?? [])]);
  for (const d of at.decided ?? []) {
    if (d.set) continue;
    // in the callers of the branch's frame: the branch's own frame setting the bit is its cache fill
    for (let i = Math.min(d.depth, at.stack.length) - 1; i >= 0; i--) {
      const fn = at.stack[i].fn;
      // past the call this frame made on the way to the finding
      const after = i + 1 < at.stack.length ? at.stack[i + 1].callLine : at.line;
      const line = firstSet(p, fn, d.field, setters, after);
      if (line === null) continue;
      out.push({ function: fn.name, file: fn.file, line, note: `sets ${d.field}: ${d.bit} is there only from here` });
      break;
    }
  }
  return out;
}

function firstSet(p: Program, fn: FunctionFact, field: string, setters: Set<string>, after: number): number | null {
  const sc = scopeOf(p, fn);
  let best: number | null = null;
  const note = (line: number) => {
    if (line > after && (best === null || line < best)) best = line;
  };
  walkStmt(fn.body, [], (e) => {
    if (e.k === 'assign' && e.lhs.k === 'field' && qualifiedField(sc, e.lhs) === field) note(e.line);
    else if (e.k === 'call' && e.fn.k === 'id' && setters.has(e.fn.name) && e.args.some((a) => fieldOfArg(sc, a) === field)) note(e.line);
  });
  return best;
}
