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
//
// A handler runs from its dispatcher's state at the switch: a role's unit is
// a handler with the outermost dispatcher it is reached from, and each switch
// on the way pinned to the cases that reach it (a `default:` handing on to
// the inner dispatcher among them). What a dispatcher does before its switch
// (vcpu_load(), a lock, copy_from_user) is then on the handler's path, and
// the other cases are not. A unit is also what an edit re-runs: one inside a
// handler touches that handler's unit only.

import type { FunctionFact, Stmt } from '../parse/ir';
import type { Program } from './program';
import { cmp } from './program';
import type { Pack, RoleSpec } from '../pack/load';
import { authoredAt } from '../pack/sets';
import { keyName } from '../pack/locate';
import { entryName, functionEntries, isRoleEntry, type EntryItem, type EntrySpec } from '../pack/rule-spec';
import { resolveCall, scopeOf } from './callgraph';
import { walkStmt, switchCases } from './walk';

type SwitchStmt = Extract<Stmt, { k: 'switch' }>;

/** A case group of a switch: its labels (their indices among the switch's labels, in switchCases order) and what follows them. */
interface CaseGroup {
  labels: number[];
  stmts: Stmt[];
}

/** One of a dispatcher's switches, with its case groups. */
interface DispatchSwitch {
  sw: SwitchStmt;
  groups: CaseGroup[];
}

/**
 * Where a role's unit passes a dispatcher: the `def`-th definition of
 * `dispatcher`, its `switch`-th outermost switch, entered only at these
 * labels. Positions are ordinals, not lines, so an edit above leaves them.
 */
export interface RolePin {
  dispatcher: string;
  def: number;
  switch: number;
  labels: number[];
}

/** A handler of a role as a run sees it: entered at an outermost dispatcher, each switch on the way pinned to the cases that reach it. */
export interface RoleRun {
  role: string;
  handler: string;
  pins: RolePin[];
}

/** An entry a rule runs from: a function (a role's unit runs from its outermost dispatcher, `role` saying which handler). */
export type RunEntry = EntrySpec & { role?: RoleRun };

/** How listings name an entry: a role's by its handler. */
export function listedName(e: RunEntry): string {
  return e.role ? e.role.handler : entryName(e);
}

/** How messages and units name an entry: a role's handler with the dispatcher its runs start from. */
export function runName(e: RunEntry): string {
  return e.role ? `${e.role.handler} (via ${e.function})` : entryName(e);
}

/** A step from a dispatcher's case to what it calls first: a handler, or another dispatcher of the role. */
interface Edge {
  pin: RolePin;
  to: string;
  dispatcher: boolean;
}

const switchMemo = new WeakMap<FunctionFact, DispatchSwitch[]>();

function switchesOf(fn: FunctionFact): DispatchSwitch[] {
  let s = switchMemo.get(fn);
  if (!s) switchMemo.set(fn, (s = dispatchSwitches(fn.body)));
  return s;
}

/** Each case of the role's dispatchers, to what it calls first. */
function roleEdges(p: Program, role: RoleSpec): Edge[] {
  const dispatchers = new Set(role.dispatch);
  const except = new Set(role.except ?? []);
  const out: Edge[] = [];
  for (const name of dispatchers) {
    for (const [def, fn] of (p.functions.get(name) ?? []).entries()) {
      const sc = scopeOf(p, fn);
      for (const [si, sw] of switchesOf(fn).entries()) {
        for (const group of sw.groups) {
          let first: string | null = null;
          for (const s of group.stmts) {
            walkStmt(s, [], (e) => {
              if (first !== null || e.k !== 'call') return;
              const info = resolveCall(sc, e);
              const t = info.targets.find((x) => (x.kind === 'direct' || x.kind === 'macro') && !except.has(x.fn.name));
              if (t) first = t.fn.name;
            });
            if (first !== null) break;
          }
          if (first === null) continue;
          out.push({ pin: { dispatcher: name, def, switch: si, labels: group.labels }, to: first, dispatcher: dispatchers.has(first) });
        }
      }
    }
  }
  return out;
}

/** The handlers of `role` in `p`, sorted by name, each once. */
export function roleFunctions(p: Program, role: RoleSpec): string[] {
  const found = new Set<string>();
  for (const e of roleEdges(p, role)) if (!e.dispatcher) found.add(e.to);
  return [...found].sort(cmp);
}

/**
 * The units of `role`: each handler with the outermost dispatcher it is
 * reached from (one no case of the role calls; the first the role names
 * when they call each other round) and the cases on the way. A handler
 * reached through several cases runs with each of them open; one reached
 * from two outermost dispatchers is a unit from each. Sorted by handler.
 */
export function roleUnits(p: Program, name: string, role: RoleSpec): RunEntry[] {
  const edges = roleEdges(p, role);
  const from = new Map<string, Edge[]>();
  const inner = new Set<string>();
  for (const e of edges) {
    const l = from.get(e.pin.dispatcher);
    if (l) l.push(e);
    else from.set(e.pin.dispatcher, [e]);
    if (e.dispatcher) inner.add(e.to);
  }
  const defined = role.dispatch.filter((d, i) => p.functions.has(d) && role.dispatch.indexOf(d) === i);
  let roots = defined.filter((d) => !inner.has(d));
  if (!roots.length && defined.length) roots = [defined[0]];
  // handler|root -> switch -> labels
  const units = new Map<string, { handler: string; root: string; pins: Map<string, RolePin> }>();
  for (const root of roots) {
    const path: RolePin[] = [];
    const on = new Set<string>();
    const visit = (d: string): void => {
      if (on.has(d)) return;
      on.add(d);
      for (const e of from.get(d) ?? []) {
        path.push(e.pin);
        if (e.dispatcher) visit(e.to);
        else {
          const k = `${e.to}\u0000${root}`;
          let u = units.get(k);
          if (!u) units.set(k, (u = { handler: e.to, root, pins: new Map() }));
          for (const pin of path) {
            const sk = `${pin.dispatcher}\u0000${pin.def}\u0000${pin.switch}`;
            const had = u.pins.get(sk);
            if (!had) {
              u.pins.set(sk, { ...pin, labels: pin.labels.slice() });
              continue;
            }
            for (const l of pin.labels) if (!had.labels.includes(l)) had.labels.push(l);
            had.labels.sort((a, b) => a - b);
          }
        }
        path.pop();
      }
      on.delete(d);
    };
    visit(root);
  }
  return [...units.values()]
    .sort((a, b) => cmp(a.handler, b.handler) || cmp(a.root, b.root))
    .map((u) => ({ function: u.root, role: { role: name, handler: u.handler, pins: [...u.pins.keys()].sort(cmp).map((k) => u.pins.get(k)!) } }));
}

/** What a unit's pins are in `p`: each pinned switch with the labels its run enters at, and the functions that hold one. */
export function pinsIn(p: Program, pins: readonly RolePin[]): { switches: Map<Stmt, Set<number>>; fns: Set<FunctionFact> } {
  const switches = new Map<Stmt, Set<number>>();
  const fns = new Set<FunctionFact>();
  for (const pin of pins) {
    const fn = p.functions.get(pin.dispatcher)?.[pin.def];
    const sw = fn && switchesOf(fn)[pin.switch];
    if (!fn || !sw) continue;
    fns.add(fn);
    switches.set(sw.sw, new Set(pin.labels));
  }
  return { switches, fns };
}

/** The outermost switches of `body` (nested ones are part of their case), each with its case groups. */
function dispatchSwitches(body: Stmt): DispatchSwitch[] {
  const out: DispatchSwitch[] = [];
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
        const groups: CaseGroup[] = [];
        let cur: CaseGroup | null = null;
        let li = 0;
        for (const x of switchCases(s.body, depth)) {
          if (x.k === 'case') {
            // consecutive labels share one group
            if (!cur || cur.stmts.length) groups.push((cur = { labels: [], stmts: [] }));
            cur.labels.push(li++);
            continue;
          }
          cur?.stmts.push(x);
        }
        out.push({ sw: s, groups: groups.filter((g) => g.stmts.length) });
        return;
      }
      default:
    }
  };
  visit(body, 0);
  return out;
}

/**
 * A rule's entries in `p`: as written, each role replaced by its units
 * (a handler the rule also names itself, or another of its roles found
 * from the same dispatcher, once).
 */
export function ruleEntries(p: Program, roles: Record<string, RoleSpec>, entries: readonly EntryItem[] | undefined): RunEntry[] {
  const out: RunEntry[] = [];
  const named = new Set(functionEntries(entries).map((e) => e.function));
  const seen = new Set<string>();
  for (const e of entries ?? []) {
    if (!isRoleEntry(e)) {
      out.push(typeof e === 'string' ? { function: e } : e);
      continue;
    }
    for (const u of roleUnits(p, e.role, roles[e.role] ?? { dispatch: [] })) {
      const h = u.role!.handler;
      const k = `${h}\u0000${u.function}`;
      if (named.has(h) || seen.has(k)) continue;
      seen.add(k);
      out.push(u);
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
