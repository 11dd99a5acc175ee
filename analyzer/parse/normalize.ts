// Rewrites kernel-C idioms that tree-sitter-c cannot read into plain C of the
// same length. Every rewrite replaces characters one for one and never touches
// a newline, so byte offsets, lines and columns of the parse are those of the
// file on disk and no position mapping is needed anywhere downstream.
//
// One linear pass over a token stream does everything. Only the blanking of
// conditional directives and dropped branches is collected as ranges and
// applied at the end: whether a group cuts through a statement is known only
// at its #endif. Which names get which treatment is data (rules/kernel-c.json):
//
//   blank              `__init`                       → spaces
//   blankWithArgs      `__printf(1, 2)`               → spaces
//   blankWithComma     `"=r"(x), ASM_CALL_CONSTRAINT` → `"=r"(x)                     `
//   aliases            `__alignof__(x)`               → `sizeof     (x)`
//   stringMacros       `_ASM_EXTABLE(1b, %l[f])`      → `"                     "`,
//                      `asm(KVM_HYPERCALL : ...)`     → `asm("           " : ...)`
//   opaqueArgMacros    `asm_safe("x", , [a] "m"(b))`  → `asm_safe(                 )`
//   declaratorMacros   `DECLARE_BITMAP(map, N);`      → `unsigned long  map[ N];`
//                      `DEFINE_PER_CPU(u64, x);`      → `               u64  x ;`
//   fileScopeMacroPatterns  `static DEFINE_MUTEX(m);` at file scope or in a struct body → spaces
//   iteratorPatterns   `list_for_each_entry(a, b, c) {` → `while              (a, b, c) {`
//   typeArgMacros, typeArgOnlyMacros  `min_t(unsigned int, a, b)` → `min_t(unsigned_int, a, b)`,
//                      `container_of(p, struct vcpu_vmx, vcpu)` → `container_of(p, struct_vcpu_vmx, vcpu)`,
//                      `kmalloc_objs(struct evtchnfd *, n)` → `kmalloc_objs(struct_evtchnfd__, n)` (a star is one
//                      pointer more)
//
// and, for C itself rather than any macro list:
//   - a macro invocation alone on its line(s), without `;`, at file scope or in
//     a struct body (`FOP_SETCC(seto)`, `BUILD_KVM_GPR_ACCESSORS(rax, RAX)`), or a
//     bare macro name alone in a conditional branch there → spaces
//   - GNU case ranges `case A ... B:` → `case A |0& B:`, which is A: `&` binds
//     tighter than `|` and looser than the arithmetic a bound is usually made of
//   - pp-numbers that are no C number (`F(3DNOW)`, pasted by the macro) → `F(_DNOW)`
//   - GNU named variadic macro parameters `#define X(args...)` → `#define X(args   )`
//   - a variadic macro's empty last argument `f(a, F(B), )` → `f(a, F(B)  )`
//   - a macro that expands to case labels, `VMCS12_CASE64(X):` at a statement's start
//     → `case         (X):` (no C statement starts `f(x):`)
//   - a brace-less iterator body may open with `(`: `kvm_for_each_vcpu(...) (void)f(v);`
//   - `offsetof(T, a.b[i])` → `offsetof(T, a_b   )` (tree-sitter wants one identifier)
//   - `#if`/`#ifdef` groups that cut through a statement or an expression
//     (`} else\n#endif`, `a |\n#ifdef X\n b |\n#endif`, a label before `#ifdef`):
//     the directives become blank lines and the first branch is kept (in an
//     initializer list every branch is kept, so a table has all its members)
//   - `#define`/`#include` inside an initializer, enumerator or argument list → blank
//   - `#if 0`, `#ifdef __ASSEMBLY__` (undefinedMacros): the dead side and the directives → blank

import { ownCopy } from '../util/own-copy';
import type { CleanupConfig } from './cleanup';

export interface FrontendConfig {
  /** identifiers replaced by blanks (annotations such as __init) */
  blank: string[];
  /** identifiers blanked together with the parenthesised arguments after them */
  blankWithArgs: string[];
  /**
   * regexes: macro invocations at file scope or in a struct body that are blanked
   * whole, `;` and leading storage words (`static`) included
   */
  fileScopeMacroPatterns: string[];
  /** regexes: iterator macros `name(args) stmt` rewritten as `while (args) stmt` */
  iteratorPatterns: string[];
  /** macros with a type argument whose value has that type: `container_of(p, struct t, m)` */
  typeArgMacros: Record<string, { typeArg: number; pointer?: boolean }>;
  /** macros with a type argument whose value is not of that type: `sizeof_field(struct t, m)` */
  typeArgOnlyMacros?: Record<string, { typeArg: number }>;
  /** identifiers (asm operand macros) blanked together with the comma that joins them to the list */
  blankWithComma?: string[];
  /** macros that expand to a string literal (asm text); the invocation, or the name alone, becomes one */
  stringMacros?: string[];
  /** function-like macros whose arguments are not C (asm operands): they are blanked, the name stays */
  opaqueArgMacros?: string[];
  /** identifier → an identifier or keyword no longer than it, padded with blanks */
  aliases?: Record<string, string>;
  /**
   * macros that declare a variable or member. With `type`: `M(name, n)` becomes
   * `type name[n]` (DECLARE_BITMAP); without: `M(T, name)` becomes `T name` (DEFINE_PER_CPU).
   */
  declaratorMacros?: Record<string, { type?: string }>;
  /** macros never defined when C is compiled (`__ASSEMBLY__`): what they guard is dropped */
  undefinedMacros?: string[];
  /** scope-based cleanup (parse/cleanup.ts): read by the extractor, which the normalizer hands it to */
  cleanup?: CleanupConfig;
}

export interface Normalizer {
  (text: string): string;
  /** the pack's cleanup macros, for the extraction that follows this normalization */
  readonly cleanup?: CleanupConfig;
}

const enum Ch {
  Tab = 9, Nl = 10, Cr = 13, Sp = 32, Quote = 34, Hash = 35, Apos = 39, LParen = 40, RParen = 41, Star = 42,
  Plus = 43, Comma = 44, Minus = 45, Dot = 46, Slash = 47, Zero = 48, Colon = 58, Semi = 59, Eq = 61,
  LBracket = 91, Backslash = 92, RBracket = 93, Underscore = 95, LBrace = 123, RBrace = 125,
}

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}
function isIdChar(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isSpace(c: number): boolean {
  return c === Ch.Sp || c === Ch.Tab || c === Ch.Nl || c === Ch.Cr || c === 11 || c === 12;
}

// ---- tokens -----------------------------------------------------------------

const enum K { Id = 1, Num, Str, Punct, Dir }
/** directive kinds */
const enum D { None = 0, If, Elif, Else, Endif, Define, Other }

/**
 * The token stream: comments and blanks are stepped over, string and
 * character literals and whole preprocessor directives are single tokens.
 * Parallel arrays, not objects: a 10 MB file has millions of tokens.
 */
interface Toks {
  n: number;
  start: Int32Array;
  end: Int32Array;
  kind: Uint8Array;
  /** Punct: its character (a `...` is Dot with end - start === 3); Str: its quote; Dir: its D kind */
  ch: Uint16Array;
  /** for ( [ {: index of the matching closer, -1 if none; for closers: -1 */
  match: Int32Array;
}

function tokenize(s: string): Toks {
  const n = s.length;
  let cap = Math.max(64, n >> 2);
  let start = new Int32Array(cap);
  let end = new Int32Array(cap);
  let kind = new Uint8Array(cap);
  let ch = new Uint16Array(cap);
  let m = 0;
  let i = 0;
  let lineStart = true;
  const push = (a: number, b: number, k: K, c: number) => {
    if (m === cap) {
      cap *= 2;
      const s2 = new Int32Array(cap); s2.set(start); start = s2;
      const e2 = new Int32Array(cap); e2.set(end); end = e2;
      const k2 = new Uint8Array(cap); k2.set(kind); kind = k2;
      const c2 = new Uint16Array(cap); c2.set(ch); ch = c2;
    }
    start[m] = a; end[m] = b; kind[m] = k; ch[m] = c; m++;
  };
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === Ch.Nl) { lineStart = true; i++; continue; }
    if (isSpace(c)) { i++; continue; }
    if (c === Ch.Backslash && (s.charCodeAt(i + 1) === Ch.Nl || (s.charCodeAt(i + 1) === Ch.Cr && s.charCodeAt(i + 2) === Ch.Nl))) {
      i += 2; // a line continuation outside a directive joins lines, nothing more
      continue;
    }
    if (c === Ch.Slash && s.charCodeAt(i + 1) === Ch.Star) {
      const e = s.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === Ch.Slash && s.charCodeAt(i + 1) === Ch.Slash) {
      const e = s.indexOf('\n', i);
      i = e < 0 ? n : e;
      continue;
    }
    if (c === Ch.Hash && lineStart) {
      // a directive runs to the first newline not escaped by a backslash
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === Ch.Nl && s.charCodeAt(j - 1) !== Ch.Backslash && !(s.charCodeAt(j - 1) === Ch.Cr && s.charCodeAt(j - 2) === Ch.Backslash)) break;
        if (d === Ch.Slash && s.charCodeAt(j + 1) === Ch.Star) {
          const e = s.indexOf('*/', j + 2);
          j = e < 0 ? n : e + 2;
          continue;
        }
        j++;
      }
      push(i, j, K.Dir, directiveKind(s, i + 1, j));
      i = j;
      continue;
    }
    lineStart = false;
    if (c === Ch.Quote || c === Ch.Apos) {
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === Ch.Backslash) { j += 2; continue; }
        if (d === c || d === Ch.Nl) break;
        j++;
      }
      const e = Math.min(j + 1, n);
      push(i, e, K.Str, c);
      i = e;
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdChar(s.charCodeAt(j))) j++;
      push(i, j, K.Id, c);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === Ch.Dot && isDigit(s.charCodeAt(i + 1)))) {
      // a preprocessing number: digits, letters, `_`, `.`, and a sign after an exponent
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === Ch.Dot && s.charCodeAt(j + 1) === Ch.Dot) break; // `1...5`: a case range
        if (isIdChar(d) || d === Ch.Dot) { j++; continue; }
        if ((d === Ch.Plus || d === Ch.Minus) && /[eEpP]/.test(s[j - 1])) { j++; continue; }
        break;
      }
      push(i, j, K.Num, c);
      i = j;
      continue;
    }
    if (c === Ch.Dot && s.charCodeAt(i + 1) === Ch.Dot && s.charCodeAt(i + 2) === Ch.Dot) {
      push(i, i + 3, K.Punct, Ch.Dot);
      i += 3;
      continue;
    }
    push(i, i + 1, K.Punct, c);
    i++;
  }
  // brackets matched over the whole stream, directives ignored
  const match = new Int32Array(m).fill(-1);
  const stack: number[] = [];
  for (let k = 0; k < m; k++) {
    if (kind[k] !== K.Punct) continue;
    const c = ch[k];
    if (c === Ch.LParen || c === Ch.LBracket || c === Ch.LBrace) stack.push(k);
    else if (c === Ch.RParen || c === Ch.RBracket || c === Ch.RBrace) {
      const open = stack.pop();
      if (open !== undefined) match[open] = k;
    }
  }
  return { n: m, start, end, kind, ch, match };
}

function directiveKind(s: string, from: number, to: number): D {
  let i = from;
  while (i < to && (s.charCodeAt(i) === Ch.Sp || s.charCodeAt(i) === Ch.Tab)) i++;
  let j = i;
  while (j < to && isIdChar(s.charCodeAt(j))) j++;
  switch (s.slice(i, j)) {
    case 'if': case 'ifdef': case 'ifndef': return D.If;
    case 'elif': case 'elifdef': case 'elifndef': return D.Elif;
    case 'else': return D.Else;
    case 'endif': return D.Endif;
    case 'define': return D.Define;
    default: return D.Other;
  }
}

/** A pp-number that is a C integer or floating constant (tree-sitter reads those). */
const C_NUMBER = new RegExp(
  '^(?:' +
    "(?:0[xX][0-9a-fA-F']+|0[bB][01']+|[0-9][0-9']*)(?:[uU](?:ll|LL|l|L|z|Z)?|(?:ll|LL|l|L|z|Z)[uU]?)?" +
    '|(?:[0-9]*\\.[0-9]+|[0-9]+\\.?)(?:[eE][+-]?[0-9]+)?[fFlL]?' +
    '|[0-9]+[eE][+-]?[0-9]+[fFlL]?' +
    '|0[xX][0-9a-fA-F]*\\.?[0-9a-fA-F]*[pP][+-]?[0-9]+[fFlL]?' +
  ')$',
);

// ---- contexts ---------------------------------------------------------------

/** what the innermost open bracket is */
const enum X { Paren = 1, Bracket, Block, Agg, Init }

/** Open brackets as an immutable list, so a state can be saved and restored in O(1). */
interface Ctx {
  kind: X;
  parent: Ctx | null;
  depth: number;
  braces: number;
  /** Paren: opened after a name, `)`, `]` (a call, a declarator, a control statement) */
  callLike: boolean;
  /** inside the arguments of a macro with a type argument (`container_of(`) */
  typeArgs: boolean;
}

interface State {
  ctx: Ctx | null;
  /** index of the last significant token (not a directive, not blanked) */
  lastSig: number;
  /** the last significant token ends a statement or declaration (`;`, `{`, `}`, a case label) */
  boundary: boolean;
  inCase: boolean;
  /** first significant token of the current statement */
  stmtStart: number;
  /** the last `)` closed a call-like parenthesis */
  closedCallLike: boolean;
}

interface Branch {
  dir: number;
  firstSig: number;
  lastSig: number;
  endBoundary: boolean;
  d0: number;
  minD: number;
  endD: number;
}

interface Group {
  /** the condition was decided (`#if 0`, `#ifdef __ASSEMBLY__`): no analysis, the dead side is gone */
  decided: boolean;
  /** the branch this group sits in */
  outer: Branch | null;
  dirs: number[];
  atIf: State;
  afterFirst: State | null;
  branches: Branch[];
}

const C_KEYWORDS = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern', 'float',
  'for', 'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed', 'sizeof', 'static',
  'struct', 'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while', '_Bool', 'bool',
]);
const STORAGE_WORDS = new Set(['static', 'extern', 'const', 'volatile', 'inline', '__inline', '__inline__']);

export function makeNormalizer(cfg: FrontendConfig): Normalizer {
  const blank = new Set(cfg.blank);
  const blankArgs = new Set(cfg.blankWithArgs);
  const blankComma = new Set(cfg.blankWithComma ?? []);
  const stringMacros = new Set(cfg.stringMacros ?? []);
  const opaque = new Set(cfg.opaqueArgMacros ?? []);
  const aliases = new Map(Object.entries(cfg.aliases ?? {}).filter(([k, v]) => v.length <= k.length));
  const undef = new Set(cfg.undefinedMacros ?? []);
  const declMacros = new Map(Object.entries(cfg.declaratorMacros ?? {}));
  const typeArgAt = new Map<string, number>();
  for (const [k, v] of Object.entries(cfg.typeArgOnlyMacros ?? {})) typeArgAt.set(k, v.typeArg);
  for (const [k, v] of Object.entries(cfg.typeArgMacros)) typeArgAt.set(k, v.typeArg);
  const fileScope = cfg.fileScopeMacroPatterns.map((p) => new RegExp(p));
  const iter = cfg.iteratorPatterns.map((p) => new RegExp(p));
  // a name's verdict never changes: regexes run once per distinct name. The
  // key is a copy: the name is a slice of the file, and a memo that kept the
  // slice kept every file that brought a new name (a whole kernel's worth)
  const fileScopeMemo = new Map<string, boolean>();
  const iterMemo = new Map<string, boolean>();
  const isFileScope = (name: string) => {
    let v = fileScopeMemo.get(name);
    if (v === undefined) { v = fileScope.some((r) => r.test(name)); fileScopeMemo.set(ownCopy(name), v); }
    return v;
  };
  const isIter = (name: string) => {
    let v = iterMemo.get(name);
    if (v === undefined) { v = iter.some((r) => r.test(name)); iterMemo.set(ownCopy(name), v); }
    return v;
  };

  const normalize = function normalize(s: string): string {
    const T = tokenize(s);
    const { start, end, kind, ch, match } = T;
    // one character per source character: latin1 bytes for file text, UTF-16 otherwise
    // eslint-disable-next-line no-control-regex
    const wide = /[^\u0000-\u00ff]/.test(s);
    let buf: Uint8Array | Uint16Array;
    if (wide) {
      buf = new Uint16Array(s.length);
      for (let i = 0; i < s.length; i++) buf[i] = s.charCodeAt(i);
    } else buf = Buffer.from(s, 'latin1');

    const blankRange = (a: number, b: number) => {
      for (let i = a; i < b; i++) {
        const c = buf[i];
        if (c !== Ch.Nl && c !== Ch.Cr) buf[i] = Ch.Sp;
      }
    };
    const write = (at: number, text: string) => {
      for (let i = 0; i < text.length; i++) buf[at + i] = text.charCodeAt(i);
    };
    const text = (k: number) => s.slice(start[k], end[k]);
    const isP = (k: number, c: number) => k >= 0 && k < T.n && kind[k] === K.Punct && ch[k] === c && end[k] - start[k] === 1;
    const isWord = (k: number, w: string) => k >= 0 && k < T.n && kind[k] === K.Id && end[k] - start[k] === w.length && s.startsWith(w, start[k]);
    const newlineBetween = (a: number, b: number) => {
      for (let i = a; i < b; i++) if (s.charCodeAt(i) === Ch.Nl) return true;
      return false;
    };
    /** top-level commas of the bracket opened at `open` */
    const commasOf = (open: number): number[] => {
      const out: number[] = [];
      const close = match[open];
      for (let j = open + 1; j < close; j++) {
        if (kind[j] !== K.Punct) continue;
        const c = ch[j];
        if ((c === Ch.LParen || c === Ch.LBracket || c === Ch.LBrace) && match[j] > j) j = match[j];
        else if (c === Ch.Comma) out.push(j);
      }
      return out;
    };

    const dead: number[] = []; // [from, to) character ranges blanked at the end

    let st: State = { ctx: null, lastSig: -1, boundary: true, inCase: false, stmtStart: -1, closedCallLike: false };
    let afterDirective = true;
    const groups: Group[] = [];
    const pendingFirst: Branch[] = [];
    /** the innermost branch of an undecided group */
    let curBranch: Branch | null = null;
    /** skipping a dead branch (`branch`, up to its #else) or the rest of a decided group (`rest`) */
    let skip: { depth: number; from: number; rest: boolean } | null = null;
    const depthOf = (c: Ctx | null) => (c ? c.depth : 0);
    const bracesOf = (c: Ctx | null) => (c ? c.braces : 0);

    let typeArgParen = false; // the next `(` opens a type-argument macro's arguments
    const push = (k: X, callLike: boolean) => {
      const p = st.ctx;
      const typeArgs = (p !== null && p.typeArgs) || (k === X.Paren && typeArgParen);
      typeArgParen = false;
      st.ctx = {
        kind: k, parent: p, depth: depthOf(p) + 1, braces: bracesOf(p) + (k === X.Block || k === X.Agg || k === X.Init ? 1 : 0),
        callLike, typeArgs,
      };
    };
    const pop = () => {
      const d = depthOf(st.ctx) - 1;
      if (curBranch && d < curBranch.minD) curBranch.minD = d;
      if (st.ctx) {
        st.closedCallLike = st.ctx.kind === X.Paren && st.ctx.callLike;
        st.ctx = st.ctx.parent;
      }
    };
    /** k is significant; `bound` says whether it ends a statement */
    const sig = (k: number, bound: boolean) => {
      if (st.boundary) st.stmtStart = k;
      st.lastSig = k;
      st.boundary = bound;
      afterDirective = false;
      while (pendingFirst.length) pendingFirst.pop()!.firstSig = k;
    };
    /** Only storage words (`static`) between the statement's start and k. */
    const onlyStorageBefore = (k: number): number => {
      const from = st.boundary ? k : st.stmtStart;
      if (from < 0 || k - from > 6) return -1;
      for (let j = from; j < k; j++) {
        if (kind[j] !== K.Id || !STORAGE_WORDS.has(text(j))) {
          if (kind[j] === K.Id && blank.has(text(j))) continue;
          return -1;
        }
      }
      return from;
    };
    const exprCtx = (c: Ctx | null) => !!c && (c.kind === X.Paren || c.kind === X.Bracket || c.kind === X.Init);
    // one object shape for every state, so the code reading them stays monomorphic
    const copy = (x: State): State => ({
      ctx: x.ctx, lastSig: x.lastSig, boundary: x.boundary, inCase: x.inCase, stmtStart: x.stmtStart, closedCallLike: x.closedCallLike,
    });

    const openBranch = (g: Group, dir: number) => {
      const d = depthOf(st.ctx);
      const b: Branch = { dir, firstSig: -1, lastSig: -1, endBoundary: true, d0: d, minD: d, endD: 0 };
      g.branches.push(b);
      pendingFirst.push(b);
      curBranch = b;
    };
    const closeBranch = (g: Group) => {
      const b = g.branches[g.branches.length - 1];
      if (pendingFirst.length && pendingFirst[pendingFirst.length - 1] === b) pendingFirst.pop();
      b.lastSig = st.lastSig > b.dir ? st.lastSig : -1;
      b.endBoundary = st.boundary;
      b.endD = depthOf(st.ctx) - b.d0;
      if (g.outer && b.minD < g.outer.minD) g.outer.minD = b.minD;
      curBranch = g.outer;
    };
    const endGroup = (g: Group, endif: number) => {
      const atIf = g.atIf;
      const inInit = !!atIf.ctx && atIf.ctx.kind === X.Init;
      const balanced = (b: Branch) => b.minD >= b.d0 && b.endD === 0;
      const badBranch = (b: Branch) =>
        !balanced(b) || isWord(b.firstSig, 'else') || (b.lastSig >= 0 && !b.endBoundary);
      const broken = exprCtx(atIf.ctx) || !atIf.boundary || g.branches.some(badBranch);
      const afterLast = st;
      if (g.afterFirst) st = g.afterFirst;
      if (!broken) return;
      for (const d of g.dirs) dead.push(start[d], end[d]);
      const keepAll = inInit && g.branches.every((b, i) =>
        balanced(b) && (i === g.branches.length - 1 || b.lastSig < 0 || isP(b.lastSig, Ch.Comma)));
      if (keepAll) { st = afterLast; return; }
      if (g.branches.length > 1) dead.push(start[g.branches[1].dir], start[endif]);
    };

    const openGroup = (k: number) => {
      const v = decide(k);
      const g: Group = { decided: v !== undefined, outer: curBranch, dirs: [k], atIf: copy(st), afterFirst: null, branches: [] };
      groups.push(g);
      if (v === undefined) openBranch(g, k);
      else if (v) dead.push(start[k], end[k]);
      else skip = { depth: 1, from: start[k], rest: false };
    };

    /** in a dead region only the nesting of conditionals matters */
    const skipped = (k: number) => {
      const sk = skip!;
      const dk = ch[k] as D;
      if (dk === D.If) { sk.depth++; return; }
      if (dk === D.Endif) {
        if (--sk.depth > 0) return;
        dead.push(sk.from, end[k]);
        skip = null;
        groups.pop();
        return;
      }
      if ((dk !== D.Else && dk !== D.Elif) || sk.depth !== 1 || sk.rest) return;
      skip = null;
      if (dk === D.Else) {
        dead.push(sk.from, end[k]);
        return;
      }
      // `#if 0 ... #elif X`: what follows is `#if X`
      dead.push(sk.from, start[k]);
      groups.pop();
      const at = start[k] + s.slice(start[k], end[k]).indexOf('elif');
      write(at, 'if  ');
      openGroup(k);
    };

    const directive = (k: number) => {
      const dk = ch[k] as D;
      afterDirective = true;
      if (dk === D.If) {
        openGroup(k);
        return;
      }
      const top = groups.length ? groups[groups.length - 1] : null;
      if (top && top.decided && dk !== D.Define && dk !== D.Other) {
        // the live branch of a decided group is over: the rest is dead
        if (dk === D.Endif) { dead.push(start[k], end[k]); groups.pop(); } else skip = { depth: 1, from: start[k], rest: true };
        return;
      }
      if (dk === D.Elif || dk === D.Else) {
        const g = groups[groups.length - 1];
        if (!g) return;
        closeBranch(g);
        if (!g.afterFirst) g.afterFirst = copy(st);
        g.dirs.push(k);
        st = copy(g.atIf);
        openBranch(g, k);
        return;
      }
      if (dk === D.Endif) {
        const g = groups[groups.length - 1];
        if (!g) return;
        closeBranch(g);
        groups.pop();
        g.dirs.push(k);
        endGroup(g, k);
        return;
      }
      if (exprCtx(st.ctx)) {
        // tree-sitter has no #define or #include inside an expression or initializer
        dead.push(start[k], end[k]);
        return;
      }
      if (dk === D.Define) {
        namedVariadic(k);
        defineComments(k);
      }
    };

    /**
     * tree-sitter ends a macro body at a comment, so `#define X a /* b *\/ \` + more
     * lines reads the rest as code: comments in a #define become blanks, a line
     * break inside one gets the backslash that keeps the directive going.
     */
    const defineComments = (k: number) => {
      const a = start[k];
      const b = end[k];
      let i = a;
      while (i < b) {
        const c = s.charCodeAt(i);
        if (c === Ch.Quote || c === Ch.Apos) {
          i++;
          while (i < b && s.charCodeAt(i) !== c && s.charCodeAt(i) !== Ch.Nl) i += s.charCodeAt(i) === Ch.Backslash ? 2 : 1;
          i++;
          continue;
        }
        if (c === Ch.Slash && s.charCodeAt(i + 1) === Ch.Star) {
          let e = s.indexOf('*/', i + 2);
          e = e < 0 || e + 2 > b ? b : e + 2;
          blankRange(i, e);
          for (let j = i + 1; j < e; j++) {
            if (s.charCodeAt(j) !== Ch.Nl) continue;
            const at = s.charCodeAt(j - 1) === Ch.Cr ? j - 2 : j - 1;
            if (at >= i) buf[at] = Ch.Backslash;
          }
          i = e;
          continue;
        }
        i++;
      }
    };

    /**
     * A condition known without a configuration: `#if 0`, `#if 1`, and tests of
     * the macros the pack says are never defined for C (`__ASSEMBLY__`).
     */
    function decide(k: number): boolean | undefined {
      const d = s.slice(start[k], end[k]).replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*/g, '').replace(/\\\r?\n/g, ' ');
      const m = /^#\s*(ifdef|ifndef|if|elif)\b\s*([\s\S]*?)\s*$/.exec(d);
      if (!m) return undefined;
      const cond = m[2];
      if (m[1] === 'ifdef' || m[1] === 'ifndef') return undef.has(cond) ? m[1] === 'ifndef' : undefined;
      if (cond === '0') return false;
      if (cond === '1') return true;
      const dm = /^(!?)\s*defined\s*(?:\(\s*([A-Za-z_]\w*)\s*\)|([A-Za-z_]\w*))$/.exec(cond);
      if (dm && undef.has(dm[2] ?? dm[3])) return dm[1] === '!';
      return undefined;
    }

    /** `#define X(args...)`: GNU named variadic parameter, read as `args` */
    function namedVariadic(k: number): void {
      const d = s.slice(start[k], end[k]);
      const m = /^#\s*define\s+[A-Za-z_$][\w$]*\(/.exec(d);
      if (!m) return;
      const close = d.indexOf(')', m[0].length);
      if (close < 0) return;
      const params = d.slice(m[0].length, close);
      const re = /([A-Za-z_$][\w$]*)\s*\.\.\./g;
      let mm: RegExpExecArray | null;
      while ((mm = re.exec(params))) {
        const dots = start[k] + m[0].length + mm.index + mm[0].length - 3;
        blankRange(dots, dots + 3);
      }
    }

    for (let k = 0; k < T.n; k++) {
      const kk = kind[k];
      if (skip) { if (kk === K.Dir) skipped(k); continue; }
      if (kk === K.Dir) { directive(k); continue; }
      if (kk === K.Punct) {
        const c = ch[k];
        const len = end[k] - start[k];
        if (len === 3) {
          // GNU case range `case A ... B:` becomes `case A |0& B:`
          if (st.inCase) write(start[k], '|0&');
          sig(k, false);
          continue;
        }
        switch (c) {
          case Ch.LParen: {
            const p = st.lastSig;
            const callLike = p >= 0 && ((kind[p] === K.Id && !isWord(p, 'return')) || isP(p, Ch.RParen) || isP(p, Ch.RBracket));
            sig(k, false);
            push(X.Paren, callLike);
            continue;
          }
          case Ch.LBracket:
            sig(k, false);
            push(X.Bracket, false);
            continue;
          case Ch.LBrace: {
            const x = braceKind(st.lastSig);
            sig(k, true);
            push(x, false);
            continue;
          }
          case Ch.RParen: case Ch.RBracket:
            // `kvm_cpu_cap_init(leaf, F(A), F(B), )`: a variadic macro's empty last argument
            if (c === Ch.RParen && st.ctx && st.ctx.kind === X.Paren && st.ctx.callLike && isP(st.lastSig, Ch.Comma)) {
              blankRange(start[st.lastSig], end[st.lastSig]);
            }
            pop();
            sig(k, false);
            continue;
          case Ch.RBrace:
            pop();
            sig(k, true);
            st.inCase = false;
            continue;
          case Ch.Semi:
            sig(k, true);
            st.inCase = false;
            continue;
          case Ch.Colon:
            if (st.inCase) { st.inCase = false; sig(k, true); } else sig(k, false);
            continue;
          default:
            sig(k, false);
            continue;
        }
      }
      if (kk === K.Num) {
        // `F(3DNOW)`: a pp-number pasted into a name by the macro, no C number
        if (!C_NUMBER.test(text(k)) && /^[0-9]+[A-Za-z_]\w*$/.test(text(k))) buf[start[k]] = Ch.Underscore;
        sig(k, false);
        continue;
      }
      if (kk === K.Str) { sig(k, false); continue; }

      // ---- identifiers ----
      const name = text(k);
      const open = isP(k + 1, Ch.LParen) ? k + 1 : -1;
      const close = open > 0 ? match[open] : -1;
      if (blank.has(name)) { blankRange(start[k], end[k]); continue; }
      if (blankComma.has(name)) {
        blankRange(start[k], end[k]);
        if (isP(st.lastSig, Ch.Comma)) blankRange(start[st.lastSig], end[st.lastSig]);
        else if (isP(k + 1, Ch.Comma)) { blankRange(start[k + 1], end[k + 1]); k++; }
        continue;
      }
      if (blankArgs.has(name)) {
        if (close > 0) { blankRange(start[k], end[close]); k = close; continue; }
        if (open < 0) { blankRange(start[k], end[k]); continue; }
      }
      const alias = aliases.get(name);
      if (alias !== undefined) {
        write(start[k], alias);
        blankRange(start[k] + alias.length, end[k]);
      }
      if (stringMacros.has(name)) {
        if (close > 0) {
          asString(start[k], end[close]);
          sig(k, false);
          st.lastSig = close;
          k = close;
          continue;
        }
        if (open < 0) {
          asString(start[k], end[k]);
          sig(k, false);
          continue;
        }
      }
      if (close > 0 && opaque.has(name)) {
        blankRange(end[open], start[close]);
        sig(k, false);
        sig(open, false);
        st.lastSig = close;
        k = close;
        continue;
      }
      const stmtStart = st.boundary || afterDirective;
      // file scope, or a struct body: where a macro on a line of its own declares things
      const declScope = st.ctx ? st.ctx.kind === X.Agg : true;
      if (open < 0 && declScope && stmtStart && (k + 1 === T.n || kind[k + 1] === K.Dir) && !C_KEYWORDS.has(name)) {
        // `#ifdef X\n__ARCH_EXTRA_FIELDS\n#endif`: a macro alone in a conditional branch
        blankRange(start[k], end[k]);
        sig(k, true);
        continue;
      }
      if (close > 0) {
        const decl = declMacros.get(name);
        if (decl && (stmtStart || onlyStorageBefore(k) >= 0) && (isP(close + 1, Ch.Semi) || isP(close + 1, Ch.Eq) || isP(close + 1, Ch.Comma))) {
          if (declarator(k, open, close, decl.type)) {
            // what is left is an ordinary declaration
            sig(k, false);
            st.lastSig = close;
            k = close;
            continue;
          }
        }
        const braces = bracesOf(st.ctx);
        // struct bodies are like file scope: DECLARE_KFIFO(...) declares a member
        if ((braces === 0 ? !exprCtx(st.ctx) : st.ctx!.kind === X.Agg) && isFileScope(name)) {
          const from = stmtStart ? k : onlyStorageBefore(k);
          if (from >= 0) {
            const last = isP(close + 1, Ch.Semi) ? close + 1 : close;
            blankRange(start[from], end[last]);
            sig(k, true);
            k = last;
            continue;
          }
        }
        if (declScope && stmtStart && lineMacro(close)) {
          blankRange(start[k], end[close]);
          sig(k, true);
          k = close;
          continue;
        }
        if (braces > 0 && isIter(name) && name.length >= 5) {
          const p = st.lastSig;
          const prevOk = p < 0 || isP(p, Ch.Semi) || isP(p, Ch.LBrace) || isP(p, Ch.RBrace) || isP(p, Ch.RParen) ||
            isP(p, Ch.Colon) || isWord(p, 'else') || isWord(p, 'do') || (k > 0 && kind[k - 1] === K.Dir);
          const next = close + 1;
          // a brace-less body may open with a cast or a parenthesis: `kvm_for_each_vcpu(i, v, kvm) (void)f(v);`
          const nextOk = next < T.n && (kind[next] === K.Id || isP(next, Ch.LBrace) || isP(next, Ch.LParen) || kind[next] === K.Dir);
          if (prevOk && nextOk) {
            write(start[k], 'while');
            for (let i = start[k] + 5; i < end[k]; i++) buf[i] = Ch.Sp;
          }
        }
        if (braces > 0 && st.ctx!.kind === X.Block && stmtStart && isP(close + 1, Ch.Colon) && !isP(close + 2, Ch.Colon) &&
          name.length >= 4 && !C_KEYWORDS.has(name)) {
          // `VMCS12_CASE64(enc):`, a macro that expands to case labels: no C statement starts `f(x):`
          write(start[k], 'case');
          blankRange(start[k] + 4, end[k]);
          sig(k, false);
          st.inCase = true;
          continue;
        }
        const ta = typeArgAt.get(name);
        if (ta !== undefined) { typeArgParen = true; rewriteTypeArg(open, close, ta); }
        else if (name === 'offsetof' || name === '__builtin_offsetof') offsetofMember(open, close);
      }
      if (st.ctx && st.ctx.typeArgs && (name === 'struct' || name === 'union') && kind[k + 1] === K.Id) joinGap(end[k], start[k + 1]);
      sig(k, false);
      if (name === 'case' || name === 'default') st.inCase = true;
    }
    // groups left open at the end of the file are left as they are

    if (dead.length) {
      const idx: number[] = [];
      for (let i = 0; i < dead.length; i += 2) idx.push(i);
      idx.sort((a, b) => dead[a] - dead[b]);
      let done = 0;
      for (const i of idx) {
        const a = Math.max(dead[i], done);
        if (dead[i + 1] > a) { blankRange(a, dead[i + 1]); done = dead[i + 1]; }
      }
    }
    if (wide) {
      let out = '';
      // bounded spread: 8192 bytes at a time
      for (let i = 0; i < buf.length; i += 8192) out += String.fromCharCode(...buf.subarray(i, i + 8192));
      return out;
    }
    return (buf as Buffer).toString('latin1');

    // ---- helpers that need the token arrays ----

    function braceKind(p: number): X {
      if (p < 0) return X.Block;
      if (kind[p] === K.Punct) {
        const c = ch[p];
        if (c === Ch.Eq) return X.Init;
        if ((c === Ch.Comma || c === Ch.LBrace) && st.ctx && (st.ctx.kind === X.Init || (c === Ch.Comma && st.ctx.kind === X.Paren))) return X.Init;
        if (c === Ch.RParen) return st.closedCallLike ? X.Block : X.Init; // `(struct s){ ... }`
        return X.Block;
      }
      if (kind[p] === K.Id) {
        if (isWord(p, 'enum') || isWord(p - 1, 'enum')) return X.Init;
        if (isWord(p, 'struct') || isWord(p, 'union') || isWord(p - 1, 'struct') || isWord(p - 1, 'union')) return X.Agg;
      }
      return X.Block;
    }

    /** `NAME(args)` at file scope on lines of its own, no `;`: a macro that expands to definitions. */
    function lineMacro(close: number): boolean {
      const next = close + 1;
      if (next >= T.n || kind[next] === K.Dir) return true;
      if (!newlineBetween(end[close], start[next])) return false;
      if (kind[next] !== K.Id) return false;
      const w = text(next);
      return !blank.has(w) && !blankArgs.has(w);
    }

    /** Turn `M(...)` into a string literal of the same length, one per line it spans. */
    function asString(a: number, b: number): void {
      let i = a;
      while (i < b) {
        let e = i;
        while (e < b && s.charCodeAt(e) !== Ch.Nl) e++;
        let x = i;
        let y = e;
        while (x < y && isSpace(s.charCodeAt(x))) x++;
        while (y > x && (isSpace(s.charCodeAt(y - 1)) || s.charCodeAt(y - 1) === Ch.Backslash)) y--;
        if (y - x >= 2) {
          buf[x] = Ch.Quote;
          for (let j = x + 1; j < y - 1; j++) buf[j] = Ch.Sp;
          buf[y - 1] = Ch.Quote;
        } else blankRange(x, y);
        i = e + 1;
      }
    }

    /** Rewrite a declarator macro; false when its arguments are not the expected shape. */
    function declarator(k: number, open: number, close: number, type: string | undefined): boolean {
      const commas = commasOf(open);
      if (commas.length !== 1) return false;
      const comma = commas[0];
      if (type !== undefined) {
        // M(name, n) → type name[n]
        if (type.length >= end[open] - start[k]) return false; // a blank must part type and name
        if (!(comma === open + 2 && kind[open + 1] === K.Id)) return false;
        blankRange(start[k], end[open]);
        write(start[k], type);
        buf[start[comma]] = Ch.LBracket;
        buf[start[close]] = Ch.RBracket;
        return true;
      }
      // M(T, name) → T name
      if (!(close === comma + 2 && kind[comma + 1] === K.Id)) return false;
      blankRange(start[k], end[open]);
      buf[start[comma]] = Ch.Sp;
      buf[start[close]] = Ch.Sp;
      return true;
    }

    /**
     * `container_of(p, struct vcpu_vmx, vcpu)`: a type is not an expression, so
     * `struct X` anywhere in the arguments becomes the identifier `struct_X`
     * (done as the tokens go by, see typeArgs), which the type resolver reads
     * back as the struct; the type argument itself, when it is several words
     * (`unsigned long`), becomes one identifier too.
     */
    function rewriteTypeArg(open: number, close: number, typeArg: number): void {
      const commas = commasOf(open);
      const from = typeArg === 0 ? open + 1 : commas[typeArg - 1] + 1;
      const to = typeArg < commas.length ? commas[typeArg] : close;
      if (!(from > open)) return;
      // the words of the type, then pointer stars, which become `_` joined to it:
      // `struct evtchnfd *` → `struct_evtchnfd__`, read back as one pointer more
      let words = from;
      while (words < to && kind[words] === K.Id) words++;
      for (let j = words; j < to; j++) if (!isP(j, Ch.Star)) return;
      if (words === from || to - from < 2) return;
      for (let j = from; j < to - 1; j++) joinGap(end[j], start[j + 1]);
      for (let j = words; j < to; j++) buf[start[j]] = Ch.Underscore;
    }
    function joinGap(a: number, b: number): void {
      for (let i = a; i < b; i++) {
        const c = s.charCodeAt(i);
        if (c !== Ch.Sp && c !== Ch.Tab) return;
      }
      for (let i = a; i < b; i++) buf[i] = Ch.Underscore;
    }

    /** `offsetof(T, a.b[i])`: tree-sitter takes one identifier as the member; `a_b   ` it is. */
    function offsetofMember(open: number, close: number): void {
      const commas = commasOf(open);
      if (commas.length !== 1) return;
      let j = commas[0] + 1;
      if (kind[j] !== K.Id) return;
      const edits: (() => void)[] = [];
      j++;
      while (j < close) {
        if (isP(j, Ch.Dot) && kind[j + 1] === K.Id && end[j - 1] === start[j] && end[j] === start[j + 1]) {
          const at = start[j];
          edits.push(() => { buf[at] = Ch.Underscore; });
          j += 2;
        } else if (isP(j, Ch.LBracket) && match[j] > j && match[j] < close) {
          const a = start[j];
          const b = end[match[j]];
          edits.push(() => blankRange(a, b));
          j = match[j] + 1;
        } else return;
      }
      for (const e of edits) e();
    }
  };
  return cfg.cleanup ? Object.assign(normalize, { cleanup: cfg.cleanup }) : normalize;
}
