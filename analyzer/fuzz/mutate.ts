// Mutations of a C source file for the fuzz test. Text is handled as latin1,
// one character per byte, so a mutation can put any byte anywhere (NULs,
// broken UTF-8) and the result is written back byte for byte.
//
// Small mutations damage the file the way a bad edit or a bad patch would:
// tokens and lines deleted, duplicated or swapped, a truncation, a stray NUL or
// invalid UTF-8 sequence, an unbalanced brace or conditional directive. The
// big ones are the inputs that break recursive code and quadratic algorithms:
// 100,000-deep nesting and a line of a megabyte. They are rare (they cost
// seconds each); the first cases of every run take each big form once.

import { Prng } from './prng';

export interface Mutation {
  kind: string;
  /** what was done where, for the report of a failing case */
  what: string;
  text: string;
}

interface Token { start: number; end: number }

// identifiers, numbers, strings and char literals, comments, directives' `#`,
// and single punctuation characters; whitespace is not a token
const TOKEN = /[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*|\d[\w.]*|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|\/\*[\s\S]*?(?:\*\/|$)|\/\/[^\n]*|\S/g;

export function tokens(text: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

/** [start, end) of every line, the newline included */
function lines(text: string): Token[] {
  const out: Token[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    out.push({ start, end });
    start = end;
  }
  return out;
}

function splice(text: string, at: number, del: number, ins: string): string {
  return text.slice(0, at) + ins + text.slice(at + del);
}

function where(text: string, off: number): string {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < off; i = text.indexOf('\n', i + 1)) line++;
  return `line ${line}`;
}

/** a token boundary: the start of a random token, or the end of the text */
function boundary(text: string, r: Prng): number {
  const ts = tokens(text);
  return ts.length ? r.pick(ts).start : text.length;
}

function lineStart(text: string, r: Prng): number {
  const ls = lines(text);
  return ls.length ? r.pick(ls).start : 0;
}

// invalid UTF-8 of every kind: lone continuation bytes, truncated sequences,
// overlong encodings, an encoded surrogate, bytes that never occur
const BAD_UTF8 = ['\x80', '\xbf', '\xc3', '\xe2\x82', '\xf0\x9f\x98', '\xc0\xaf', '\xe0\x80\xaf', '\xed\xa0\x80', '\xf5\x80\x80\x80', '\xfe', '\xff', '\xff\xfe\xfd'];

const PP_LINES = ['#if X\n', '#ifdef X\n', '#ifndef X\n', '#if 0\n', '#else\n', '#elif Y\n', '#endif\n', '#define M(x) x\n', '#define M(x) \\\n'];

type Small = (text: string, r: Prng) => Mutation;

const SMALL: Record<string, Small> = {
  'delete-token'(text, r) {
    const ts = tokens(text);
    if (!ts.length) return { kind: 'delete-token', what: 'no token', text };
    const t = r.pick(ts);
    return { kind: 'delete-token', what: `${JSON.stringify(text.slice(t.start, t.end).slice(0, 40))} at ${where(text, t.start)}`, text: splice(text, t.start, t.end - t.start, '') };
  },
  'duplicate-token'(text, r) {
    const ts = tokens(text);
    if (!ts.length) return { kind: 'duplicate-token', what: 'no token', text };
    const t = r.pick(ts);
    const s = text.slice(t.start, t.end);
    return { kind: 'duplicate-token', what: `${JSON.stringify(s.slice(0, 40))} at ${where(text, t.start)}`, text: splice(text, t.end, 0, ` ${s}`) };
  },
  'swap-tokens'(text, r) {
    const ts = tokens(text);
    if (ts.length < 2) return { kind: 'swap-tokens', what: 'too few tokens', text };
    let [a, b] = [r.pick(ts), r.pick(ts)];
    if (a.start > b.start) [a, b] = [b, a];
    if (a === b) return { kind: 'swap-tokens', what: 'same token', text };
    const sa = text.slice(a.start, a.end);
    const sb = text.slice(b.start, b.end);
    const out = text.slice(0, a.start) + sb + text.slice(a.end, b.start) + sa + text.slice(b.end);
    return { kind: 'swap-tokens', what: `${where(text, a.start)} and ${where(text, b.start)}`, text: out };
  },
  'delete-lines'(text, r) {
    const ls = lines(text);
    const i = r.int(ls.length);
    const n = r.range(1, 5);
    const end = ls[Math.min(ls.length, i + n) - 1]?.end ?? text.length;
    return { kind: 'delete-lines', what: `${n} from line ${i + 1}`, text: splice(text, ls[i]?.start ?? 0, end - (ls[i]?.start ?? 0), '') };
  },
  'duplicate-lines'(text, r) {
    const ls = lines(text);
    const i = r.int(ls.length);
    const n = r.range(1, 5);
    const start = ls[i]?.start ?? 0;
    const end = ls[Math.min(ls.length, i + n) - 1]?.end ?? text.length;
    return { kind: 'duplicate-lines', what: `${n} from line ${i + 1}`, text: splice(text, end, 0, text.slice(start, end)) };
  },
  'swap-lines'(text, r) {
    const ls = lines(text);
    if (ls.length < 2) return { kind: 'swap-lines', what: 'too few lines', text };
    let [a, b] = [r.int(ls.length), r.int(ls.length)];
    if (a > b) [a, b] = [b, a];
    if (a === b) return { kind: 'swap-lines', what: 'same line', text };
    const la = text.slice(ls[a].start, ls[a].end);
    const lb = text.slice(ls[b].start, ls[b].end);
    const out = text.slice(0, ls[a].start) + lb + text.slice(ls[a].end, ls[b].start) + la + text.slice(ls[b].end);
    return { kind: 'swap-lines', what: `lines ${a + 1} and ${b + 1}`, text: out };
  },
  truncate(text, r) {
    const at = r.int(text.length + 1);
    return { kind: 'truncate', what: `at byte ${at} of ${text.length}`, text: text.slice(0, at) };
  },
  'insert-nul'(text, r) {
    const at = r.int(text.length + 1);
    return { kind: 'insert-nul', what: `at byte ${at}`, text: splice(text, at, 0, '\0'.repeat(r.range(1, 3))) };
  },
  'insert-invalid-utf8'(text, r) {
    const at = r.chance(0.5) ? boundary(text, r) : r.int(text.length + 1);
    const bad = r.pick(BAD_UTF8);
    return { kind: 'insert-invalid-utf8', what: `${[...bad].map((c) => c.charCodeAt(0).toString(16)).join(' ')} at byte ${at}`, text: splice(text, at, 0, bad) };
  },
  'unbalanced-brace'(text, r) {
    const at = boundary(text, r);
    const c = r.pick(['{', '}', '(', ')', '[', ']', '{{', '}}']);
    return { kind: 'unbalanced-brace', what: `${c} at ${where(text, at)}`, text: splice(text, at, 0, c) };
  },
  'unbalanced-pp'(text, r) {
    // insert a directive at a line start, or delete an existing one
    const directives = lines(text).filter((l) => /^\s*#\s*(if|ifdef|ifndef|else|elif|endif)\b/.test(text.slice(l.start, l.end)));
    if (directives.length && r.chance(0.4)) {
      const l = r.pick(directives);
      return { kind: 'unbalanced-pp', what: `deleted ${JSON.stringify(text.slice(l.start, l.end).trim())} at ${where(text, l.start)}`, text: splice(text, l.start, l.end - l.start, '') };
    }
    const at = lineStart(text, r);
    const d = r.pick(PP_LINES);
    return { kind: 'unbalanced-pp', what: `${JSON.stringify(d.trim())} at ${where(text, at)}`, text: splice(text, at, 0, d) };
  },
};

const DEPTH = 100_000;
const MEGABYTE = 1 << 20;

const NESTING_FORMS = ['(', '{', '[', '#if X\n', '((balanced', '{{balanced', 'struct{', '*'] as const;
const LINE_FORMS = ['identifier', 'sum', 'arguments', 'string', 'comment', 'statements', 'initializer'] as const;

function deepNesting(text: string, r: Prng, form: string): Mutation {
  const at = form.startsWith('#') ? lineStart(text, r) : boundary(text, r);
  let ins: string;
  if (form === '((balanced') ins = `${'('.repeat(DEPTH)}x${')'.repeat(DEPTH)}`;
  else if (form === '{{balanced') ins = `${'{'.repeat(DEPTH)}x();${'}'.repeat(DEPTH)}`;
  else if (form === 'struct{') ins = `struct s ${'{ struct '.repeat(DEPTH / 10)}{ int x; }${' y; }'.repeat(DEPTH / 10)};\n`;
  else ins = form.repeat(DEPTH);
  return { kind: 'deep-nesting', what: `${DEPTH} x ${JSON.stringify(form)} at ${where(text, at)}`, text: splice(text, at, 0, ins) };
}

function longLine(text: string, r: Prng, form: string): Mutation {
  const fill = (unit: string) => unit.repeat(Math.ceil(MEGABYTE / unit.length));
  const body: Record<string, string> = {
    identifier: fill('x'),
    sum: `x = ${fill('a + ')}1;`,
    arguments: `f(${fill('a, ')}b);`,
    string: `s = "${fill('x')}";`,
    comment: `/* ${fill('x')} */`,
    statements: fill('x(); '),
    initializer: `int t[] = { ${fill('1, ')} };`,
  };
  const at = lineStart(text, r);
  return { kind: 'long-line', what: `1 MB of ${form} at ${where(text, at)}`, text: splice(text, at, 0, `${body[form]}\n`) };
}

/** every form of the big mutations: the first cases of a run take one each, so no run misses one */
export const BIG_FORMS: readonly { kind: 'deep-nesting' | 'long-line'; form: string }[] = [
  ...NESTING_FORMS.map((form) => ({ kind: 'deep-nesting' as const, form })),
  ...LINE_FORMS.map((form) => ({ kind: 'long-line' as const, form })),
];

function big(kind: string, form: string, text: string, r: Prng): Mutation {
  return kind === 'deep-nesting' ? deepNesting(text, r, form) : longLine(text, r, form);
}

export const SMALL_KINDS = Object.keys(SMALL);

/**
 * The mutation of case `i`. Cases 0 to BIG_FORMS.length - 1 take one big form
 * each; after them about one case in a hundred is big and one in ten applies
 * a few small mutations at once.
 */
export function mutate(text: string, r: Prng, i: number): Mutation {
  if (i < BIG_FORMS.length) return big(BIG_FORMS[i].kind, BIG_FORMS[i].form, text, r);
  const kind = r.weighted<string>([...SMALL_KINDS.map((k) => [k, 16] as const), ['multi', 20], ['deep-nesting', 1], ['long-line', 1]]);
  if (kind === 'deep-nesting') return deepNesting(text, r, r.pick(NESTING_FORMS));
  if (kind === 'long-line') return longLine(text, r, r.pick(LINE_FORMS));
  if (kind === 'multi') {
    const steps: string[] = [];
    let t = text;
    for (let n = r.range(2, 5); n > 0; n--) {
      const m = SMALL[r.pick(SMALL_KINDS)](t, r);
      steps.push(`${m.kind} ${m.what}`);
      t = m.text;
    }
    return { kind: 'multi', what: steps.join('; '), text: t };
  }
  return SMALL[kind](text, r);
}

/** One small mutation of a given kind (for the mutation tests). */
export function mutateAs(kind: string, text: string, r: Prng): Mutation {
  const f = SMALL[kind];
  if (!f) throw new Error(`no mutation ${kind}`);
  return f(text, r);
}
