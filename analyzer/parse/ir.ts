// The facts one file yields. Plain JSON data, so they can cross a worker
// boundary and sit in the cache; nothing here points back into a syntax tree.

/** A C type as written: base name ("struct kvm_vcpu", "u64", "bool") and pointer depth. */
export interface TypeRef {
  name: string;
  ptr: number;
  /** array declarator (`u64 regs[NR]`) */
  array?: boolean;
  /** pointer to function (a member that is a hook) */
  fn?: boolean;
}

export type Expr =
  /** cleanup: the scope-based cleanup use this constructor or destructor call stands for (`guard(mutex)`) */
  | { k: 'call'; fn: Expr; args: Expr[]; line: number; col: number; cleanup?: string }
  | { k: 'id'; name: string; line: number; col: number }
  | { k: 'num'; value: number | null; text: string }
  | { k: 'str' }
  | { k: 'field'; base: Expr; name: string; arrow: boolean; line: number; col: number }
  | { k: 'index'; base: Expr; index: Expr }
  | { k: 'assign'; op: string; lhs: Expr; rhs: Expr; line: number; col: number }
  | { k: 'update'; op: string; e: Expr }
  | { k: 'unary'; op: string; e: Expr }
  | { k: 'binary'; op: string; l: Expr; r: Expr }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr }
  | { k: 'cast'; type: TypeRef; e: Expr }
  | { k: 'sizeof' }
  /** anything else whose parts are evaluated left to right (comma, init lists, unknown nodes) */
  | { k: 'seq'; items: Expr[] }
  | { k: 'stmt'; body: Stmt };

export type Stmt =
  | { k: 'block'; body: Stmt[] }
  | { k: 'expr'; e: Expr; line: number }
  | { k: 'decl'; vars: LocalVar[]; line: number }
  | { k: 'if'; c: Expr; t: Stmt; f?: Stmt; line: number }
  | { k: 'while'; c: Expr; body: Stmt; doWhile?: boolean; line: number }
  | { k: 'for'; init?: Stmt; c?: Expr; step?: Expr; body: Stmt; line: number }
  | { k: 'switch'; e: Expr; body: Stmt; line: number }
  | { k: 'case'; value?: Expr; line: number }
  | { k: 'return'; e?: Expr; line: number }
  | { k: 'goto'; label: string; line: number }
  | { k: 'label'; name: string; line: number }
  | { k: 'break'; line: number }
  | { k: 'continue'; line: number }
  /** `#if`/`#ifdef` inside a body: both sides are kept, the condition travels with them */
  | { k: 'pp'; cond: string; t: Stmt; f?: Stmt; line: number }
  | { k: 'empty' };

export interface LocalVar {
  name: string;
  type: TypeRef;
  init?: Expr;
  line: number;
}

export interface FunctionFact {
  name: string;
  file: string;
  line: number;
  endLine: number;
  isStatic: boolean;
  isInline: boolean;
  ret: TypeRef;
  params: { name: string; type: TypeRef }[];
  hasError: boolean;
  /** a function a cleanup definition defines (`DEFINE_GUARD(name)`): no text of the file is its definition */
  expandedFrom?: string;
  /** preprocessor condition at file level (`CONFIG_X`, `!CONFIG_X`), '' when none */
  cond: string;
  /**
   * The names the body stores in a struct member (`ops->x = name;`), in
   * order of first appearance: the scan for tables filled at run time
   * (callgraph.ts makeProgram) reads a body only when one of them names a
   * function, so the bodies of a whole kernel, kept on disk, are not all read.
   */
  storedNames: string[];
  /**
   * The member names the body assigns (`x->f = ...`, `x.f |= ...`), in order
   * of first appearance: a rule whose entries are the functions that write a
   * field (must-follow) reads only the bodies that assign a member of its name.
   */
  assignedMembers: string[];
  body: Stmt;
}

export interface FieldFact {
  name: string;
  type: TypeRef;
}

export interface StructFact {
  name: string;
  kind: 'struct' | 'union';
  file: string;
  line: number;
  fields: FieldFact[];
}

/** A global initialised with designated initializers: `struct kvm_x86_ops vmx_x86_ops = { .x = f }`. */
export interface TableFact {
  name: string;
  type: string;
  file: string;
  line: number;
  isStatic: boolean;
  cond: string;
  /** member → identifier it is set to (`&other_table` recorded as `other_table`) */
  members: Record<string, string>;
  memberLines: Record<string, number>;
  /**
   * member → a function-like macro called with plain names (`.vcpu_create =
   * vt_op(vcpu_create)`): the function it names is known only once the
   * macro's definitions are (program.ts pastedMembers), one per `#if` side
   */
  macroMembers?: Record<string, { macro: string; args: string[] }>;
}

export interface GlobalFact {
  name: string;
  type: TypeRef;
  file: string;
  line: number;
  isStatic: boolean;
}

export interface MacroFact {
  name: string;
  file: string;
  line: number;
  params: string[];
  /** function-like identifiers the body calls, in text order; `a##b` pastes kept as written */
  calls: string[];
  body: string;
  /** preprocessor condition of a definition at file level (`CONFIG_X`), absent when none */
  cond?: string;
}

export interface TypedefFact {
  name: string;
  type: TypeRef;
}

export interface FileFacts {
  file: string;
  bytes: number;
  functions: FunctionFact[];
  structs: StructFact[];
  tables: TableFact[];
  globals: GlobalFact[];
  macros: MacroFact[];
  typedefs: TypedefFact[];
  /** notes for the user: skipped content, too-deep nesting, encoding */
  notes: string[];
  /** count of ERROR/MISSING nodes outside any function (headers full of macros have some) */
  topLevelErrors: number;
}
