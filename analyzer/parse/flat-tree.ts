// A syntax tree copied out of tree-sitter into typed arrays in one cursor walk,
// with a small node view over it that answers what extract.ts asks.
//
// Why: every property of a tree-sitter node object is a native call that
// marshals the node through a shared buffer and allocates a JS object; walking
// a file that way cost three times the parse itself. The cursor walk makes
// four or five cheap native calls a node and nothing after it is native.
// Positions of anonymous tokens (`;`, `->`) are only read when the tree has
// errors: otherwise their text is their type, which is all the extractor uses.
// hasError is tree-sitter's own answer for the nodes the extractor asks
// (definitions and file-level items); a MISSING token can be hidden from the
// cursor, so no flag computed from visible nodes would match it everywhere.

import type Parser from 'tree-sitter';

const NAMED = 1;
const HAS_ERROR = 2;

interface NodeTypeInfo {
  type: string;
  named: boolean;
  fields?: Record<string, { types: { type: string; named: boolean }[] }>;
  children?: unknown;
  subtypes?: unknown;
}
interface Grammar {
  /** Node types that can have fielded children (the grammar's node-types.json)... */
  fielded: Set<string>;
  /** ...the anonymous tokens that can be a field (operators)... */
  anonFielded: Set<string>;
  /** ...and the named tokens, which never have children: no native call asks them for any. */
  namedLeaf: Set<string>;
}
/** read at the first flatten, when a parse has loaded tree-sitter-c anyway (parse-file.ts) */
let grammar: Grammar | null = null;
function grammarOf(): Grammar {
  const types = (require('tree-sitter-c') as { nodeTypeInfo: NodeTypeInfo[] }).nodeTypeInfo;
  return {
    fielded: new Set(types.filter((t) => t.named && t.fields && Object.keys(t.fields).length).map((t) => t.type)),
    anonFielded: new Set(types.flatMap((t) => Object.values(t.fields ?? {}).flatMap((f) => f.types)).filter((t) => !t.named).map((t) => t.type)),
    namedLeaf: new Set(types.filter((t) => t.named && !t.fields && !t.children && !t.subtypes).map((t) => t.type)),
  };
}
/** Nodes whose items are file-level ones, as extract.ts walks them, and the definitions: they get hasError. */
const FILE_LEVEL = new Set(['translation_unit', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif',
  'preproc_elifdef', 'linkage_specification', 'declaration_list', 'ERROR']);
/**
 * Nodes whose parts extract.ts never reads (it takes their text, or nothing):
 * their children are not walked. In headers they are many (#defines).
 */
const OPAQUE = new Set(['preproc_def', 'preproc_include', 'preproc_call', 'string_literal', 'concatenated_string',
  'char_literal', 'sizeof_expression', 'alignof_expression', 'offsetof_expression']);
/** ...and enum bodies outside functions (inside one, a value may hold a call that counts) */
const OPAQUE_OUTSIDE_FUNCTIONS = new Set(['enumerator_list']);

// per language, filled as ids are first seen
const typeNames: string[] = [];
const typeNamed: number[] = [];
const typeFielded: boolean[] = [];
/** the node never has a field (it is a token no field takes); only asked under FIELDED parents */
const typeNoField: boolean[] = [];
const typeLeaf: boolean[] = [];
const typeOpaque: boolean[] = [];
const typeOpaqueOutside: boolean[] = [];
const typeFunction: boolean[] = [];
const typeCompound: boolean[] = [];
const fieldIds = new Map<string, number>();
const fieldSeen: boolean[] = [];

export interface FlatTree {
  text: string;
  n: number;
  typeId: Uint16Array;
  fieldId: Uint16Array;
  flags: Uint8Array;
  /** -1 for anonymous tokens of an error-free tree */
  start: Int32Array;
  end: Int32Array;
  parent: Int32Array;
  firstChild: Int32Array;
  nextSibling: Int32Array;
  lineStarts: Int32Array;
  /** tree-sitter's own answer for the whole tree, MISSING tokens the cursor does not show included */
  hasError: boolean;
}

// The arrays are reused from file to file: a FlatTree is valid until the next flatten().
let cap = 0;
let typeId = new Uint16Array(0);
let fieldId = new Uint16Array(0);
let flags = new Uint8Array(0);
let start = new Int32Array(0);
let end = new Int32Array(0);
let parent = new Int32Array(0);
let firstChild = new Int32Array(0);
let nextSibling = new Int32Array(0);
let lastChild = new Int32Array(0);

function grow(need: number): void {
  if (need <= cap) return;
  let c = Math.max(1024, cap);
  while (c < need) c *= 2;
  const g16 = (a: Uint16Array) => { const b = new Uint16Array(c); b.set(a); return b; };
  const g8 = (a: Uint8Array) => { const b = new Uint8Array(c); b.set(a); return b; };
  const g32 = (a: Int32Array) => { const b = new Int32Array(c); b.set(a); return b; };
  typeId = g16(typeId); fieldId = g16(fieldId); flags = g8(flags);
  start = g32(start); end = g32(end); parent = g32(parent);
  firstChild = g32(firstChild); nextSibling = g32(nextSibling); lastChild = g32(lastChild);
  cap = c;
}

/**
 * With `bodies` false, a function definition's body is not walked: the
 * definition reads as one with an empty body (parse-file.ts, for files whose
 * functions the engine never enters).
 */
export function flatten(tree: Parser.Tree, text: string, bodies = true): FlatTree {
  // a tree with errors gets every position, so that the text of a zero-width
  // token is exact, and hasError
  const full = tree.rootNode.hasError;
  const c = tree.walk();
  const stack: number[] = [];
  /** function definitions open on the stack */
  let inFunction = 0;
  let n = 0;
  grow(Math.max(1024, text.length >> 2));
  for (;;) {
    if (n === cap) grow(n + 1);
    const i = n++;
    const tid = c.nodeTypeId;
    if (typeNames[tid] === undefined) {
      typeNames[tid] = c.nodeType;
      typeNamed[tid] = c.nodeIsNamed ? NAMED : 0;
      const g = (grammar ??= grammarOf());
      typeFielded[tid] = g.fielded.has(typeNames[tid]);
      typeNoField[tid] = !typeNamed[tid] && !g.anonFielded.has(typeNames[tid]);
      typeLeaf[tid] = !typeNamed[tid] || g.namedLeaf.has(typeNames[tid]);
      typeOpaque[tid] = OPAQUE.has(typeNames[tid]);
      typeOpaqueOutside[tid] = OPAQUE_OUTSIDE_FUNCTIONS.has(typeNames[tid]);
      typeFunction[tid] = typeNames[tid] === 'function_definition';
      typeCompound[tid] = typeNames[tid] === 'compound_statement';
    }
    const p = stack.length ? stack[stack.length - 1] : -1;
    typeId[i] = tid;
    parent[i] = p;
    firstChild[i] = -1;
    nextSibling[i] = -1;
    lastChild[i] = -1;
    let fl = typeNamed[tid];
    if (p >= 0) {
      if (lastChild[p] < 0) firstChild[p] = i;
      else nextSibling[lastChild[p]] = i;
      lastChild[p] = i;
      if (full || (typeFielded[typeId[p]] && !typeNoField[tid])) {
        const f = c.currentFieldId ?? 0;
        fieldId[i] = f;
        if (f && !fieldSeen[f]) {
          fieldSeen[f] = true;
          fieldIds.set(c.currentFieldName, f);
        }
      } else fieldId[i] = 0;
    } else fieldId[i] = 0;
    if (fl || full) {
      start[i] = c.startIndex;
      end[i] = c.endIndex;
    } else {
      start[i] = -1;
      end[i] = -1;
    }
    if (full && (typeNames[tid] === 'function_definition' || (p >= 0 && FILE_LEVEL.has(typeNames[typeId[p]])))) {
      if (c.currentNode.hasError) fl |= HAS_ERROR;
    }
    flags[i] = fl;
    // a definition's only compound statement is its body
    const walkIn = (full ? !typeOpaque[tid] : !typeLeaf[tid] && !typeOpaque[tid]) &&
      (bodies || !(typeCompound[tid] && p >= 0 && typeFunction[typeId[p]]));
    if (walkIn && !(typeOpaqueOutside[tid] && inFunction === 0) && c.gotoFirstChild()) {
      stack.push(i);
      if (typeFunction[tid]) inFunction++;
      continue;
    }
    let more = true;
    while (!c.gotoNextSibling()) {
      if (!stack.length) { more = false; break; }
      c.gotoParent();
      if (typeFunction[typeId[stack.pop()!]]) inFunction--;
    }
    if (!more) break;
  }
  return {
    text, n, typeId, fieldId, flags, start, end, parent, firstChild, nextSibling, lineStarts: lineStartsOf(text), hasError: full,
  };
}

function lineStartsOf(text: string): Int32Array {
  let count = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  const out = new Int32Array(count);
  let k = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out[k++] = i + 1;
  return out;
}

/** Row (0-based) of a character offset, as tree-sitter counts rows: by '\n'. */
function rowOf(t: FlatTree, index: number): number {
  const ls = t.lineStarts;
  let lo = 0;
  let hi = ls.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ls[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The part of tree-sitter's SyntaxNode that extraction uses, over a FlatTree. */
export class FlatNode {
  constructor(readonly tree: FlatTree, readonly index: number) {}

  get type(): string {
    return typeNames[this.tree.typeId[this.index]];
  }

  get startIndex(): number {
    const s = this.tree.start[this.index];
    return s >= 0 ? s : this.anonymousStart();
  }

  get endIndex(): number {
    const e = this.tree.end[this.index];
    return e >= 0 ? e : this.anonymousStart() + this.type.length;
  }

  get text(): string {
    const t = this.tree;
    if (t.start[this.index] < 0) return this.type;
    return t.text.substring(t.start[this.index], t.end[this.index]);
  }

  get startPosition(): { row: number; column: number } {
    const s = this.startIndex;
    const row = rowOf(this.tree, s);
    return { row, column: s - this.tree.lineStarts[row] };
  }

  get endPosition(): { row: number; column: number } {
    const e = this.endIndex;
    const row = rowOf(this.tree, e);
    return { row, column: e - this.tree.lineStarts[row] };
  }

  /** exact for definitions and file-level items (see above), false elsewhere */
  get hasError(): boolean {
    return (this.tree.flags[this.index] & HAS_ERROR) !== 0;
  }

  get children(): FlatNode[] {
    const out: FlatNode[] = [];
    for (let k = this.tree.firstChild[this.index]; k >= 0; k = this.tree.nextSibling[k]) out.push(new FlatNode(this.tree, k));
    return out;
  }

  get namedChildren(): FlatNode[] {
    const t = this.tree;
    const out: FlatNode[] = [];
    for (let k = t.firstChild[this.index]; k >= 0; k = t.nextSibling[k]) if (t.flags[k] & NAMED) out.push(new FlatNode(t, k));
    return out;
  }

  child(i: number): FlatNode | null {
    let k = this.tree.firstChild[this.index];
    for (let j = 0; k >= 0 && j < i; j++) k = this.tree.nextSibling[k];
    return k >= 0 ? new FlatNode(this.tree, k) : null;
  }

  childForFieldName(name: string): FlatNode | null {
    const f = fieldIds.get(name);
    if (f === undefined) return null;
    const t = this.tree;
    for (let k = t.firstChild[this.index]; k >= 0; k = t.nextSibling[k]) if (t.fieldId[k] === f) return new FlatNode(t, k);
    return null;
  }

  childrenForFieldName(name: string): FlatNode[] {
    const f = fieldIds.get(name);
    const out: FlatNode[] = [];
    if (f === undefined) return out;
    const t = this.tree;
    for (let k = t.firstChild[this.index]; k >= 0; k = t.nextSibling[k]) if (t.fieldId[k] === f) out.push(new FlatNode(t, k));
    return out;
  }

  /** Only the extractor's own reads reach here, and it reads no token's position. */
  private anonymousStart(): number {
    throw new Error(`position of a ${this.type} token was not recorded`);
  }
}

export function rootOf(t: FlatTree): FlatNode {
  return new FlatNode(t, 0);
}
