// The whole-tree program model: every definition the facts hold, indexed so
// that a name seen in one file resolves the way the C compiler and linker
// would resolve it (a static in the same file first, then a global, then a
// header's inline), and types resolve through typedefs to struct members.

import type { FileFacts, FunctionFact, GlobalFact, MacroFact, StructFact, TableFact, TypeRef, FieldFact } from '../parse/ir';
import type { Pack, OpsCallMacro } from '../pack/load';

/** The facts of a tree, the program's input (driver/load-tree.ts loads them; a test may make them by hand). */
export interface TreeFacts {
  root: string;
  files: FileFacts[];
  /** one line each: files skipped or partly read, sorted by path */
  notes: string[];
  bytes: number;
  /** a file failed for a reason of the moment (a timeout, a dead worker) or changed while it was read: what follows is not to be cached */
  transient?: boolean;
}

export interface Program {
  root: string;
  files: FileFacts[];
  /** every definition of a name (ifdef variants and per-file statics included) */
  functions: Map<string, FunctionFact[]>;
  structs: Map<string, StructFact>;
  typedefs: Map<string, TypeRef>;
  globals: Map<string, GlobalFact[]>;
  macros: Map<string, MacroFact>;
  /** every definition of a macro name, each `#if` side's included */
  macroDefs: Map<string, MacroFact[]>;
  /** struct type name → tables of that type */
  tablesByType: Map<string, TableFact[]>;
  tablesByName: Map<string, TableFact[]>;
  opsMacros: Map<string, OpsCallMacro[]>;
  typeArgMacros: Record<string, { typeArg: number; pointer?: boolean }>;
  /** C's own scalar words and the pack's scalar typedefs */
  scalarTypes: Set<string>;
  /** table member → functions implementing it, by `struct.member` */
  hookImpls: Map<string, HookImpl[]>;
}

export interface HookImpl {
  table: TableFact;
  fn: string;
  /** the file whose scope names `fn`, when not the table's (a table patched at run time from another file) */
  from?: string;
  /** the `#if` side the member is set under (a macro's definition that made the name) */
  cond?: string;
}

/** C's scalar type words: a variable of one of these can never be called. */
const C_SCALAR_WORDS = [
  'void', 'char', 'short', 'int', 'long', 'signed', 'unsigned', 'float', 'double', 'bool', '_Bool',
  'size_t', 'ssize_t', 'uintptr_t', 'const', 'volatile',
];

export function isHeader(file: string): boolean {
  return file.endsWith('.h');
}

export function buildProgram(tree: TreeFacts, pack: Pack): Program {
  const p: Program = {
    root: tree.root,
    files: tree.files,
    functions: new Map(),
    structs: new Map(),
    typedefs: new Map(),
    globals: new Map(),
    macros: new Map(),
    macroDefs: new Map(),
    tablesByType: new Map(),
    tablesByName: new Map(),
    opsMacros: new Map(),
    typeArgMacros: pack.frontend.typeArgMacros,
    scalarTypes: new Set([...C_SCALAR_WORDS, ...pack.program.scalarTypes]),
    hookImpls: new Map(),
  };
  for (const f of tree.files) {
    for (const fn of f.functions) push(p.functions, fn.name, fn);
    for (const s of f.structs) {
      const prev = p.structs.get(s.name);
      // the definition with the most members wins: forward-declared shapes and
      // config-trimmed variants lose to the full one
      if (!prev || s.fields.length > prev.fields.length) p.structs.set(s.name, s);
    }
    for (const t of f.typedefs) if (!p.typedefs.has(t.name)) p.typedefs.set(t.name, t.type);
    for (const g of f.globals) push(p.globals, g.name, g);
    for (const m of f.macros) {
      if (!p.macros.has(m.name)) p.macros.set(m.name, m);
      push(p.macroDefs, m.name, m);
    }
    for (const ft of f.tables) {
      // the program's own copy: makeProgram adds members that code assigns at
      // run time, and the facts must stay as parsed for every other program
      const t = { ...ft, members: { ...ft.members }, memberLines: { ...ft.memberLines } };
      push(p.tablesByType, structName(t.type), t);
      push(p.tablesByName, t.name, t);
    }
  }
  for (const m of pack.program.opsCallMacros) push(p.opsMacros, m.macro, m);
  for (const [type, tables] of p.tablesByType) {
    for (const t of tables) {
      for (const [member, value] of Object.entries(t.members)) {
        if (!p.functions.has(value)) continue;
        push(p.hookImpls, `${type}.${member}`, { table: t, fn: value });
      }
      for (const x of pastedMembers(p, t)) {
        if (p.functions.has(x.fn)) push(p.hookImpls, `${type}.${x.member}`, { table: t, fn: x.fn, ...(x.cond ? { cond: x.cond } : {}) });
      }
    }
  }
  for (const list of p.hookImpls.values()) list.sort((a, b) => cmp(a.table.name, b.table.name) || cmp(a.fn, b.fn));
  return p;
}

/**
 * The names a table's macro-valued members expand to, one per definition of
 * the macro with its `#if` side: `.vcpu_create = vt_op(vcpu_create)` under
 * `#define vt_op(name) vt_##name` / `#else` `#define vt_op(name) vmx_##name`
 * gives vt_vcpu_create (CONFIG_KVM_INTEL_TDX) and vmx_vcpu_create (its
 * negation), as the compiler would on either configuration. The definitions
 * in the table's own file come first; a body that is not a name (`NULL`)
 * sets nothing.
 */
export function pastedMembers(p: Program, t: TableFact): { member: string; fn: string; cond: string }[] {
  const out: { member: string; fn: string; cond: string }[] = [];
  if (!t.macroMembers) return out;
  for (const [member, call] of Object.entries(t.macroMembers)) {
    const defs = p.macroDefs.get(call.macro) ?? [];
    const local = defs.filter((d) => d.file === t.file);
    for (const d of local.length ? local : defs) {
      const name = pasteName(d, call.args);
      if (name) out.push({ member, fn: name, cond: d.cond ?? '' });
    }
  }
  return out;
}

/** A macro body of names and `##` with the parameters replaced: the identifier it makes, or null. */
function pasteName(d: MacroFact, args: string[]): string | null {
  if (d.params.length !== args.length) return null;
  const parts = d.body.trim().split(/\s*##\s*/);
  let out = '';
  for (const part of parts) {
    if (!/^[A-Za-z_]\w*$/.test(part)) return null;
    const i = d.params.indexOf(part);
    out += i >= 0 ? args[i] : part;
  }
  return /^[A-Za-z_]\w*$/.test(out) ? out : null;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "struct kvm_vcpu" → "kvm_vcpu"; other names unchanged. */
export function structName(type: string): string {
  return type.replace(/^(struct|union|const struct|const union)\s+/, '').replace(/^const\s+/, '');
}

/**
 * The definitions a call by name from `fromFile` reaches: a static in the
 * same file hides everything else; otherwise globals and header inlines.
 * Several results mean #ifdef variants (or duplicate definitions).
 */
export function resolveFunction(p: Program, name: string, fromFile: string): FunctionFact[] {
  const defs = p.functions.get(name);
  if (!defs) return [];
  if (defs.length === 1) {
    const d = defs[0];
    if (d.isStatic && !isHeader(d.file) && d.file !== fromFile && !isHeader(fromFile)) return [];
    return defs;
  }
  const local = defs.filter((d) => d.file === fromFile);
  if (local.length) return local;
  const visible = defs.filter((d) => !d.isStatic || isHeader(d.file));
  if (visible.length) return visible;
  // a static helper called from a header inline: any file's copy will do
  return isHeader(fromFile) ? defs.slice(0, 1) : [];
}

/**
 * The configuration condition a definition sits under, without the include
 * guard of the header it is in: `#ifndef ARCH_X86_KVM_X86_H` wraps every
 * inline of x86.h but is no configuration choice, and an edge that carried it
 * would read as conditional.
 */
export function defCond(file: string, cond: string): string {
  if (!cond || !isHeader(file)) return cond;
  const m = /^!\w*_H_*(?: && |$)/.exec(cond);
  return m ? cond.slice(m[0].length) : cond;
}

/**
 * The literals of a condition that is a conjunction of configuration
 * symbols (`CONFIG_A && !CONFIG_B`, as ppCond writes them); null for any
 * other expression.
 */
export function condLiterals(cond: string): { name: string; negated: boolean }[] | null {
  const out: { name: string; negated: boolean }[] = [];
  for (const part of cond.split(' && ')) {
    const m = /^(!?)([A-Za-z_]\w*)$/.exec(part.trim());
    if (!m) return null;
    out.push({ name: m[2], negated: m[1] === '!' });
  }
  return out;
}

/** Follow typedefs to the underlying type, adding their pointer depth. */
export function canonicalType(p: Program, t: TypeRef): TypeRef {
  let cur = t;
  for (let i = 0; i < 16; i++) {
    const name = cur.name.replace(/^const\s+/, '').replace(/\s+const$/, '');
    const td = p.typedefs.get(name);
    if (!td || td.name === name) return { ...cur, name };
    cur = { name: td.name, ptr: cur.ptr + td.ptr, ...(td.fn ? { fn: true } : {}) };
  }
  return cur;
}

export function structOf(p: Program, t: TypeRef | null): StructFact | null {
  if (!t) return null;
  const c = canonicalType(p, t);
  if (!/^(struct|union) /.test(c.name)) return null;
  return p.structs.get(structName(c.name)) ?? null;
}

export function fieldOf(s: StructFact, name: string): FieldFact | null {
  for (const f of s.fields) if (f.name === name) return f;
  return null;
}

/**
 * The program as the engine walks it: only functions defined in files
 * `inScope` accepts are entered; a call to any other is a leaf, as it is when
 * its file is not analysed at all. A pack's rules are about its own files
 * (KVM's fields are touched in KVM's code), so over a whole kernel this keeps
 * the runs from interpreting mm/ and kernel/ for nothing, and a check of the
 * whole tree finds what a check of the pack's files finds. Types, macros and
 * tables stay whole-tree: they only sharpen resolution. Which files are in
 * scope, and whether any is, is walkedMatcher's answer (source/discover.ts),
 * which the loaders follow too: the other files come without bodies.
 */
export function confinedTo(p: Program, inScope: (file: string) => boolean): Program {
  let outside = false;
  const functions = new Map<string, FunctionFact[]>();
  for (const [name, defs] of p.functions) {
    const kept = defs.filter((d) => inScope(d.file));
    if (kept.length !== defs.length) outside = true;
    if (kept.length) functions.set(name, kept);
  }
  if (!outside) return p;
  const hookImpls = new Map<string, HookImpl[]>();
  for (const [hook, impls] of p.hookImpls) {
    const kept = impls.filter((i) => functions.has(i.fn));
    if (kept.length) hookImpls.set(hook, kept);
  }
  return { ...p, files: p.files.filter((f) => inScope(f.file)), functions, hookImpls };
}
