// Rewrites kernel-C idioms that tree-sitter-c cannot read into plain C of the
// same length. Every rewrite replaces characters one for one and never touches
// a newline, so byte offsets, lines and columns of the parse are those of the
// file on disk and no position mapping is needed anywhere downstream.
//
// One linear pass over a token stream does everything; the only work done out
// of order is blanking the directives and dropped branches of the conditional
// groups that cut through a statement, which is known only at their #endif and
// applied at the end. Which names get which treatment is data (rules/kernel-c.json):
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
//   fileScopeMacroPatterns  `static DEFINE_MUTEX(m);` at file scope → spaces
//   iteratorPatterns   `list_for_each_entry(a, b, c) {` → `while              (a, b, c) {`
//   typeArgMacros, typeArgOnlyMacros  `min_t(unsigned int, a, b)` → `min_t(unsigned_int, a, b)`,
//                      `container_of(p, struct vcpu_vmx, vcpu)` → `container_of(p, struct_vcpu_vmx, vcpu)`
//
// and, for C itself rather than any macro list:
//   - a file-scope macro invocation alone on its line(s), without `;`
//     (`FOP_SETCC(seto)`, `BUILD_KVM_GPR_ACCESSORS(rax, RAX)`) → spaces
//   - GNU case ranges `case A ... B:` → `case A +0* B:`
//   - pp-numbers that are no C number (`F(3DNOW)`, pasted by the macro) → `F(_DNOW)`
//   - GNU named variadic macro parameters `#define X(args...)` → `#define X(args   )`
//   - `offsetof(T, a.b[i])` → `offsetof(T, a_b   )` (tree-sitter wants one identifier)
//   - `#if`/`#ifdef` groups that cut through a statement or an expression
//     (`} else\n#endif`, `a |\n#ifdef X\n b |\n#endif`, a label before `#ifdef`):
//     the directives become blank lines and the first branch is kept (in an
//     initializer list every branch is kept, so a table has all its members)
//   - `#define`/`#include` inside an initializer, enumerator or argument list → blank

export interface FrontendConfig {
  /** identifiers replaced by blanks (annotations such as __init) */
  blank: string[];
  /** identifiers blanked together with the parenthesised arguments after them */
  blankWithArgs: string[];
  /** regexes: macro invocations at file scope that are blanked whole, `;` included */
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
}

export interface Normalizer {
  (text: string): string;
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
  start: number[];
  end: number[];
  kind: number[];
  /** Punct: its character (a `...` is Dot with end - start === 3); Dir: its D kind */
  ch: number[];
  /** for ( [ {: index of the matching closer, -1 if none; for closers: -1 */
  match: number[];
}

function tokenize(s: string): Toks {
  const start: number[] = [];
  const end: number[] = [];
  const kind: number[] = [];
  const ch: number[] = [];
  const n = s.length;
  let i = 0;
  let lineStart = true;
  const push = (a: number, b: number, k: K, c: number) => {
    start.push(a); end.push(b); kind.push(k); ch.push(c);
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
  const m = start.length;
  const match: number[] = new Array<number>(m).fill(-1);
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
  dirs: number[];
  atIf: State;
  afterFirst: State | null;
  branches: Branch[];
}

const STORAGE_WORDS = new Set(['static', 'extern', 'const', 'volatile', 'inline', '__inline', '__inline__']);

export function makeNormalizer(cfg: FrontendConfig): Normalizer {
  const blank = new Set(cfg.blank);
  const blankArgs = new Set(cfg.blankWithArgs);
  const blankComma = new Set(cfg.blankWithComma ?? []);
  const stringMacros = new Set(cfg.stringMacros ?? []);
  const opaque = new Set(cfg.opaqueArgMacros ?? []);
  const aliases = new Map(Object.entries(cfg.aliases ?? {}).filter(([k, v]) => v.length <= k.length));
  const declMacros = new Map(Object.entries(cfg.declaratorMacros ?? {}));
  const typeArgAt = new Map<string, number>();
  for (const [k, v] of Object.entries(cfg.typeArgOnlyMacros ?? {})) typeArgAt.set(k, v.typeArg);
  for (const [k, v] of Object.entries(cfg.typeArgMacros)) typeArgAt.set(k, v.typeArg);
  const fileScope = cfg.fileScopeMacroPatterns.map((p) => new RegExp(p));
  const iter = cfg.iteratorPatterns.map((p) => new RegExp(p));
  // a name's verdict never changes: regexes run once per distinct name
  const fileScopeMemo = new Map<string, boolean>();
  const iterMemo = new Map<string, boolean>();
  const isFileScope = (name: string) => {
    let v = fileScopeMemo.get(name);
    if (v === undefined) { v = fileScope.some((r) => r.test(name)); fileScopeMemo.set(name, v); }
    return v;
  };
  const isIter = (name: string) => {
    let v = iterMemo.get(name);
    if (v === undefined) { v = iter.some((r) => r.test(name)); iterMemo.set(name, v); }
    return v;
  };

  return function normalize(s: string): string {
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
      const i = s.indexOf('\n', a);
      return i >= 0 && i < b;
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
    const depthOf = (c: Ctx | null) => (c ? c.depth : 0);
    const bracesOf = (c: Ctx | null) => (c ? c.braces : 0);

    const push = (k: X, callLike: boolean) => {
      const p = st.ctx;
      st.ctx = { kind: k, parent: p, depth: depthOf(p) + 1, braces: bracesOf(p) + (k === X.Block || k === X.Agg || k === X.Init ? 1 : 0), callLike };
    };
    const pop = () => {
      const d = depthOf(st.ctx) - 1;
      if (groups.length) {
        const g = groups[groups.length - 1];
        const b = g.branches[g.branches.length - 1];
        if (d < b.minD) b.minD = d;
      }
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
    const copy = (x: State): State => ({ ...x });

    const openBranch = (g: Group, dir: number) => {
      const d = depthOf(st.ctx);
      const b: Branch = { dir, firstSig: -1, lastSig: -1, endBoundary: true, d0: d, minD: d, endD: 0 };
      g.branches.push(b);
      pendingFirst.push(b);
    };
    const closeBranch = (g: Group) => {
      const b = g.branches[g.branches.length - 1];
      if (pendingFirst.length && pendingFirst[pendingFirst.length - 1] === b) pendingFirst.pop();
      b.lastSig = st.lastSig > b.dir ? st.lastSig : -1;
      b.endBoundary = st.boundary;
      b.endD = depthOf(st.ctx) - b.d0;
      if (groups.length > 1) {
        const outer = groups[groups.length - 2];
        const ob = outer.branches[outer.branches.length - 1];
        if (b.minD < ob.minD) ob.minD = b.minD;
      }
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

    const directive = (k: number) => {
      const dk = ch[k] as D;
      afterDirective = true;
      if (dk === D.If) {
        const g: Group = { dirs: [k], atIf: copy(st), afterFirst: null, branches: [] };
        groups.push(g);
        openBranch(g, k);
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

    /** `#define X(args...)`: GNU named variadic parameter, read as `args` */
    const namedVariadic = (k: number) => {
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
    };

    for (let k = 0; k < T.n; k++) {
      const kk = kind[k];
      if (kk === K.Dir) { directive(k); continue; }
      if (kk === K.Punct) {
        const c = ch[k];
        const len = end[k] - start[k];
        if (len === 3) {
          // GNU case range `case A ... B:` becomes `case A +0* B:`
          if (st.inCase) write(start[k], '+0*');
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
        if (braces === 0 && !st.ctx && stmtStart && lineMacro(close)) {
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
          const nextOk = next < T.n && (kind[next] === K.Id || isP(next, Ch.LBrace) || kind[next] === K.Dir);
          if (prevOk && nextOk) {
            write(start[k], 'while');
            for (let i = start[k] + 5; i < end[k]; i++) buf[i] = Ch.Sp;
          }
        }
        const ta = typeArgAt.get(name);
        if (ta !== undefined) rewriteTypeArgs(open, close, ta);
        else if (name === 'offsetof' || name === '__builtin_offsetof') offsetofMember(open, close);
      }
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
        let e = s.indexOf('\n', i);
        if (e < 0 || e > b) e = b;
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
        if (type.length > end[open] - start[k]) return false;
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
     * `struct X` anywhere in the arguments becomes the identifier `struct_X`,
     * which the type resolver reads back as the struct; the type argument itself,
     * when it is several words (`unsigned long`), becomes one identifier too.
     */
    function rewriteTypeArgs(open: number, close: number, typeArg: number): void {
      for (let j = open + 1; j < close - 1; j++) {
        if (kind[j] !== K.Id) continue;
        if (!isWord(j, 'struct') && !isWord(j, 'union')) continue;
        if (kind[j + 1] !== K.Id) continue;
        joinGap(end[j], start[j + 1]);
      }
      const commas = commasOf(open);
      const from = typeArg === 0 ? open + 1 : commas[typeArg - 1] + 1;
      const to = typeArg < commas.length ? commas[typeArg] : close;
      if (!(from > open) || to - from < 2) return;
      for (let j = from; j < to; j++) if (kind[j] !== K.Id) return;
      for (let j = from; j < to - 1; j++) joinGap(end[j], start[j + 1]);
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
}
