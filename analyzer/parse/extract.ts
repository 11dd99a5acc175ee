// Turns one syntax tree (flattened out of tree-sitter, flat-tree.ts) into FileFacts. Every descent is bounded:
// tree-sitter builds very deep trees on hostile input, and a recursion that
// follows them blindly would overflow the stack. Past MAX_DEPTH a subtree is
// dropped and a note says where.

import { rootOf, type FlatNode as SyntaxNode, type FlatTree } from './flat-tree';
import { desugarBlock, freeAttributeRe, freeRelease, scopedGuard, type CleanupConfig } from './cleanup';
import type {
  Expr, FileFacts, FunctionFact, GlobalFact, LocalVar, MacroFact, Stmt, StructFact, TableFact, TypeRef,
  TypedefFact, FieldFact,
} from './ir';

const MAX_DEPTH = 400;

const EMPTY: Stmt = { k: 'empty' };

function line(n: SyntaxNode): number {
  return n.startPosition.row + 1;
}
function col(n: SyntaxNode): number {
  return n.startPosition.column + 1;
}

/** Name and pointer depth a declarator gives its base type. */
interface Declared {
  name: string;
  ptr: number;
  array: boolean;
  fn: boolean;
  params?: SyntaxNode;
  init?: SyntaxNode;
  nameNode?: SyntaxNode;
}

function unwrapDeclarator(d: SyntaxNode | null): Declared {
  const out: Declared = { name: '', ptr: 0, array: false, fn: false };
  let cur = d;
  let guard = 0;
  let sawParen = false;
  while (cur && guard++ < 64) {
    switch (cur.type) {
      case 'init_declarator':
        out.init = cur.childForFieldName('value') ?? undefined;
        cur = cur.childForFieldName('declarator');
        break;
      case 'pointer_declarator':
      case 'abstract_pointer_declarator':
        out.ptr++;
        cur = cur.childForFieldName('declarator');
        break;
      case 'array_declarator':
      case 'abstract_array_declarator':
        out.array = true;
        cur = cur.childForFieldName('declarator');
        break;
      case 'function_declarator':
      case 'abstract_function_declarator':
        // `int (*fn)(int)` is a pointer to function; `int fn(int)` declares one
        if (sawParen) out.fn = true;
        else if (!out.params) out.params = cur.childForFieldName('parameters') ?? undefined;
        if (out.ptr > 0 || sawParen) out.fn = true;
        cur = cur.childForFieldName('declarator');
        break;
      case 'parenthesized_declarator':
      case 'abstract_parenthesized_declarator':
        sawParen = true;
        cur = cur.namedChildren.find((c) => c.type !== 'comment') ?? null;
        break;
      case 'attributed_declarator':
        cur = cur.namedChildren[0] ?? null;
        break;
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
      case 'primitive_type':
        out.name = cur.text;
        out.nameNode = cur;
        cur = null;
        break;
      default:
        cur = null;
    }
  }
  return out;
}

function typeName(t: SyntaxNode | null): string {
  if (!t) return 'int';
  switch (t.type) {
    case 'struct_specifier':
    case 'union_specifier':
    case 'enum_specifier': {
      const kw = t.type.slice(0, t.type.indexOf('_'));
      const n = t.childForFieldName('name');
      return n ? `${kw} ${n.text}` : `${kw} <anon@${line(t)}>`;
    }
    case 'sized_type_specifier':
      return t.text.replace(/\s+/g, ' ');
    case 'macro_type_specifier':
      return t.childForFieldName('name')?.text ?? t.text;
    default:
      return t.text.replace(/\s+/g, ' ');
  }
}

export interface ExtractResult {
  facts: FileFacts;
  functionsWithError: number;
}

/**
 * `orig`: the file's text before normalization, where the extractor reads
 * what the normalizer blanked or rewrote and `cleanup` asks about (a
 * `scoped_guard` read as `while`, a `__free(name)`); the same offsets.
 */
export function extractFacts(tree: FlatTree, file: string, text: string, orig = text, cleanup?: CleanupConfig): FileFacts {
  const facts: FileFacts = {
    file, bytes: text.length, functions: [], structs: [], tables: [], globals: [], macros: [], typedefs: [],
    notes: [], topLevelErrors: 0,
  };
  const ex = new Extractor(facts, text, orig, cleanup);
  ex.topLevel(rootOf(tree));
  return facts;
}

class Extractor {
  private tooDeep = false;
  /** names stored in struct members by the body being read (FunctionFact.storedNames) */
  private stored: Set<string> | null = null;
  /** member names the body being read assigns (FunctionFact.assignedMembers) */
  private assigned: Set<string> | null = null;
  private anon = 0;
  /** declarations with a `__free(name)`, and the destructor call each scope exit makes */
  private released = new WeakMap<Stmt, (line: number) => Stmt>();
  constructor(private facts: FileFacts, private text: string, private orig: string, private cleanup?: CleanupConfig) {}

  // ---- file scope ----------------------------------------------------------

  topLevel(root: SyntaxNode): void {
    // explicit stack: preprocessor nesting at file level can be deep in bad input
    const stack: { n: SyntaxNode; cond: string[] }[] = [{ n: root, cond: [] }];
    while (stack.length) {
      const { n, cond } = stack.pop()!;
      const kids = n.namedChildren;
      const pushKids: { n: SyntaxNode; cond: string[] }[] = [];
      for (const c of kids) {
        switch (c.type) {
          case 'function_definition':
            this.functionDef(c, cond.join(' && '));
            break;
          case 'declaration':
            this.declaration(c, cond.join(' && '));
            break;
          case 'type_definition':
            this.typedef(c);
            break;
          case 'struct_specifier':
          case 'union_specifier':
            this.structSpec(c);
            break;
          case 'expression_statement':
            this.scanTypes(c);
            break;
          case 'preproc_function_def':
            this.macro(c, cond.join(' && '));
            break;
          case 'preproc_ifdef':
          case 'preproc_if':
          case 'preproc_else':
          case 'preproc_elif':
          case 'preproc_elifdef': {
            const here = ppCond(c);
            const alt = c.childForFieldName('alternative');
            const skip = [alt, c.childForFieldName('condition'), c.childForFieldName('name')];
            const inner = c.namedChildren.filter((cc) => !skip.some((x) => isSameNode(cc, x)));
            pushKids.push({ n: container(inner), cond: here ? [...cond, here] : cond });
            if (alt) pushKids.push({ n: container([alt]), cond: here ? [...cond, negate(here)] : cond });
            break;
          }
          case 'linkage_specification':
          case 'declaration_list':
            pushKids.push({ n: c, cond });
            break;
          case 'ERROR':
            this.facts.topLevelErrors++;
            pushKids.push({ n: c, cond });
            break;
          default:
            if (c.hasError) this.facts.topLevelErrors++;
        }
      }
      for (let i = pushKids.length - 1; i >= 0; i--) stack.push(pushKids[i]);
    }
  }

  private functionDef(n: SyntaxNode, cond: string): void {
    const d = unwrapDeclarator(n.childForFieldName('declarator'));
    if (!d.name) return;
    const specs = n.children.filter((c) => c.type === 'storage_class_specifier').map((c) => c.text);
    const retType = n.childForFieldName('type');
    this.scanTypes(retType);
    const body = n.childForFieldName('body');
    this.tooDeep = false;
    // in the order the object literal had them: both may record types and notes
    const params = this.params(d.params);
    const stored = (this.stored = new Set<string>());
    const assigned = (this.assigned = new Set<string>());
    const ir = body ? this.stmt(body, 0) : EMPTY;
    this.stored = this.assigned = null;
    const f: FunctionFact = {
      name: d.name,
      file: this.facts.file,
      line: line(n),
      endLine: n.endPosition.row + 1,
      isStatic: specs.includes('static'),
      isInline: specs.includes('inline') || /\binline\b/.test(n.children.filter((c) => c.type !== 'compound_statement').map((c) => c.text).join(' ')),
      ret: { name: typeName(retType), ptr: d.ptr },
      params,
      hasError: n.hasError,
      cond,
      storedNames: [...stored],
      assignedMembers: [...assigned],
      body: ir,
    };
    if (this.tooDeep) this.facts.notes.push(`${this.facts.file}:${f.line}: ${f.name}(): nesting deeper than ${MAX_DEPTH} levels, inner part not analysed`);
    this.facts.functions.push(f);
  }

  private params(p: SyntaxNode | undefined): { name: string; type: TypeRef }[] {
    if (!p) return [];
    const out: { name: string; type: TypeRef }[] = [];
    for (const c of p.namedChildren) {
      if (c.type !== 'parameter_declaration') continue;
      const t = c.childForFieldName('type');
      const d = unwrapDeclarator(c.childForFieldName('declarator'));
      const tn = typeName(t);
      if (tn === 'void' && !d.name && d.ptr === 0) continue;
      out.push({ name: d.name, type: { name: tn, ptr: d.ptr, ...(d.array ? { array: true } : {}), ...(d.fn ? { fn: true } : {}) } });
    }
    return out;
  }

  private declaration(n: SyntaxNode, cond: string): void {
    const t = n.childForFieldName('type');
    this.scanTypes(t);
    const specs = n.children.filter((c) => c.type === 'storage_class_specifier').map((c) => c.text);
    const isStatic = specs.includes('static');
    const tn = typeName(t);
    for (const dn of n.childrenForFieldName('declarator')) {
      const d = unwrapDeclarator(dn);
      if (!d.name || d.params) continue; // prototypes say nothing new
      const type: TypeRef = { name: tn, ptr: d.ptr, ...(d.array ? { array: true } : {}) };
      const g: GlobalFact = { name: d.name, type, file: this.facts.file, line: line(dn), isStatic };
      this.facts.globals.push(g);
      if (d.init && d.init.type === 'initializer_list') this.table(d.name, tn, d.init, isStatic, cond, line(n));
    }
  }

  private table(name: string, type: string, init: SyntaxNode, isStatic: boolean, cond: string, ln: number): void {
    const t: TableFact = { name, type, file: this.facts.file, line: ln, isStatic, cond, members: {}, memberLines: {} };
    // members set under #ifdef inside the initializer count too. A stack in
    // reverse keeps document order: shift() on a 350,000-element initializer
    // moved the whole array each time and took half a minute.
    const pairs: SyntaxNode[] = [];
    const todo = init.namedChildren.reverse();
    while (todo.length) {
      const c = todo.pop()!;
      if (c.type === 'initializer_pair') pairs.push(c);
      else if (c.type.startsWith('preproc_')) {
        const kids = c.namedChildren;
        for (let i = kids.length - 1; i >= 0; i--) todo.push(kids[i]);
      }
    }
    for (const pair of pairs) {
      const designators = pair.childrenForFieldName('designator');
      const value = pair.childForFieldName('value');
      if (designators.length !== 1 || !value) continue;
      const des = designators[0];
      if (des.type !== 'field_designator') continue;
      const member = des.namedChildren[0]?.text ?? des.text.replace(/^\./, '');
      let v: SyntaxNode | null = value;
      if (v.type === 'pointer_expression' && v.child(0)?.type === '&') v = v.childForFieldName('argument');
      while (v && v.type === 'parenthesized_expression') v = v.namedChildren[0] ?? null;
      if (v && v.type === 'identifier') {
        t.members[member] = v.text;
        t.memberLines[member] = line(pair);
      } else if (v && v.type === 'call_expression') {
        const call = macroCall(v);
        if (call) {
          (t.macroMembers ??= {})[member] = call;
          t.memberLines[member] = line(pair);
        }
      }
    }
    if (Object.keys(t.members).length || t.macroMembers) this.facts.tables.push(t);
  }

  private typedef(n: SyntaxNode): void {
    const t = n.childForFieldName('type');
    this.scanTypes(t);
    const tn = typeName(t);
    for (const dn of n.childrenForFieldName('declarator')) {
      const d = unwrapDeclarator(dn);
      if (d.name) this.facts.typedefs.push({ name: d.name, type: { name: tn, ptr: d.ptr, ...(d.fn ? { fn: true } : {}) } } as TypedefFact);
    }
  }

  /** Record every struct/union with a body found inside a type (nested ones included). */
  private scanTypes(t: SyntaxNode | null): void {
    if (!t) return;
    if ((t.type === 'struct_specifier' || t.type === 'union_specifier') && t.childForFieldName('body')) {
      this.structSpec(t);
    }
  }

  /** depth: how many struct bodies this one sits in, bounded like every other descent */
  private structSpec(n: SyntaxNode, depth = 0): string {
    const body = n.childForFieldName('body');
    const kind = n.type === 'union_specifier' ? 'union' : 'struct';
    const nameNode = n.childForFieldName('name');
    const name = nameNode ? nameNode.text : `<anon@${line(n)}>`;
    if (!body) return `${kind} ${name}`;
    const s: StructFact = { name, kind, file: this.facts.file, line: line(n), fields: [] };
    this.fields(body, s.fields, depth);
    this.facts.structs.push(s);
    return `${kind} ${name}`;
  }

  private fields(body: SyntaxNode, out: FieldFact[], depth: number): void {
    if (depth > 16) return;
    for (const fd of body.namedChildren) {
      if (fd.type === 'preproc_ifdef' || fd.type === 'preproc_if' || fd.type === 'preproc_else' || fd.type === 'preproc_elif') {
        this.fields(fd, out, depth + 1);
        continue;
      }
      if (fd.type !== 'field_declaration') continue;
      const t = fd.childForFieldName('type');
      const decls = fd.childrenForFieldName('declarator');
      let tn = typeName(t);
      if (t && (t.type === 'struct_specifier' || t.type === 'union_specifier') && t.childForFieldName('body')) {
        if (decls.length === 0) {
          // anonymous member: its fields belong to the enclosing struct
          this.fields(t.childForFieldName('body')!, out, depth + 1);
          continue;
        }
        tn = this.structSpec(t, depth + 1);
      }
      for (const dn of decls) {
        const d = unwrapDeclarator(dn);
        if (!d.name) continue;
        out.push({ name: d.name, type: { name: tn, ptr: d.ptr, ...(d.array ? { array: true } : {}), ...(d.fn || d.params ? { fn: true } : {}) } });
      }
    }
  }

  private macro(n: SyntaxNode, cond = ''): void {
    const name = n.childForFieldName('name')?.text;
    if (!name) return;
    const params = (n.childForFieldName('parameters')?.namedChildren ?? []).map((p) => p.text);
    const value = n.childForFieldName('value');
    const body = value ? value.text : '';
    const calls: string[] = [];
    // each name once, then is a `(` next: linear. A pattern that ends in `\s*\(` backtracks through every
    // start inside a long run of name characters, quadratic (a 1 MB string in a macro ran for minutes)
    const re = /[A-Za-z_][A-Za-z0-9_]*(?:\s*##\s*[A-Za-z_][A-Za-z0-9_]*)*/g;
    const paren = /\s*\(/y;
    let m: RegExpExecArray | null;
    const kw = /^(if|while|for|switch|return|sizeof|typeof|__typeof__|do|defined|__builtin_\w+)$/;
    while ((m = re.exec(body))) {
      paren.lastIndex = re.lastIndex;
      if (!paren.test(body)) continue;
      const id = m[0].replace(/\s+/g, '');
      if (kw.test(id) || params.includes(id)) continue;
      calls.push(id);
    }
    const mf: MacroFact = { name, file: this.facts.file, line: line(n), params, calls, body: body.length > 2000 ? body.slice(0, 2000) : body };
    if (cond) mf.cond = cond;
    this.facts.macros.push(mf);
  }

  // ---- statements ------------------------------------------------------------

  private stmt(n: SyntaxNode, depth: number): Stmt {
    if (depth > MAX_DEPTH) { this.tooDeep = true; return EMPTY; }
    const d = depth + 1;
    switch (n.type) {
      case 'compound_statement':
      case 'translation_unit': {
        const body = this.stmts(n.namedChildren, d);
        return { k: 'block', body: this.cleanup ? desugarBlock(body, this.cleanup, this.released, n.endPosition.row + 1) : body };
      }
      case 'expression_statement': {
        const e = n.namedChildren[0];
        return e ? { k: 'expr', e: this.expr(e, d), line: line(n) } : EMPTY;
      }
      case 'declaration':
        return this.localDecl(n, d);
      case 'if_statement': {
        const c = n.childForFieldName('condition');
        const t = n.childForFieldName('consequence');
        const alt = n.childForFieldName('alternative');
        let f: Stmt | undefined;
        if (alt) {
          const inner = alt.type === 'else_clause' ? alt.namedChildren[0] : alt;
          if (inner) f = this.stmt(inner, d);
        }
        return { k: 'if', c: c ? this.expr(c, d) : seq([]), t: t ? this.stmt(t, d) : EMPTY, ...(f ? { f } : {}), line: line(n) };
      }
      case 'while_statement': {
        const c = n.childForFieldName('condition');
        const b = n.childForFieldName('body');
        const cond = c ? this.expr(c, d) : seq([]);
        const body = b ? this.stmt(b, d) : EMPTY;
        // the normalizer writes an iterator macro as `while`: the file's own text says which
        const word = this.cleanup ? /^\w+/.exec(this.orig.slice(n.startIndex, n.startIndex + 64)) : null;
        if (word && this.cleanup!.scopedGuards.includes(word[0])) {
          const g = scopedGuard(cond, body, line(n), n.endPosition.row + 1, this.cleanup!, word[0]);
          if (g) return g;
        }
        return { k: 'while', c: cond, body, line: line(n) };
      }
      case 'do_statement': {
        const c = n.childForFieldName('condition');
        const b = n.childForFieldName('body');
        return { k: 'while', doWhile: true, c: c ? this.expr(c, d) : seq([]), body: b ? this.stmt(b, d) : EMPTY, line: line(n) };
      }
      case 'for_statement': {
        const init = n.childForFieldName('initializer');
        const c = n.childForFieldName('condition');
        const u = n.childForFieldName('update');
        const b = n.childForFieldName('body');
        const out: Stmt = { k: 'for', body: b ? this.stmt(b, d) : EMPTY, line: line(n) };
        if (init) out.init = init.type === 'declaration' ? this.localDecl(init, d) : { k: 'expr', e: this.expr(init, d), line: line(init) };
        if (c) out.c = this.expr(c, d);
        if (u) out.step = this.expr(u, d);
        return out;
      }
      case 'switch_statement': {
        const c = n.childForFieldName('condition');
        const b = n.childForFieldName('body');
        return { k: 'switch', e: c ? this.expr(c, d) : seq([]), body: b ? this.stmt(b, d) : EMPTY, line: line(n) };
      }
      case 'case_statement': {
        // case labels own the statements after them in tree-sitter; flatten so
        // fall-through is just sequence
        const v = n.childForFieldName('value');
        const body: Stmt[] = [{ k: 'case', ...(v ? { value: this.expr(v, d) } : {}), line: line(n) }];
        const rest = n.namedChildren.filter((c) => !isSameNode(c, v));
        // a loop, not push(...): a spread passes every statement as an argument,
        // and 200,000 statements after one case label overflowed the stack
        for (const s of this.stmts(rest, d)) body.push(s);
        return { k: 'block', body };
      }
      case 'return_statement': {
        const e = n.namedChildren[0];
        return { k: 'return', ...(e ? { e: this.expr(e, d) } : {}), line: line(n) };
      }
      case 'goto_statement':
        return { k: 'goto', label: n.childForFieldName('label')?.text ?? '', line: line(n) };
      case 'labeled_statement': {
        const lab = n.childForFieldName('label');
        const rest = n.namedChildren.filter((c) => !isSameNode(c, lab));
        return { k: 'block', body: [{ k: 'label', name: lab?.text ?? '', line: line(n) }, ...this.stmts(rest, d)] };
      }
      case 'break_statement':
        return { k: 'break', line: line(n) };
      case 'continue_statement':
        return { k: 'continue', line: line(n) };
      case 'preproc_ifdef':
      case 'preproc_if':
      case 'preproc_elif':
      case 'preproc_elifdef': {
        const alt = n.childForFieldName('alternative');
        const condNode = n.childForFieldName('condition');
        const nameNode = n.childForFieldName('name');
        const inner = n.namedChildren.filter((c) => !isSameNode(c, alt) && !isSameNode(c, condNode) && !isSameNode(c, nameNode));
        const f = alt ? this.stmt(alt, d) : undefined;
        return { k: 'pp', cond: ppCond(n), t: { k: 'block', body: this.stmts(inner, d) }, ...(f ? { f } : {}), line: line(n) };
      }
      case 'preproc_else':
        return { k: 'block', body: this.stmts(n.namedChildren, d) };
      case 'attributed_statement':
        return { k: 'block', body: this.stmts(n.namedChildren.filter((c) => c.type !== 'attribute_declaration'), d) };
      case 'comment':
      case 'preproc_call':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_include':
      case 'type_definition':
        return EMPTY;
      case 'struct_specifier':
      case 'union_specifier':
        this.structSpec(n);
        return EMPTY;
      default: {
        // ERROR and anything unknown: keep whatever calls and accesses it holds, in order
        const items = n.namedChildren;
        if (items.length === 0) return EMPTY;
        if (looksLikeExpr(n)) return { k: 'expr', e: this.expr(n, d), line: line(n) };
        return { k: 'block', body: this.stmts(items, d) };
      }
    }
  }

  private stmts(nodes: SyntaxNode[], depth: number): Stmt[] {
    const out: Stmt[] = [];
    for (const c of nodes) {
      const s = this.stmt(c, depth);
      if (s.k !== 'empty') out.push(s);
    }
    return out;
  }

  private localDecl(n: SyntaxNode, depth: number): Stmt {
    const t = n.childForFieldName('type');
    this.scanTypes(t);
    const tn = typeName(t);
    const vars: LocalVar[] = [];
    for (const dn of n.childrenForFieldName('declarator')) {
      const d = unwrapDeclarator(dn);
      if (!d.name) continue;
      const v: LocalVar = { name: d.name, type: { name: tn, ptr: d.ptr, ...(d.array ? { array: true } : {}) }, line: line(dn) };
      if (d.init) v.init = this.expr(d.init, depth);
      vars.push(v);
    }
    const out: Stmt = { k: 'decl', vars, line: line(n) };
    if (this.cleanup && vars.length === 1) {
      // `T *p __free(name) = x;`: the attribute was blanked for the parser, the file still has it
      const m = freeAttributeRe(this.cleanup)?.exec(this.orig.slice(n.startIndex, n.endIndex));
      if (m) this.released.set(out, freeRelease(this.cleanup, m[2], vars[0].name, vars[0].line, col(n), m[1]));
    }
    return out;
  }

  // ---- expressions -----------------------------------------------------------

  private expr(n: SyntaxNode, depth: number): Expr {
    if (depth > MAX_DEPTH) { this.tooDeep = true; return seq([]); }
    const d = depth + 1;
    switch (n.type) {
      case 'call_expression': {
        const fn = n.childForFieldName('function');
        const args = n.childForFieldName('arguments');
        return {
          k: 'call',
          fn: fn ? this.expr(fn, d) : seq([]),
          args: args ? args.namedChildren.filter((a) => a.type !== 'comment').map((a) => this.expr(a, d)) : [],
          line: line(n), col: col(n),
        };
      }
      case 'identifier':
        return { k: 'id', name: n.text, line: line(n), col: col(n) };
      case 'true':
        return { k: 'num', value: 1, text: 'true' };
      case 'false':
      case 'null':
        return { k: 'num', value: 0, text: n.text };
      case 'number_literal':
        return { k: 'num', value: parseNum(n.text), text: n.text };
      case 'char_literal':
        return { k: 'num', value: null, text: n.text };
      case 'string_literal':
      case 'concatenated_string':
        return { k: 'str' };
      case 'field_expression': {
        const base = n.childForFieldName('argument');
        const f = n.childForFieldName('field');
        const op = n.childForFieldName('operator');
        return {
          k: 'field', base: base ? this.expr(base, d) : seq([]), name: f?.text ?? '', arrow: op?.type === '->',
          line: line(f ?? n), col: col(f ?? n),
        };
      }
      case 'subscript_expression': {
        const base = n.childForFieldName('argument');
        const idx = n.childForFieldName('index');
        return { k: 'index', base: base ? this.expr(base, d) : seq([]), index: idx ? this.expr(idx, d) : seq([]) };
      }
      case 'assignment_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        const op = n.childForFieldName('operator');
        const e: Expr = {
          k: 'assign', op: op?.type ?? '=', lhs: l ? this.expr(l, d) : seq([]), rhs: r ? this.expr(r, d) : seq([]),
          line: line(n), col: col(n),
        };
        if (this.stored && e.op === '=' && e.lhs.k === 'field' && e.rhs.k === 'id') this.stored.add(e.rhs.name);
        if (this.assigned && e.lhs.k === 'field') this.assigned.add(e.lhs.name);
        return e;
      }
      case 'update_expression': {
        const a = n.childForFieldName('argument');
        const op = n.childForFieldName('operator');
        return { k: 'update', op: op?.type ?? '++', e: a ? this.expr(a, d) : seq([]) };
      }
      case 'unary_expression':
      case 'pointer_expression': {
        const a = n.childForFieldName('argument');
        const op = n.childForFieldName('operator');
        return { k: 'unary', op: op?.type ?? '', e: a ? this.expr(a, d) : seq([]) };
      }
      case 'binary_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        const op = n.childForFieldName('operator');
        return { k: 'binary', op: op?.type ?? '', l: l ? this.expr(l, d) : seq([]), r: r ? this.expr(r, d) : seq([]) };
      }
      case 'conditional_expression': {
        const c = n.childForFieldName('condition');
        const t = n.childForFieldName('consequence');
        const f = n.childForFieldName('alternative');
        return {
          k: 'cond', c: c ? this.expr(c, d) : seq([]),
          // GNU `a ?: b` has no consequence: the condition is the value
          t: t ? this.expr(t, d) : seq([]), f: f ? this.expr(f, d) : seq([]),
        };
      }
      case 'cast_expression': {
        const t = n.childForFieldName('type');
        const v = n.childForFieldName('value');
        let type: TypeRef = { name: 'int', ptr: 0 };
        if (t) {
          const tt = t.childForFieldName('type');
          const dd = unwrapDeclarator(t.childForFieldName('declarator'));
          type = { name: typeName(tt), ptr: dd.ptr };
        }
        return { k: 'cast', type, e: v ? this.expr(v, d) : seq([]) };
      }
      case 'parenthesized_expression': {
        const inner = n.namedChildren.filter((c) => c.type !== 'comment');
        if (inner.length === 1) {
          if (inner[0].type === 'compound_statement') return { k: 'stmt', body: this.stmt(inner[0], d) };
          return this.expr(inner[0], d);
        }
        return seq(inner.map((c) => this.expr(c, d)));
      }
      case 'compound_statement':
        return { k: 'stmt', body: this.stmt(n, d) };
      case 'sizeof_expression':
      case 'alignof_expression':
      case 'offsetof_expression':
        return { k: 'sizeof' };
      case 'comment':
        return seq([]);
      default:
        return seq(n.namedChildren.filter((c) => c.type !== 'comment').map((c) => this.expr(c, d)));
    }
  }
}

function seq(items: Expr[]): Expr {
  return { k: 'seq', items };
}

function looksLikeExpr(n: SyntaxNode): boolean {
  return /_expression$|^identifier$|^call_expression$/.test(n.type);
}

/** tree-sitter-c reads `x != -1` with the sign inside the number literal. */
export function parseNum(t: string): number | null {
  const sign = t.startsWith('-') ? -1 : 1;
  const s = t.replace(/^[-+]/, '').replace(/[uUlL]+$/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return sign * Number.parseInt(s, 16);
  if (/^0[0-7]*$/.test(s)) return sign * Number.parseInt(s, 8) || 0;
  if (/^[1-9][0-9]*$/.test(s)) return sign * Number.parseInt(s, 10);
  return null;
}

function isSameNode(a: SyntaxNode | null | undefined, b: SyntaxNode | null | undefined): boolean {
  return !!a && !!b && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

function ppCond(n: SyntaxNode): string {
  switch (n.type) {
    case 'preproc_ifdef': {
      const name = n.childForFieldName('name')?.text ?? '';
      const neg = n.child(0)?.type === '#ifndef';
      return neg ? `!${name}` : name;
    }
    case 'preproc_if':
    case 'preproc_elif':
      return (n.childForFieldName('condition')?.text ?? '').replace(/\s+/g, ' ');
    default:
      return '';
  }
}

function negate(c: string): string {
  if (/^!\w+$/.test(c)) return c.slice(1);
  return /^[\w]+$/.test(c) ? `!${c}` : `!(${c})`;
}

/** A stand-in parent so the file-level walker can visit a branch's items like any container's. */
function container(items: SyntaxNode[]): SyntaxNode {
  return { namedChildren: items } as unknown as SyntaxNode;
}

/** `name(a, b)` with plain names as arguments: a macro that makes a name from them, in a table initializer. */
function macroCall(v: SyntaxNode): { macro: string; args: string[] } | null {
  const fn = v.childForFieldName('function');
  const argList = v.childForFieldName('arguments');
  if (!fn || fn.type !== 'identifier' || !argList) return null;
  const args: string[] = [];
  for (const a of argList.namedChildren) {
    if (a.type !== 'identifier') return null;
    args.push(a.text);
  }
  return { macro: fn.text, args };
}
