// What the paths from an entry do, as the engine walks them: one observer
// (engine hooks, as a rule kind's) that keeps its facts in the path's State,
// so they are copied at a branch and merged at a join like every fact, and
// tallies each event with what held on every path to it.
//
// Facts (all `iv:`): `c:A` a call A made by the entry, a dispatcher or the
// unit's own frame has returned; `w:F` field F was written; `t:R:P`
// predicate P (the helper a condition calls, or its outermost fields) was
// tested by a deciding test in frame R (depth@function@call line); `mw:S`
// the write at site S happened and `mf:S|G` G was called after it.

import type { Expr } from '../parse/ir';
import type { CallEvent, Frame, RuleHooks, Site } from '../flow/hooks';
import type { State } from '../flow/state';
import type { Program } from '../program/program';
import { qualifiedField, type Scope } from '../program/callgraph';
import { walkExpr } from '../program/walk';
import { inDispatchArm, placeOf, unitIndex } from './units';
import { writeSites } from './follow-sites';
import { isDeciding } from './deciding';
import type { BeliefKind } from './beliefs';

type FieldExpr = Extract<Expr, { k: 'field' }>;

/** One path class's record of an event: the candidates that held on every occurrence. */
export interface Instance {
  unit: string;
  /** where the event was first seen, with its stack */
  at: Site;
  /** candidates that held at every occurrence (null until the first) */
  held: Set<string>;
  /** candidates that cannot be compared here (on the stack: the event is inside them) */
  inside: Set<string>;
  /** for each candidate that failed, the first occurrence where it did */
  failedAt: Map<string, Site>;
}

/** kind, subject (operation family or field), path class → instance */
export type Tally = Map<string, Map<string, Instance>>;

export function classKey(kind: BeliefKind, subject: string): string {
  return `${kind}\u0000${subject}`;
}

/**
 * Operations that differ by width or size only are one operation:
 * `vmcs_read16`, `vmcs_readl` → `vmcs_read*`.
 */
export function familyOf(name: string): string {
  const m = /^_*(.*?(?:read|write|get|set))(?:8|16|32|64|l|q|b|w)?$/.exec(name);
  return m && m[1].length < name.length ? `${m[1]}*` : name.replace(/^_+/, '');
}

/** What the observer follows for one entry, chosen from the code before the run (infer.ts vocabularyOf). */
export interface Vocabulary {
  /** calls whose completion is a fact: those the entry's handlers make themselves, by enough of them */
  before: ReadonlySet<string>;
  /** fields whose writes are facts and whose reads are events: on an entry that creates state */
  init: ReadonlySet<string>;
  /** each init field's initializer: the entry, or the callee of the entry's that assigns it */
  initBy: ReadonlyMap<string, string>;
}

/** tests and state changes this many frames under the unit's are counted for guards */
const GUARD_DEPTH = 2;

export class Observer {
  readonly tally: Tally = new Map();
  /** G → write sites waiting for it (mw facts), for the calls of G */
  private waiting = new Map<string, Set<string>>();
  private last: readonly Frame[] = [];

  constructor(private p: Program, private vocab: Vocabulary) {}

  /**
   * One set of hooks a kind of belief, each watching what it needs: the
   * engine keeps a hook's facts only in callees that can wake it, so the
   * init facts do not split the summaries of callees that never touch those
   * fields.
   */
  hooks(): RuleHooks[] {
    const init = this.vocab.init;
    // a branch has no site: the frame it is in is the one of the last call or field access, which its condition makes
    const hs: RuleHooks[] = [{
      // every fact of the observer's, the init hook's too: a callee keyed on less would be summarised once for
      // callers whose paths differ, and its events seen from the first of them only; and the stack, for the same
      // reason: an event is counted per handler and chain, and two handlers reaching kvm_set_cpuid() in the same
      // state would otherwise share its summary, its events seen from the first handler only
      watch: { key: 'infer', all: true, stack: true, facts: (k) => k.startsWith('iv:') },
      onCall: (call, st, at) => { this.last = at.stack; this.call(call, st, at); },
      onCallReturn: (call, st, at) => { this.last = at.stack; this.returned(call, st, at); },
      onRead: (_f, _st, at) => { this.last = at.stack; },
      onBranch: (cond, _taken, st, sc) => this.tested(cond, st, sc),
      // a write of the frame's own copy (`u.cfg = memdup_user(...)`) changes no state a guard protects
      onWrite: (field, st, at, how, _v, target, sc) => {
        this.last = at.stack;
        if (how === 'assign' && !(target?.k === 'field' && sc && inFrame(sc, target))) this.write(field, st, at);
      },
      onFrameReturn: (st, at) => this.frameReturns(st, at),
    }];
    if (init.size) {
      hs.push({
        watch: { key: 'infer-init', fields: init, facts: (k) => k.startsWith('iv:w:') },
        onRead: (field, st, at) => {
          if (init.has(field)) this.record('init-before-read', field, at, st.get(`iv:w:${field}`) === 1 ? [`iv:w:${field}`] : []);
        },
        onWrite: (field, st) => {
          if (init.has(field)) st.set(`iv:w:${field}`, 1);
        },
      });
    }
    return hs;
  }

  private call(call: CallEvent, st: State, at: Site): void {
    const names = namesOf(call);
    // a later call a pending write waits for
    for (const n of names) {
      const sites = this.waiting.get(n);
      if (sites) for (const s of sites) if (st.get(`iv:mw:${s}`) !== 0) st.set(`iv:mf:${s}|${n}`, 1);
    }
    if (!call.info.targets.length || !call.name) return;
    const fam = familyOf(call.name);
    // the outermost of a family: vmcs_readl() inside vmcs_read32() is the same access
    if (at.stack.some((f) => familyOf(f.fn.name) === fam)) return;
    const done: string[] = [];
    for (const [k, v] of st.facts) if (v === 1 && k.startsWith('iv:c:')) done.push(k);
    this.record('requires-before', fam, at, done, call.name, true);
  }

  private returned(call: CallEvent, st: State, at: Site): void {
    // what a candidate does inside (vcpu_load's own requests) is its work, not a second precondition
    if (at.stack.some((f) => this.vocab.before.has(f.fn.name))) return;
    for (const n of namesOf(call)) if (this.vocab.before.has(n)) st.set(`iv:c:${n}`, 1);
  }

  private write(field: string, st: State, at: Site): void {
    const near = at.stack.length - 1 <= unitIndex(at.stack) + GUARD_DEPTH;
    if (near) {
      const tests: string[] = [];
      for (const [k, v] of st.facts) {
        if (v !== 1 || !k.startsWith('iv:t:')) continue;
        // only a test of a frame still on the stack: a frame's failure split (`if (r) return r;` in its caller)
        // leaves the engine without the frame-return hook's clearing, so the frame is named in the fact
        const [, , frame, ...rest] = k.split(':');
        if (!onStack(at.stack, frame)) continue;
        tests.push(`iv:t:${rest.join(':')}`);
      }
      this.record('guarded', field, at, tests);
    }
    const site = near ? writeSites(this.p, at.fn).get(`${at.line}:${field}`) : undefined;
    if (!site) return;
    st.set(`iv:mw:${site.id}`, 1);
    for (const g of site.follow) {
      st.set(`iv:mf:${site.id}|${g}`, 0);
      let w = this.waiting.get(g);
      if (!w) this.waiting.set(g, (w = new Set()));
      w.add(site.id);
    }
  }

  /** What a condition tests: the helpers it calls, or else its outermost fields. */
  private predicatesOf(cond: Expr, sc: Scope): string[] {
    // a predicate tested through a helper is the helper's (kvm_vcpu_has_run(vcpu)), not the fields of its arguments
    const calls: string[] = [];
    // the outermost field of a chain is what is tested (`vcpu->arch.apic`, not `vcpu->arch`)
    const bases = new Set<Expr>();
    const fields: FieldExpr[] = [];
    walkExpr(cond, [], (e) => {
      if (e.k === 'call' && e.fn.k === 'id' && this.p.functions.has(e.fn.name)) calls.push(`call:${e.fn.name}`);
      else if (e.k === 'field') {
        bases.add(e.base);
        fields.push(e);
      }
    });
    return calls.length ? calls : fields.filter((e) => !bases.has(e) && !inFrame(sc, e)).map((e) => qualifiedField(sc, e)).filter((q) => q !== null).map((q) => `field:${q}`);
  }

  private tested(cond: Expr, st: State, sc: Scope): void {
    // a test of a handler or of its near callees; a dispatcher's tests before its switch come before every
    // handler, while one inside a case is that case's handler's
    if (!this.last.length) return;
    const top = this.last[this.last.length - 1].fn;
    const d = this.last.length - 1 - unitIndex(this.last);
    if (d > GUARD_DEPTH || (d < 0 && !inDispatchArm(top, cond))) return;
    // a guard decides: one of its outcomes leaves (deciding.ts); a test both outcomes get past guards nothing
    if (!isDeciding(top, cond)) return;
    // keyed by its frame: the test guards what its frame and the frames it calls do, until it returns
    const frame = frameKey(this.last);
    for (const t of this.predicatesOf(cond, sc)) st.set(`iv:t:${frame}:${t}`, 1);
  }

  /** A frame's writes are followed or not by the time it returns. */
  private frameReturns(st: State, at: Site): void {
    if (at.stack.length - 1 > unitIndex(at.stack) + GUARD_DEPTH) return;
    // a returning frame's tests guard nothing after it
    const mine = `iv:t:${frameKey(at.stack)}:`;
    for (const k of [...st.facts.keys()]) if (k.startsWith(mine)) st.set(k, 0);
    for (const site of writeSites(this.p, at.fn).values()) {
      const w = st.get(`iv:mw:${site.id}`);
      if (w === 0) continue;
      const held: string[] = [];
      for (const g of site.follow) {
        const f = st.get(`iv:mf:${site.id}|${g}`);
        if (f === 1 || (w === 2 && f === 2)) held.push(`g:${g}`);
        st.set(`iv:mf:${site.id}|${g}`, 0);
      }
      st.set(`iv:mw:${site.id}`, 0);
      const where: Site = { ...at, line: site.line };
      this.recordSite('must-follow', site.field, where, held, site.id);
    }
  }

  /**
   * One occurrence of an event: `held` the candidates true on every path to
   * it. For requires-before the candidates on the stack are the event's own
   * callers' work and are not compared.
   */
  private record(kind: BeliefKind, subject: string, at: Site, held: string[], callee?: string, stackAware = false): void {
    const { unit, path } = placeOf(at, callee);
    const inst = this.instance(kind, subject, path, unit, at);
    if (stackAware) for (const f of at.stack) inst.inside.add(`iv:c:${f.fn.name}`);
    this.merge(inst, held, at);
  }

  private recordSite(kind: BeliefKind, subject: string, at: Site, held: string[], siteId: string): void {
    const { unit } = placeOf(at);
    this.merge(this.instance(kind, subject, `${unit}>${siteId}`, unit, at), held, at);
  }

  private instance(kind: BeliefKind, subject: string, path: string, unit: string, at: Site): Instance {
    const ck = classKey(kind, subject);
    let m = this.tally.get(ck);
    if (!m) this.tally.set(ck, (m = new Map()));
    let inst = m.get(path);
    if (!inst) m.set(path, (inst = { unit, at, held: null as unknown as Set<string>, inside: new Set(), failedAt: new Map() }));
    return inst;
  }

  private merge(inst: Instance, held: string[], at: Site): void {
    const h = new Set(held);
    if (inst.held === null) {
      inst.held = h;
      return;
    }
    for (const c of inst.held) {
      if (!h.has(c)) {
        inst.held.delete(c);
        if (!inst.failedAt.has(c)) inst.failedAt.set(c, at);
      }
    }
  }
}

/** A frame as a test fact names it: its depth, function and call line (no `:` inside). */
function frameKey(stack: readonly Frame[]): string {
  const f = stack[stack.length - 1];
  return `${stack.length}@${f.fn.name}@${f.callLine}`;
}

/**
 * A field of an aggregate that lives in the frame (`u.lapic` of the ioctl's
 * union of argument copies): testing it checks the handler's own copy (an
 * allocation's failure), not the state a guard protects.
 */
function inFrame(sc: Scope, e: FieldExpr): boolean {
  let f: Expr = e;
  while (f.k === 'field') {
    const b: Expr = f.base;
    if (b.k === 'id') return !f.arrow && sc.vars.has(b.name) && !sc.fn.params.some((p) => p.name === b.name);
    f = b;
  }
  return false;
}

function onStack(stack: readonly Frame[], key: string): boolean {
  const [d, name, line] = key.split('@');
  const f = stack[Number(d) - 1];
  return !!f && f.fn.name === name && String(f.callLine) === line;
}

/** The names a call goes by: the function or macro, and each function an ops call reaches. */
function namesOf(call: CallEvent): string[] {
  const out: string[] = [];
  if (call.name) out.push(call.name);
  for (const t of call.info.targets) if (!out.includes(t.fn.name)) out.push(t.fn.name);
  return out;
}
