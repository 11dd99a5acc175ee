// Entries found in the tree by role. A rule may enter at "every handler a
// command reaches" instead of a list of one version's function names: the
// pack names the dispatchers (functions whose switch on a command number
// picks a handler), and the handlers are what each case calls first. A case
// that calls another dispatcher of the role (a default case handing on to
// the architecture's switch) is walked in turn instead of being a handler.
//
// "Calls first": the first call in the case, in evaluation order, that
// resolves by name (directly or through a macro) to a function the analysed
// files define, and is none of the role's `except` (a lock taken, a test
// made before the handler runs). Calls of functions the tree only declares
// (copy_from_user, kzalloc) are never handlers. Ops calls are not followed:
// the hook a case calls through a table is the vendor's, not a handler of
// the command.

import type { Stmt } from '../parse/ir';
import type { Program } from './program';
import { cmp } from './program';
import type { Pack, RoleSpec } from '../pack/load';
import { authoredAt } from '../pack/sets';
import { keyName } from '../pack/locate';
import { functionEntries, isRoleEntry, type EntryItem, type EntrySpec } from '../pack/rule-spec';
import { resolveCall, scopeOf } from './callgraph';
import { walkStmt, flattenCases } from './walk';

/** The handlers of `role` in `p`, sorted by name, each once. */
export function roleFunctions(p: Program, role: RoleSpec): string[] {
  const dispatchers = new Set(role.dispatch);
  const except = new Set(role.except ?? []);
  const found = new Set<string>();
  const done = new Set<string>();
  const queue = [...role.dispatch];
  while (queue.length) {
    const name = queue.shift() as string;
    if (done.has(name)) continue;
    done.add(name);
    for (const fn of p.functions.get(name) ?? []) {
      const sc = scopeOf(p, fn);
      for (const group of caseGroups(fn.body)) {
        let first: string | null = null;
        for (const s of group) {
          walkStmt(s, [], (e) => {
            if (first !== null || e.k !== 'call') return;
            const info = resolveCall(sc, e);
            const t = info.targets.find((x) => (x.kind === 'direct' || x.kind === 'macro') && !except.has(x.fn.name));
            if (t) first = t.fn.name;
          });
          if (first !== null) break;
        }
        if (first === null) continue;
        if (dispatchers.has(first)) queue.push(first);
        else found.add(first);
      }
    }
  }
  return [...found].sort(cmp);
}

/** A switch body's labels and statements in order, the cases under an `#if` among them (both sides). */
function switchItems(body: Stmt, depth: number): Stmt[] {
  const out: Stmt[] = [];
  for (const x of body.k === 'block' ? flattenCases(body.body) : [body]) {
    if (x.k !== 'pp' || depth > 600) {
      out.push(x);
      continue;
    }
    for (const side of x.f ? [x.t, x.f] : [x.t]) for (const y of switchItems(side, depth + 1)) out.push(y);
  }
  return out;
}

/** The statements after each case label of every switch in `body` (outermost switches; nested ones are part of their case). */
function caseGroups(body: Stmt): Stmt[][] {
  const out: Stmt[][] = [];
  const visit = (s: Stmt, depth: number): void => {
    if (depth > 600) return;
    switch (s.k) {
      case 'block':
        for (const c of s.body) visit(c, depth + 1);
        return;
      case 'if':
        visit(s.t, depth + 1);
        if (s.f) visit(s.f, depth + 1);
        return;
      case 'while':
      case 'for':
        visit(s.body, depth + 1);
        return;
      case 'pp':
        visit(s.t, depth + 1);
        if (s.f) visit(s.f, depth + 1);
        return;
      case 'switch': {
        let cur: Stmt[] | null = null;
        for (const x of switchItems(s.body, depth)) {
          if (x.k === 'case') {
            // consecutive labels share one group
            if (!cur || cur.length) out.push((cur = []));
            continue;
          }
          cur?.push(x);
        }
        return;
      }
      default:
    }
  };
  visit(body, 0);
  return out.filter((g) => g.length);
}

/**
 * A rule's entries in `p`: as written, each role replaced by its handlers
 * (a handler the rule also names itself, or another of its roles found, once).
 */
export function ruleEntries(p: Program, roles: Record<string, RoleSpec>, entries: readonly EntryItem[] | undefined): EntrySpec[] {
  const out: EntrySpec[] = [];
  const named = new Set(functionEntries(entries).map((e) => e.function));
  for (const e of entries ?? []) {
    if (!isRoleEntry(e)) {
      out.push(typeof e === 'string' ? { function: e } : e);
      continue;
    }
    for (const fn of roleFunctions(p, roles[e.role] ?? { dispatch: [] })) {
      if (named.has(fn)) continue;
      named.add(fn);
      out.push({ function: fn });
    }
  }
  return out;
}

/**
 * A role that finds nothing in this tree (its dispatchers renamed, or not
 * among the analysed files) would leave its rule idle in silence: one note
 * for each such role entry, naming the pack file, the key and the rule.
 */
export function emptyRoleNotes(pack: Pack, p: Program, only?: string[]): string[] {
  const indexInFile = new Map<string, number>();
  const found = new Map<string, number>();
  const out: string[] = [];
  for (const r of pack.rules) {
    const file = pack.ruleFile[r.id] ?? '';
    const k = indexInFile.get(file) ?? 0;
    indexInFile.set(file, k + 1);
    if (only?.length && !only.includes(r.id)) continue;
    for (const [j, e] of (r.entries ?? []).entries()) {
      if (!isRoleEntry(e)) continue;
      const role = pack.roles[e.role];
      if (!role) continue;
      let n = found.get(e.role);
      if (n === undefined) found.set(e.role, (n = roleFunctions(p, role).length));
      if (n) continue;
      const gone = role.dispatch.filter((d) => !p.functions.has(d));
      const why = gone.length ? `${gone.join(', ')} ${gone.length === 1 ? 'is' : 'are'} not defined in the analysed files` : 'no case of its dispatchers calls a function the analysed files define';
      const o = authoredAt(pack.spliced, file, ['rules', k, 'entries', j, 'role']);
      out.push(`${o.file}: ${keyName(o.path)}: role ${e.role} finds no entry: ${why}; rule ${r.id} does not run from it`);
    }
  }
  return out;
}
