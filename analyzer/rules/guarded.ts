// guarded: a change of state reachable from an entry must sit behind a check
// of a predicate: on every path to the change the predicate was tested and
// found false (KVM_SET_CPUID2 after KVM_RUN).

import type { Expr } from '../parse/ir';
import type { FromSchema } from 'json-schema-to-ts';
import { EVENT, FIELD, IDENT, type EventSpec, type RuleOf } from '../pack/rule-schema';
import { qualifiedField, resolveCall, scopeOf, type Scope } from '../program/callgraph';
import type { State } from '../flow/state';
import type { Site } from '../flow/hooks';
import { globMatcher, type RuleKind } from './context';

const PREDICATE = {
  type: 'object', additionalProperties: false,
  properties: {
    call: IDENT,
    field: FIELD,
    op: { enum: ['!=', '==', '<', '>', '<=', '>='] },
    value: { type: 'number' },
  },
} as const;
export type PredicateSpec = FromSchema<typeof PREDICATE>;

const schema = {
  properties: {
    changes: { type: 'array', items: EVENT, minItems: 1 },
    predicate: { type: 'array', items: PREDICATE, minItems: 1 },
  },
  required: ['changes', 'predicate'],
} as const;
export type GuardedRule = RuleOf<'guarded', typeof schema>;

const INVERSE: Record<string, string> = { '==': '!=', '!=': '==', '<': '>=', '>=': '<', '>': '<=', '<=': '>' };

function numOf(e: Expr): number | null {
  if (e.k === 'num') return e.value;
  if (e.k === 'unary' && e.op === '-' && e.e.k === 'num' && e.e.value !== null) return -e.e.value;
  return null;
}

/**
 * Whether a predicate holds (1) or not (0) where `e` evaluated to `taken`,
 * and which; null: unknown. A call of a helper whose whole body returns a
 * test is read as that test, in either polarity (7.x's
 * `!kvm_can_set_cpuid_and_feature_msrs(vcpu)` returns
 * `last_vmentry_cpu == -1 && ...`), `depth` helpers deep.
 */
export function predicateOn(e: Expr, taken: boolean, preds: PredicateSpec[], sc: Scope, depth = 0): { holds: 0 | 1; index: number } | null {
  const direct = predicateHere(e, taken, preds, sc, depth);
  if (direct || e.k !== 'call' || depth >= 3) return direct;
  const info = resolveCall(sc, e);
  if (info.targets.length !== 1) return null;
  const fn = info.targets[0].fn;
  const body = fn.body.k === 'block' && fn.body.body.length === 1 ? fn.body.body[0] : null;
  if (!body || body.k !== 'return' || !body.e) return null;
  return predicateOn(body.e, taken, preds, scopeOf(sc.p, fn), depth + 1);
}

function predicateHere(e: Expr, taken: boolean, preds: PredicateSpec[], sc: Scope, depth: number): { holds: 0 | 1; index: number } | null {
  while (e.k === 'cast') e = e.e;
  if (e.k === 'unary' && e.op === '!') return predicateOn(e.e, !taken, preds, sc, depth);
  if (e.k === 'binary' && e.op === '&&' && taken) return predicateOn(e.l, true, preds, sc, depth) ?? predicateOn(e.r, true, preds, sc, depth);
  if (e.k === 'binary' && e.op === '||' && !taken) return predicateOn(e.l, false, preds, sc, depth) ?? predicateOn(e.r, false, preds, sc, depth);
  for (const [index, p] of preds.entries()) {
    if (p.call && e.k === 'call') {
      const info = resolveCall(sc, e);
      if (info.name === p.call) return { holds: taken ? 1 : 0, index };
    }
    if (p.field && e.k === 'binary' && p.op && INVERSE[e.op]) {
      const [fe, ne] = e.l.k === 'field' ? [e.l, e.r] : [e.r, e.l];
      if (fe.k !== 'field' || qualifiedField(sc, fe) !== p.field || numOf(ne) !== p.value) continue;
      const op = e.l.k === 'field' ? e.op : mirror(e.op);
      if (op === p.op) return { holds: taken ? 1 : 0, index };
      if (op === INVERSE[p.op]) return { holds: taken ? 0 : 1, index };
    }
  }
  return null;
}

function predicateText(p: PredicateSpec): string {
  return p.call ? `${p.call}()` : `${p.field} ${p.op} ${p.value}`;
}

function mirror(op: string): string {
  return ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[op] ?? op;
}

export function eventMatchers(evs: EventSpec[]) {
  const calls = globMatcher(evs.filter((e) => e.call).map((e) => e.call!));
  const writes = new Set(evs.filter((e) => e.write).map((e) => e.write!));
  return { calls, writes };
}

const kind: RuleKind<GuardedRule> = {
  kind: 'guarded',
  schema,
  // one guard, written as each kernel wrote it
  forms: ['predicate'],
  create(rule, ctx) {
    const checked = ctx.fact('checked');
    // per predicate: a check found it true on a path that went on
    const held = ctx.facts('held');
    const m = eventMatchers(rule.changes);
    const check = (what: string, st: State, at: Site) => {
      const v = checked.get(st);
      if (v === 1) return;
      const h = rule.predicate.findIndex((_, i) => held.get(st, String(i)) !== 0);
      const why = h >= 0 ? ` on a path where ${predicateText(rule.predicate[h])} was found true and nothing stopped it`
        : v === 2 ? ' on a path where the check was not made' : ' with no check before it';
      ctx.report({ at, note: `${what}${why}`, vars: { change: what }, key: what });
    };
    const isPred = globMatcher(rule.predicate.filter((p) => p.call).map((p) => p.call!));
    const fields = new Set([...m.writes, ...rule.predicate.filter((p) => p.field).map((p) => p.field!)]);
    return {
      events: { fields, calls: (n) => m.calls(n) || isPred(n) },
      onBranch(cond, taken, st, sc) {
        const r = predicateOn(cond, taken, rule.predicate, sc);
        if (!r) return;
        checked.set(st, r.holds ? 0 : 1);
        held.set(st, String(r.index), r.holds);
      },
      onCall(call, st, at) {
        if (m.calls(call.name)) check(`calls ${call.name}()`, st, at);
      },
      onWrite(q, st, at, how) {
        if (m.writes.has(q) && how !== 'address') check(`writes ${q}`, st, at);
      },
    };
  },
};
export default kind;
