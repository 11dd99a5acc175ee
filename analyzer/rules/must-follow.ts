// must-follow: after a trigger (a write to a field, a call) a refresh call
// must follow on every path before the function that made the change
// returns. Every function that makes the change directly is an entry, so
// each implementation of an ops hook is held to the same rule; a branch
// whose condition tests the relevant bits decides whether the refresh is due.

import type { Expr, Stmt } from '../parse/ir';
import type { Program } from '../program/program';
import type { EntrySpec } from '../pack/rule-spec';
import { EVENT, FIELD, GLOBS, TEXTS, type RuleOf } from '../pack/rule-schema';
import { qualifiedField, scopeOf, resolveCall, type Scope } from '../program/callgraph';
import { walkStmt, walkExpr } from '../program/walk';
import type { Site } from '../flow/hooks';
import type { State } from '../flow/state';
import { eventMatchers } from './guarded';
import { globMatcher, exemptSet, type RuleKind } from './context';

function mentions(e: Expr, names: Set<string>, sc: Scope): boolean {
  let hit = false;
  walkExpr(e, [], (x) => {
    if (hit) return;
    if (x.k === 'id' && names.has(x.name)) hit = true;
    else if (x.k === 'field') {
      const q = qualifiedField(sc, x);
      if (q && names.has(q)) hit = true;
    }
  });
  return hit;
}

/**
 * The deferral flags that hold up in this program: every `if` that tests the
 * flag calls a refresh on its true side. A flag some consumer reads without
 * refreshing defers nothing, and setting it discharges no change.
 */
function deferrals(flags: string[], isFollow: (n: string) => boolean, p: Program): Set<string> {
  const ok = new Set<string>();
  if (!flags.length) return ok;
  const bad = new Set<string>();
  const seen = new Set<string>();
  const members = new Set(flags.map((q) => q.slice(q.lastIndexOf('.') + 1)));
  const wanted = new Set(flags);
  for (const f of p.files) {
    for (const fn of f.functions) {
      const sc = scopeOf(p, fn);
      walkStmtTests(fn.body, (cond, then) => {
        walkExpr(cond, [], (x) => {
          if (x.k !== 'field' || !members.has(x.name)) return;
          const q = qualifiedField(sc, x);
          if (!q || !wanted.has(q)) return;
          seen.add(q);
          let refreshes = false;
          walkStmt(then, [], (e) => {
            if (!refreshes && e.k === 'call' && isFollow(e.fn.k === 'id' ? e.fn.name : resolveCall(sc, e).name ?? '')) refreshes = true;
          });
          if (!refreshes) bad.add(q);
        });
      });
    }
  }
  for (const q of seen) if (!bad.has(q)) ok.add(q);
  return ok;
}

const deferralMemo = new WeakMap<Program, Map<string, Set<string>>>();

/** deferrals() once per program and rule: every entry's run asks, and the answer reads bodies across the tree. */
function deferralsOf(rule: MustFollowRule, isFollow: (n: string) => boolean, p: Program): Set<string> {
  if (!rule.deferredBy?.length) return new Set();
  let m = deferralMemo.get(p);
  if (!m) deferralMemo.set(p, (m = new Map()));
  let s = m.get(rule.id);
  if (!s) m.set(rule.id, (s = deferrals(rule.deferredBy, isFollow, p)));
  return s;
}

/** Each `if` of a body, its condition and its true side. */
function walkStmtTests(s: Stmt, visit: (cond: Expr, then: Stmt) => void, depth = 0): void {
  if (depth > 400) return;
  switch (s.k) {
    case 'if': visit(s.c, s.t); walkStmtTests(s.t, visit, depth + 1); if (s.f) walkStmtTests(s.f, visit, depth + 1); return;
    case 'block': for (const x of s.body) walkStmtTests(x, visit, depth + 1); return;
    case 'pp': walkStmtTests(s.t, visit, depth + 1); if (s.f) walkStmtTests(s.f, visit, depth + 1); return;
    case 'while': case 'switch': case 'for': walkStmtTests(s.body, visit, depth + 1); return;
    default:
  }
}

const schema = {
  properties: {
    trigger: { type: 'array', items: EVENT, minItems: 1 },
    follow: GLOBS,
    conditionMentions: TEXTS,
    deferredBy: { type: 'array', items: FIELD },
    exempt: TEXTS,
  },
  required: ['trigger', 'follow'],
} as const;
export type MustFollowRule = RuleOf<'must-follow', typeof schema>;

const kind: RuleKind<MustFollowRule> = {
  kind: 'must-follow',
  // a tree refreshes at once (6.x) or defers to a flag (7.x): either form names the refresh
  alternatives: [['follow', 'deferredBy']],
  schema,
  entries(rule, p) {
    const m = eventMatchers(rule.trigger);
    const exempt = exemptSet(rule.exempt, p);
    const out: EntrySpec[] = [];
    const seen = new Set<string>();
    // the member's name and the callee's are looked at before any type is; with no call among the
    // triggers, a body that assigns none of the members is not read at all (FunctionFact.assignedMembers)
    const members = new Set([...m.writes].map((q) => q.slice(q.lastIndexOf('.') + 1)));
    const writesOnly = !rule.trigger.some((t) => t.call);
    for (const f of p.files) {
      for (const fn of f.functions) {
        if (exempt.has(fn.name) || seen.has(fn.name)) continue;
        if (writesOnly && !fn.assignedMembers.some((n) => members.has(n))) continue;
        const sc = scopeOf(p, fn);
        let hit = false;
        walkStmt(fn.body, [], (e) => {
          if (hit) return;
          if (e.k === 'assign' && e.lhs.k === 'field') {
            if (!members.has(e.lhs.name)) return;
            const q = qualifiedField(sc, e.lhs);
            if (q && m.writes.has(q)) hit = true;
          } else if (e.k === 'call' && m.calls(e.fn.k === 'id' ? e.fn.name : resolveCall(sc, e).name)) hit = true;
        });
        if (hit) {
          seen.add(fn.name);
          out.push({ function: fn.name });
        }
      }
    }
    return out.sort((a, b) => (a.function < b.function ? -1 : 1));
  },
  create(rule, ctx) {
    const m = eventMatchers(rule.trigger);
    const isFollow = globMatcher(rule.follow);
    const names = new Set(rule.conditionMentions ?? []);
    const exempt = exemptSet(rule.exempt, ctx.program);
    // a change made on this path that no refresh has followed yet
    const owed = ctx.fact('owed');
    const defer = deferralsOf(rule, isFollow, ctx.program);
    let first: { at: Site; what: string } | null = null;
    const trigger = (what: string, st: State, at: Site) => {
      if (at.stack.some((f) => exempt.has(f.fn.name))) return;
      owed.set(st, 1);
      if (!first) first = { at, what };
    };
    const mentioned = [...names];
    return {
      events: {
        fields: new Set([...m.writes, ...mentioned.filter((n) => n.includes('.')), ...defer]),
        calls: (n) => isFollow(n) || m.calls(n),
        idents: new Set(mentioned.filter((n) => !n.includes('.'))),
      },
      onWrite(q, st, at, how, value) {
        if (m.writes.has(q) && (how === 'assign' || how === 'compound')) trigger(`writes ${q}`, st, at);
        // the flag set: every consumer refreshes before it uses the derived state
        else if (defer.has(q) && how === 'assign' && value !== undefined && value !== 0) owed.set(st, 0);
      },
      onCall(call, st, at) {
        if (isFollow(call.name)) owed.set(st, 0);
        else if (m.calls(call.name)) trigger(`calls ${call.name}()`, st, at);
      },
      onBranch(cond, taken, st, sc) {
        if (!taken && names.size && owed.get(st) !== 0 && mentions(cond, names, sc)) owed.set(st, 0);
      },
      onEntryReturn(st, at) {
        if (owed.get(st) === 0 || !first) return;
        const f = first as { at: Site; what: string };
        ctx.report({
          at: f.at,
          note: `${f.what}; ${rule.follow.join('/')}() does not follow on ${owed.get(st) === 1 ? 'any' : 'every'} path before ${at.fn.name}() returns`,
          vars: { trigger: f.what, follow: rule.follow.join('/'), function: at.fn.name },
          key: f.what,
          extra: [{ function: at.fn.name, file: at.fn.file, line: at.fn.endLine, note: `returns without ${rule.follow.join('/')}()` }],
        });
      },
    };
  },
};
export default kind;
