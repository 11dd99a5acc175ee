// Rewrites kernel-C idioms that tree-sitter-c cannot read into plain C of the
// same length. Every rewrite replaces characters one for one and never touches
// a newline, so byte offsets, lines and columns of the parse are those of the
// file on disk and no position mapping is needed anywhere downstream.

export interface FrontendConfig {
  /** identifiers replaced by blanks (annotations such as __init) */
  blank: string[];
  /** identifiers blanked together with the parenthesised arguments after them */
  blankWithArgs: string[];
  /** regexes: macro invocations at file scope that are blanked whole, `;` included */
  fileScopeMacroPatterns: string[];
  /** regexes: iterator macros `name(args) stmt` rewritten as `while (args) stmt` */
  iteratorPatterns: string[];
  /** macros with a type argument: `container_of(p, struct t, m)` */
  typeArgMacros: Record<string, { typeArg: number; pointer?: boolean }>;
}

export interface Normalizer {
  (text: string): string;
}

const enum Ch {
  Nl = 10, Sp = 32, Hash = 35, Quote = 34, Apos = 39, LParen = 40, RParen = 41, Star = 42,
  Comma = 44, Dot = 46, Slash = 47, Colon = 58, Semi = 59, Backslash = 92, LBrace = 123, RBrace = 125,
}

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdChar(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isSpace(c: number): boolean {
  return c === Ch.Sp || c === 9 || c === Ch.Nl || c === 13 || c === 11 || c === 12;
}

/**
 * A token stream over C text that steps over comments, string and character
 * literals and preprocessor directives. Only what the rewrites need.
 */
interface Tok { start: number; end: number; kind: 'id' | 'punct' | 'directive' }

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  const n = s.length;
  let i = 0;
  let lineStart = true;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === Ch.Nl) { lineStart = true; i++; continue; }
    if (isSpace(c)) { i++; continue; }
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
      let j = i;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === Ch.Nl && s.charCodeAt(j - 1) !== Ch.Backslash && !(s.charCodeAt(j - 1) === 13 && s.charCodeAt(j - 2) === Ch.Backslash)) break;
        if (d === Ch.Slash && s.charCodeAt(j + 1) === Ch.Star) {
          const e = s.indexOf('*/', j + 2);
          j = e < 0 ? n : e + 2;
          continue;
        }
        j++;
      }
      out.push({ start: i, end: j, kind: 'directive' });
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
      out.push({ start: i, end: Math.min(j + 1, n), kind: 'punct' });
      i = j + 1;
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdChar(s.charCodeAt(j))) j++;
      out.push({ start: i, end: j, kind: 'id' });
      i = j;
      continue;
    }
    if (c === Ch.Dot && s.charCodeAt(i + 1) === Ch.Dot && s.charCodeAt(i + 2) === Ch.Dot) {
      out.push({ start: i, end: i + 3, kind: 'punct' });
      i += 3;
      continue;
    }
    out.push({ start: i, end: i + 1, kind: 'punct' });
    i++;
  }
  return out;
}

/** Index of the token closing the parenthesis opened at toks[open], or -1. */
function matchParen(s: string, toks: Tok[], open: number): number {
  let depth = 0;
  for (let k = open; k < toks.length; k++) {
    const t = toks[k];
    if (t.kind !== 'punct' || t.end - t.start !== 1) continue;
    const c = s.charCodeAt(t.start);
    if (c === Ch.LParen) depth++;
    else if (c === Ch.RParen) { depth--; if (depth === 0) return k; }
  }
  return -1;
}

export function makeNormalizer(cfg: FrontendConfig): Normalizer {
  const blank = new Set(cfg.blank);
  const blankArgs = new Set(cfg.blankWithArgs);
  const fileScope = cfg.fileScopeMacroPatterns.map((p) => new RegExp(p));
  const iter = cfg.iteratorPatterns.map((p) => new RegExp(p));
  const typeArg = new Set(Object.keys(cfg.typeArgMacros));
  const isFileScope = (name: string) => fileScope.some((r) => r.test(name));
  const isIter = (name: string) => iter.some((r) => r.test(name));

  return function normalize(s: string): string {
    const toks = tokenize(s);
    const buf = Buffer.from(s, 'latin1');
    const blankRange = (a: number, b: number) => {
      for (let i = a; i < b; i++) {
        const c = buf[i];
        if (c !== Ch.Nl && c !== 13) buf[i] = Ch.Sp;
      }
    };
    const punctAt = (k: number, ch: number) => {
      const t = toks[k];
      return t !== undefined && t.kind === 'punct' && t.end - t.start === 1 && s.charCodeAt(t.start) === ch;
    };
    // Significant token before k, ignoring directives (they end statements too).
    let depth = 0;
    let prevSig = -1;      // index of previous non-directive token
    let afterDirective = true;
    let inCase = false;
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k];
      if (t.kind === 'directive') { afterDirective = true; continue; }
      const startOfStmt =
        afterDirective || prevSig < 0 ||
        punctAt(prevSig, Ch.Semi) || punctAt(prevSig, Ch.LBrace) || punctAt(prevSig, Ch.RBrace);
      afterDirective = false;
      if (t.kind === 'punct') {
        const c = s.charCodeAt(t.start);
        if (t.end - t.start === 1) {
          if (c === Ch.LBrace) depth++;
          else if (c === Ch.RBrace) depth = Math.max(0, depth - 1);
          else if (c === Ch.Colon || c === Ch.Semi) inCase = false;
        } else if (inCase && t.end - t.start === 3 && c === Ch.Dot) {
          // GNU case range `case A ... B:` becomes `case A +0* B:`
          buf[t.start] = 43; buf[t.start + 1] = 48; buf[t.start + 2] = Ch.Star;
        }
        prevSig = k;
        continue;
      }
      const name = s.slice(t.start, t.end);
      if (name === 'case') inCase = true;
      if (blank.has(name)) { blankRange(t.start, t.end); continue; }
      if (blankArgs.has(name)) {
        if (punctAt(k + 1, Ch.LParen)) {
          const close = matchParen(s, toks, k + 1);
          if (close > 0) { blankRange(t.start, toks[close].end); k = close; continue; }
        } else {
          blankRange(t.start, t.end);
          continue;
        }
      }
      if (punctAt(k + 1, Ch.LParen)) {
        if (depth === 0 && startOfStmt && isFileScope(name)) {
          const close = matchParen(s, toks, k + 1);
          if (close > 0) {
            let end = toks[close].end;
            let last = close;
            if (punctAt(close + 1, Ch.Semi)) { end = toks[close + 1].end; last = close + 1; }
            blankRange(t.start, end);
            k = last;
            prevSig = last;
            continue;
          }
        }
        if (depth > 0 && isIter(name)) {
          const prevOk = prevSig < 0 || punctAt(prevSig, Ch.Semi) || punctAt(prevSig, Ch.LBrace) ||
            punctAt(prevSig, Ch.RBrace) || punctAt(prevSig, Ch.RParen) || punctAt(prevSig, Ch.Colon) ||
            (toks[prevSig].kind === 'id' && /^(else|do)$/.test(s.slice(toks[prevSig].start, toks[prevSig].end))) ||
            afterDirectiveBefore(toks, k);
          const close = matchParen(s, toks, k + 1);
          const next = toks[close + 1];
          const nextOk = next !== undefined && (next.kind === 'id' || punctAt(close + 1, Ch.LBrace) || next.kind === 'directive');
          if (prevOk && close > 0 && nextOk && name.length >= 5) {
            buf.write('while', t.start, 'latin1');
            for (let i = t.start + 5; i < t.end; i++) buf[i] = Ch.Sp;
          }
        }
        if (typeArg.has(name)) rewriteTypeArgs(s, buf, toks, k + 1);
      }
      prevSig = k;
    }
    return buf.toString('latin1');
  };
}

function afterDirectiveBefore(toks: Tok[], k: number): boolean {
  return k > 0 && toks[k - 1].kind === 'directive';
}

/**
 * `container_of(p, struct vcpu_vmx, vcpu)`: a type is not an expression, so the
 * argument becomes the identifier `struct_vcpu_vmx`, which the type resolver
 * reads back as the struct.
 */
function rewriteTypeArgs(s: string, buf: Buffer, toks: Tok[], open: number): void {
  const close = matchParen(s, toks, open);
  if (close < 0) return;
  for (let k = open + 1; k < close - 1; k++) {
    const t = toks[k];
    if (t.kind !== 'id') continue;
    const w = s.slice(t.start, t.end);
    if (w !== 'struct' && w !== 'union') continue;
    const nx = toks[k + 1];
    if (nx.kind !== 'id') continue;
    let ok = true;
    for (let i = t.end; i < nx.start; i++) if (s.charCodeAt(i) === Ch.Nl) ok = false;
    if (!ok) continue;
    for (let i = t.end; i < nx.start; i++) buf[i] = 95; // '_'
  }
}
