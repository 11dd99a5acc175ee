// Beliefs out of a tally: for each event (an operation, a read, a write) and
// each candidate that held before it somewhere, how many of the event's paths
// it held on, ranked by the z-statistic; the paths where it did not are the
// deviants.

import type { Site } from '../flow/hooks';
import { zScore, MIN_PATHS, MIN_Z, P0 } from './stat';
import type { Tally } from './observe';

export type BeliefKind = 'requires-before' | 'init-before-read' | 'must-follow' | 'guarded';

export interface Belief {
  entry: string;
  kind: BeliefKind;
  /** the operation family, or the field read / written */
  subject: string;
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
  | { k: 'test-field'; field: string };

export interface Deviant {
  unit: string;
  at: Site;
}

function candidateOf(key: string): Candidate | null {
  if (key.startsWith('iv:c:')) return { k: 'call', name: key.slice(5) };
  if (key.startsWith('g:')) return { k: 'call', name: key.slice(2) };
  if (key.startsWith('iv:w:')) return { k: 'write', field: key.slice(5) };
  if (key.startsWith('iv:t:call:')) return { k: 'test-call', name: key.slice(10) };
  if (key.startsWith('iv:t:field:')) return { k: 'test-field', field: key.slice(11) };
  return null;
}

export function beliefsOf(entry: string, tally: Tally): Belief[] {
  const out: Belief[] = [];
  for (const [ck, insts] of tally) {
    const [kind, subject] = ck.split('\u0000') as [BeliefKind, string];
    const cands = new Set<string>();
    for (const i of insts.values()) for (const c of i.held) cands.add(c);
    for (const c of cands) {
      const cand = candidateOf(c);
      if (!cand) continue;
      // the subject itself is no precondition of itself
      if (cand.k === 'write' && kind === 'guarded') continue;
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
        unitOk.set(i.unit, (unitOk.get(i.unit) ?? true) && ok);
      }
      if (n < MIN_PATHS) continue;
      const z = zScore(holds, n);
      if (z < MIN_Z) continue;
      let unitsHolding = 0;
      for (const v of unitOk.values()) if (v) unitsHolding++;
      // a handler is the unit of a protocol: one that holds on many paths of a few handlers only is no belief of the handlers
      if (unitOk.size > 1 && unitsHolding / unitOk.size < P0) continue;
      out.push({ entry, kind, subject, candidate: cand, n, holds, units: unitOk.size, unitsHolding, z, deviants });
    }
  }
  return out;
}

export function candidateText(c: Candidate): string {
  switch (c.k) {
    case 'call': return `${c.name}()`;
    case 'write': return `a write of ${c.field}`;
    case 'test-call': return `a test of ${c.name}()`;
    case 'test-field': return `a test of ${c.field}`;
  }
}

/** The belief as a sentence without its counts. */
export function beliefText(b: Belief): string {
  const c = candidateText(b.candidate);
  switch (b.kind) {
    case 'requires-before': return `${c} precedes ${b.subject}()`;
    case 'init-before-read': return `${b.subject} is written before it is read`;
    case 'must-follow': return `a write of ${b.subject} is followed by ${c} before return`;
    case 'guarded': return `a write of ${b.subject} comes after ${c}`;
  }
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
