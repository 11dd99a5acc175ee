// callorder infer: the beliefs the code itself holds. Each entry runs through
// the ordering engine as a check's rules would (once per vendor and build),
// with one observer instead of rules; what held on the paths to each event is
// tallied, and the tally becomes ranked beliefs and their deviants.

import type { Program } from '../program/program';
import { confinedTo } from '../program/program';
import type { Pack } from '../pack/load';
import { walkedMatcher } from '../source/discover';
import { Engine } from '../flow/engine';
import { SharedSummaries } from '../flow/summaries';
import { State } from '../flow/state';
import { Footprints } from '../flow/footprint';
import { buildsOf } from '../flow/run';
import { Observer, type Vocabulary } from './observe';
import { isDispatcher } from './units';
import type { FunctionFact } from '../parse/ir';
import { walkStmt } from '../program/walk';
import { qualifiedField, scopeOf } from '../program/callgraph';
import { beliefsOf, rank, type Belief } from './beliefs';

export interface InferResult {
  /** the entries run, and those the tree does not define */
  entries: string[];
  missing: string[];
  beliefs: Belief[];
  notes: string[];
}

export function infer(p: Program, pack: Pack, entries: string[]): InferResult {
  const walked = walkedMatcher(pack.include, pack.exclude, p.files.map((f) => f.file));
  if (walked) p = confinedTo(p, walked);
  const tableGroups = pack.program.tableGroups.map((t) => t.filter((n) => p.tablesByName.has(n))).filter((t) => t.length);
  const footprints = new Footprints(p);
  const shared = new SharedSummaries();
  const notes: string[] = [];
  const missing: string[] = [];
  const ran: string[] = [];
  let beliefs: Belief[] = [];
  for (const entry of [...new Set(entries)].sort()) {
    const defs = p.functions.get(entry);
    if (!defs) {
      missing.push(entry);
      continue;
    }
    ran.push(entry);
    const groups = tableGroups.length ? tableGroups.map((_, i) => i) : [undefined];
    const vs = defs.map((d) => vocabularyOf(p, d));
    const initBy = new Map<string, string>();
    for (const v of vs) for (const [f, by] of v.initBy) if (!initBy.has(f)) initBy.set(f, by);
    const obs = new Observer(p, { before: new Set(vs.flatMap((v) => [...v.before])), init: new Set(initBy.keys()), initBy });
    const hooks = obs.hooks();
    const params = Engine.paramsFor(p, hooks, pack.engine);
    for (const fn of defs) {
      for (const group of groups) {
        for (const assume of buildsOf(p, group === undefined ? [] : tableGroups[group])) {
          const engine = new Engine(p, { hooks, config: pack.engine, tableGroups, group, assume, footprints, shared, params, maxDepth: MAX_DEPTH });
          engine.run(fn, {}, new State());
          if (engine.exhausted) notes.push(`${entry}: step budget exhausted, beliefs from part of its paths`);
        }
      }
    }
    beliefs = beliefs.concat(beliefsOf(entry, obs.tally, initBy, defs.some((d) => isDispatcher(d))));
  }
  return { entries: ran, missing, beliefs: rank(beliefs), notes: [...new Set(notes)] };
}

/**
 * How deep the paths are followed: the observer sees every call, so no callee
 * is summarised blind, and the walk is a tree rather than a graph; a handler's
 * protocol is near it (a VMCS access from an ioctl is 6 to 8 frames down).
 */
const MAX_DEPTH = Number(process.env.CALLORDER_INFER_DEPTH) || 10;

/** Calls made by this many of an entry's handlers (or dispatchers) at least can be a belief's "before". */
const MIN_CALLERS = 3;

/**
 * What to follow on an entry's paths, from its code: the entry and the
 * dispatchers it reaches by direct calls, and their direct callees (the
 * handlers, or units). Calls those frames make are candidates for "before"
 * when enough of them make it; on an entry that does not dispatch (it creates
 * what it works on), the fields its own frame and its direct callees assign
 * are followed from write to read, each known by its initializer (the frame
 * that assigns it).
 */
export function vocabularyOf(p: Program, entry: FunctionFact): Vocabulary {
  const frames = new Set<FunctionFact>([entry]);
  const todo = [entry];
  const units = new Set<FunctionFact>();
  while (todo.length) {
    const fn = todo.pop()!;
    if (!isDispatcher(fn)) continue;
    for (const c of directCallees(p, fn)) {
      if (frames.has(c)) continue;
      frames.add(c);
      if (isDispatcher(c)) todo.push(c);
      else units.add(c);
    }
  }
  const callers = new Map<string, number>();
  for (const fn of frames) for (const n of new Set(directCallees(p, fn).map((c) => c.name))) callers.set(n, (callers.get(n) ?? 0) + 1);
  const before = new Set([...callers].filter(([, k]) => k >= MIN_CALLERS).map(([n]) => n));
  const initBy = new Map<string, string>();
  if (!isDispatcher(entry)) {
    // a field is the initializer's that assigns it first: the entry's own body, then its callees in order
    for (const fn of [entry, ...directCallees(p, entry)]) for (const f of assignedFields(p, fn)) if (!initBy.has(f)) initBy.set(f, fn.name);
  }
  return { before, init: new Set(initBy.keys()), initBy };
}

function directCallees(p: Program, fn: FunctionFact): FunctionFact[] {
  const out: FunctionFact[] = [];
  walkStmt(fn.body, [], (e) => {
    if (e.k === 'call' && e.fn.k === 'id') for (const d of p.functions.get(e.fn.name) ?? []) if (!out.includes(d)) out.push(d);
  });
  return out;
}

function assignedFields(p: Program, fn: FunctionFact): string[] {
  const sc = scopeOf(p, fn);
  const out: string[] = [];
  walkStmt(fn.body, [], (e) => {
    if (e.k === 'assign' && e.lhs.k === 'field') {
      const q = qualifiedField(sc, e.lhs);
      if (q) out.push(q);
    }
  });
  return out;
}
