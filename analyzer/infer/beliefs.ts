// Beliefs out of a tally: for each event (an operation, a read, a write) and
// each candidate that held before it somewhere, how many of the event's paths
// it held on, ranked by the z-statistic; the paths where it did not are the
// deviants.

import type { Site } from '../flow/hooks';
import { zScore, MIN_PATHS, MIN_Z, P0 } from './stat';
import type { Instance, Tally } from './observe';

export type BeliefKind = 'requires-before' | 'init-before-read' | 'must-follow' | 'guarded';

export interface Belief {
  entry: string;
  kind: BeliefKind;
  /** the operation family, or the field read / written (for a guard, the field with the most paths) */
  subject: string;
  /** a guard's fields: every field the test guards, pooled into one belief (beliefsOf) */
  subjects?: string[];
  /** the call, write or test that comes first (or follows, for must-follow) */
  candidate: Candidate;
  n: number;
  holds: number;
  units: number;
  unitsHolding: number;
  z: number;
  deviants: Deviant[];
}

export type Candidate =
  | { k: 'call'; name: string }
  | { k: 'write'; field: string }
  | { k: 'test-call'; name: string }
  | { k: 'test-field'; field: string }
  /** the writes of an initializer: the entry, or a callee of the entry's */
  | { k: 'init'; name: string };

export interface Deviant {
  unit: string;
  at: Site;
  /** a pooled belief's subject this path broke it on */
  subject?: string;
}

function candidateOf(key: string): Candidate | null {
  if (key.startsWith('iv:c:')) return { k: 'call', name: key.slice(5) };
  if (key.startsWith('g:')) return { k: 'call', name: key.slice(2) };
  if (key.startsWith('iv:w:')) return { k: 'write', field: key.slice(5) };
  if (key.startsWith('iv:t:call:')) return { k: 'test-call', name: key.slice(10) };
  if (key.startsWith('iv:t:field:')) return { k: 'test-field', field: key.slice(11) };
  return null;
}

export function beliefsOf(entry: string, tally: Tally, initBy: ReadonlyMap<string, string> = new Map(), dispatches = false): Belief[] {
  const out: Belief[] = guardsOf(entry, tally).concat(initsOf(entry, tally, initBy));
  for (const [ck, all] of tally) {
    const [kind, subject] = ck.split('\u0000') as [BeliefKind, string];
    if (kind === 'guarded' || kind === 'init-before-read') continue;
    // whether G follows a write is the writing function's doing: the function is one sample, however many
    // handlers reach it and however many of its branches write the field
    const follow = kind === 'must-follow';
    const insts = follow ? mergedBy(all, (_, i) => writerOf(i)) : all;
    const cands = new Set<string>();
    for (const i of insts.values()) for (const c of i.held) cands.add(c);
    for (const c of cands) {
      const cand = candidateOf(c);
      if (!cand) continue;
      let n = 0;
      let holds = 0;
      const unitOk = new Map<string, boolean>();
      const deviants: Deviant[] = [];
      for (const i of insts.values()) {
        if (i.inside.has(c)) continue;
        n++;
        const ok = i.held.has(c);
        if (ok) holds++;
        else deviants.push({ unit: i.unit, at: i.failedAt.get(c) ?? i.at });
        const u = follow ? writerOf(i) : i.unit;
        unitOk.set(u, (unitOk.get(u) ?? true) && ok);
      }
      const b = judged(entry, kind, subject, cand, n, holds, unitOk, deviants, kind === 'requires-before' && dispatches ? MIN_HANDLERS : 1);
      if (b) out.push(b);
    }
  }
  return out;
}

/**
 * On an entry that dispatches, a precondition is the handlers' protocol when
 * two handlers at least show it. Within one handler (KVM_RUN's hundred
 * paths), a call that comes first on most paths is the order that handler
 * happens to follow: the SRCU unlock of vcpu_block() before the emulator's
 * calls is not a precondition of them. Guards ask the same (MIN_GUARD_UNITS).
 */
const MIN_HANDLERS = 2;

function writerOf(i: Instance): string {
  return `${i.at.fn.file}:${i.at.fn.name}`;
}

/**
 * Instances merged by `key`: each candidate held where it held on every
 * instance merged, and failed at the first place it failed.
 */
function mergedBy(insts: Map<string, Instance>, key: (path: string, i: Instance) => string): Map<string, Instance> {
  const out = new Map<string, Instance>();
  for (const [path, i] of insts) {
    const k = key(path, i);
    const s = out.get(k);
    if (!s) {
      out.set(k, { ...i, held: new Set(i.held), inside: new Set(i.inside), failedAt: new Map(i.failedAt) });
      continue;
    }
    for (const c of s.held) {
      if (i.held.has(c)) continue;
      s.held.delete(c);
      if (!s.failedAt.has(c)) s.failedAt.set(c, i.failedAt.get(c) ?? i.at);
    }
    for (const c of i.inside) s.inside.add(c);
  }
  return out;
}

/** The belief when its sample is large and sure enough, by the thresholds of stat.ts. */
function judged(entry: string, kind: BeliefKind, subject: string, cand: Candidate, n: number, holds: number,
  unitOk: Map<string, boolean>, deviants: Deviant[], minUnits = 1): Belief | null {
  if (n < MIN_PATHS || unitOk.size < minUnits) return null;
  const z = zScore(holds, n);
  if (z < MIN_Z) return null;
  let unitsHolding = 0;
  for (const v of unitOk.values()) if (v) unitsHolding++;
  // a handler is the unit of a protocol: one that holds on many paths of a few handlers only is no belief of the handlers
  if (unitOk.size > 1 && unitsHolding / unitOk.size < P0) return null;
  return { entry, kind, subject, candidate: cand, n, holds, units: unitOk.size, unitsHolding, z, deviants };
}

/**
 * A kind's tally by subject. With `bySite`, each (unit, site) once: a write
 * that several chains of one handler reach is one change of that handler's;
 * without it, each path (unit, chain, site): a read reached through two
 * callers is two readers, each of which the initializer must precede.
 */
function sitesOf(tally: Tally, kind: BeliefKind, bySite: boolean): Map<string, Map<string, Instance>> {
  const bySubject = new Map<string, Map<string, Instance>>();
  for (const [ck, insts] of tally) {
    const [k, subject] = ck.split('\u0000') as [BeliefKind, string];
    if (k !== kind) continue;
    bySubject.set(subject, mergedBy(insts, bySite ? (_, i) => `${i.unit}|${i.at.fn.file}:${i.at.line}` : (path) => path));
  }
  return bySubject;
}

/**
 * One belief over several subjects that one candidate explains: the fields a
 * guard protects, the fields an initializer writes. Each field alone is seen
 * on too few paths for a belief (a guard on the two handlers that change a
 * model, a field read three times), but the fields are one protocol, the
 * candidate's. A subject joins the pool when the candidate held on most
 * (more than half) of its paths: one mostly without it is not the
 * candidate's and would only dilute the others; one that holds on 2 of its 3
 * borrows the others' evidence, and its third path is a deviant. The pool's
 * support is its distinct (unit, site) paths, and it is judged as any belief.
 */
function pooled(entry: string, kind: BeliefKind, cand: Candidate, key: (subject: string) => string,
  bySubject: Map<string, Map<string, Instance>>, minUnits: number): Belief | null {
  const pool: { subject: string; n: number }[] = [];
  let n = 0;
  let holds = 0;
  const unitOk = new Map<string, boolean>();
  const deviants: Deviant[] = [];
  for (const [subject, sites] of bySubject) {
    const c = key(subject);
    let h = 0;
    for (const s of sites.values()) if (s.held.has(c)) h++;
    if (2 * h <= sites.size) continue;
    pool.push({ subject, n: sites.size });
    n += sites.size;
    holds += h;
    for (const s of sites.values()) {
      const ok = s.held.has(c);
      if (!ok) deviants.push({ unit: s.unit, at: s.failedAt.get(c) ?? s.at, subject });
      unitOk.set(s.unit, (unitOk.get(s.unit) ?? true) && ok);
    }
  }
  pool.sort((a, b) => b.n - a.n || cmp(a.subject, b.subject));
  if (!pool.length || unitOk.size < minUnits) return null;
  const b = judged(entry, kind, pool[0].subject, cand, n, holds, unitOk, deviants);
  return b && { ...b, subjects: pool.map((f) => f.subject) };
}

/**
 * A guard is seen in two handlers at least: in one handler's code every
 * deciding test (an allocation's failure check) precedes all that follows it,
 * so one handler cannot tell a guard from a sequence; the same predicate
 * before the same fields in several handlers is a protocol.
 */
const MIN_GUARD_UNITS = 2;

/** Guards, one belief a predicate (deciding.ts says which tests are guards), over the fields it guards. */
function guardsOf(entry: string, tally: Tally): Belief[] {
  const byField = sitesOf(tally, 'guarded', true);
  const cands = new Set<string>();
  for (const sites of byField.values()) for (const s of sites.values()) for (const c of s.held) cands.add(c);
  const out: Belief[] = [];
  for (const c of [...cands].sort()) {
    const cand = candidateOf(c);
    if (!cand || cand.k === 'write') continue;
    const b = pooled(entry, 'guarded', cand, () => c, byField, MIN_GUARD_UNITS);
    if (b) out.push(b);
  }
  return out;
}

/**
 * Initialisation, one belief an initializer: the fields it writes are written
 * before they are read. Where the initializer is called among the readers is
 * what decides them all (the seed bug 000: kvm_mmu_create() reads maxphyaddr
 * before kvm_vcpu_after_set_cpuid() writes it).
 */
function initsOf(entry: string, tally: Tally, initBy: ReadonlyMap<string, string>): Belief[] {
  const byField = sitesOf(tally, 'init-before-read', false);
  const groups = new Map<string, Map<string, Map<string, Instance>>>();
  for (const [field, sites] of byField) {
    const by = initBy.get(field) ?? field;
    let g = groups.get(by);
    if (!g) groups.set(by, (g = new Map()));
    g.set(field, sites);
  }
  const out: Belief[] = [];
  for (const [by, g] of [...groups].sort((a, b) => cmp(a[0], b[0]))) {
    const b = pooled(entry, 'init-before-read', { k: 'init', name: by }, (f) => `iv:w:${f}`, g, 1);
    if (b) out.push(b);
  }
  return out;
}

export function candidateText(c: Candidate): string {
  switch (c.k) {
    case 'call': return `${c.name}()`;
    case 'write': return `a write of ${c.field}`;
    case 'test-call': return `a test of ${c.name}()`;
    case 'test-field': return `a test of ${c.field}`;
    case 'init': return `the writes of ${c.name}()`;
  }
}

/** The belief as a sentence without its counts. */
export function beliefText(b: Belief): string {
  const c = candidateText(b.candidate);
  switch (b.kind) {
    case 'requires-before': return `${c} precedes ${b.subject}()`;
    case 'init-before-read': return b.candidate.k === 'init' ? `${fieldsText(b)} written by ${b.candidate.name}() ${(b.subjects ?? []).length > 1 ? 'are' : 'is'} written before read` : `${b.subject} is written before it is read`;
    case 'must-follow': return `a write of ${b.subject} is followed by ${c} before return`;
    case 'guarded': return `${writesText(b)} after ${c}`;
  }
}

function writesText(b: Belief): string {
  const fs = b.subjects ?? [b.subject];
  return fs.length === 1 ? `a write of ${fs[0]} comes` : `writes of ${fieldsText(b)} come`;
}

/** A pool's fields, the first three by paths. */
function fieldsText(b: Belief): string {
  const fs = b.subjects ?? [b.subject];
  const shown = fs.slice(0, 3).join(', ');
  return `${shown}${fs.length > 3 ? ` and ${fs.length - 3} other field${fs.length === 4 ? '' : 's'}` : ''}`;
}

/** Ranked: the statistic, then the larger sample, then by name so that the order is the same on every run. */
export function rank(bs: Belief[]): Belief[] {
  return [...bs].sort((a, b) => b.z - a.z || b.n - a.n || cmp(keyOf(a), keyOf(b)));
}

export function keyOf(b: Belief): string {
  return `${b.entry}|${b.kind}|${b.subject}|${candidateText(b.candidate)}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Beliefs with the same entry, kind and candidate, strongest first: one
 * precondition (a load) held before most operations of the handlers is one
 * belief seen many times, and a list of the top beliefs shows it once, by its
 * strongest operation.
 */
export function families(ranked: Belief[]): { best: Belief; others: Belief[] }[] {
  const out = new Map<string, { best: Belief; others: Belief[] }>();
  for (const b of ranked) {
    const k = `${b.entry}|${b.kind}|${candidateText(b.candidate)}`;
    const f = out.get(k);
    if (f) f.others.push(b);
    else out.set(k, { best: b, others: [] });
  }
  return [...out.values()];
}

const KINDS: BeliefKind[] = ['requires-before', 'init-before-read', 'guarded', 'must-follow'];

/**
 * The top of the list, taken from each kind in turn: the kinds' samples are
 * not alike (every operation of every handler for requires-before, the writes
 * near a handler for a guard), so one kind's z would crowd out the others'.
 */
export function byKindInTurn<T extends { best: Belief }>(fams: T[]): T[] {
  const lists = KINDS.map((k) => fams.filter((f) => f.best.kind === k));
  const out: T[] = [];
  for (let i = 0; out.length < fams.length; i++) for (const l of lists) if (i < l.length) out.push(l[i]);
  return out;
}
