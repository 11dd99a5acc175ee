import { InputError } from '../util/errors';
// Unified diffs (git's, and plain `--- a/x +++ b/x` ones) parsed into file
// patches. Every path is checked here, before anything is applied: no
// absolute path, no `..`, no .git, nothing git would quote for control
// characters; binary patches, symbolic links and submodules are refused.


export interface HunkLine {
  op: ' ' | '-' | '+';
  /** the line with its '\n', or without one when "\ No newline at end of file" follows */
  text: string;
}

export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  lines: HunkLine[];
  /** input line of the @@ header */
  at: number;
}

export interface FilePatch {
  /** null for a new file */
  oldPath: string | null;
  /** null for a deleted file */
  newPath: string | null;
  /** a rename keeps no copy of the old file; a copy does */
  copy: boolean;
  /** a deletion of a symbolic link (`deleted file mode 120000`): its text is the link's target */
  link?: boolean;
  /** the old blob's abbreviated id from the `index` line, which a deletion without its text (-D) is checked against */
  oldBlob?: string;
  hunks: Hunk[];
  /** input line where this file's diff starts */
  at: number;
}

/** An input position: `where(i)` is "name:line" for line i of the body. */
type Where = ((i: number) => string) & { line(i: number): number };

export function parseDiff(body: string, name: string, firstLine: number): FilePatch[] {
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const where: Where = Object.assign((i: number) => `${name}:${firstLine + i}`, { line: (i: number) => firstLine + i });
  const out: FilePatch[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (l.startsWith('diff --git ')) {
      i = gitFile(lines, i, where, out);
    } else if (l.startsWith('--- ') && i + 1 < lines.length && lines[i + 1].startsWith('+++ ')) {
      const fp: FilePatch = { oldPath: null, newPath: null, copy: false, hunks: [], at: where.line(i) };
      i = names(lines, i, where, fp, null);
      i = hunks(lines, i, where, fp);
      out.push(fp);
    } else if (l.startsWith('GIT binary patch') || /^Binary files .* differ$/.test(l)) {
      throw new InputError(`${where(i)}: binary patch: callorder applies text diffs only`);
    } else i++;
  }
  return out;
}

function gitFile(lines: string[], start: number, where: Where, out: FilePatch[]): number {
  const fp: FilePatch = { oldPath: null, newPath: null, copy: false, hunks: [], at: 0 };
  fp.at = where.line(start);
  const heads = gitHeaderNames(lines[start], where(start));
  let created = false;
  let deleted = false;
  let renameFrom: string | null = null;
  let renameTo: string | null = null;
  let i = start + 1;
  for (; i < lines.length; i++) {
    const l = lines[i];
    let m: RegExpExecArray | null;
    if ((m = /^(new file mode|deleted file mode|new mode|old mode) (\d+)$/.exec(l))) {
      const named = JSON.stringify(heads.b ?? heads.a ?? '?');
      // a link going away is a deletion like any other; a link made, or a link's mode changed, is refused
      if (m[2] === '120000' && m[1] === 'deleted file mode') fp.link = true;
      else if (m[2] === '120000' && m[1] === 'old mode') throw new InputError(`${where(i)}: the patch changes the mode of ${named}, a symbolic link: refused`);
      else if (m[2] === '120000') throw new InputError(`${where(i)}: the patch makes ${named} a symbolic link: refused`);
      if (m[2] === '160000') throw new InputError(`${where(i)}: the patch makes ${named} a submodule: refused`);
      if (m[1] === 'new file mode') created = true;
      if (m[1] === 'deleted file mode') deleted = true;
    } else if ((m = /^(rename|copy) (from|to) (.*)$/.exec(l))) {
      const p = checkPath(unquote(m[3], where(i)), where(i));
      if (m[2] === 'from') renameFrom = p;
      else renameTo = p;
      if (m[1] === 'copy') fp.copy = true;
    } else if ((m = /^index ([0-9a-f]{4,64})\.\.[0-9a-f]{4,64}(?: \d+)?$/.exec(l))) {
      fp.oldBlob = m[1];
    } else if (/^(similarity index|dissimilarity index|index) /.test(l)) {
      continue;
    } else if (l.startsWith('GIT binary patch') || /^Binary files .* differ$/.test(l)) {
      throw new InputError(`${where(i)}: binary patch: callorder applies text diffs only`);
    } else break;
  }
  fp.oldPath = created ? null : renameFrom ?? heads.a;
  fp.newPath = deleted ? null : renameTo ?? heads.b;
  if (i < lines.length && lines[i].startsWith('--- ')) {
    i = names(lines, i, where, fp, { created, deleted });
    i = hunks(lines, i, where, fp);
  }
  if (!fp.oldPath && !fp.newPath) throw new InputError(`${where(start)}: a diff with no file names`);
  out.push(fp);
  return i;
}

/** `diff --git a/x b/x`: names with spaces are ambiguous, so the ---/+++ lines or rename lines must settle them. */
function gitHeaderNames(l: string, at: string): { a: string | null; b: string | null } {
  const rest = l.slice('diff --git '.length);
  if (rest.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
    if (!m) throw new InputError(`${at}: cannot read the file names of this diff`);
    return { a: checkPath(strip(unquote(m[1], at), at), at), b: checkPath(strip(unquote(m[2], at), at), at) };
  }
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ' && rest.slice(2, half) === rest.slice(half + 3)) {
    return { a: checkPath(strip(rest.slice(0, half), at), at), b: checkPath(strip(rest.slice(half + 1), at), at) };
  }
  const m = /^(\S+) (\S+)$/.exec(rest);
  if (!m) return { a: null, b: null };
  return { a: checkPath(strip(m[1], at), at), b: checkPath(strip(m[2], at), at) };
}

function names(lines: string[], i: number, where: Where, fp: FilePatch,
  git: { created: boolean; deleted: boolean } | null): number {
  const a = pathOf(lines[i].slice(4), where(i));
  const b = pathOf(lines[i + 1].slice(4), where(i + 1));
  if (a === null && b === null) throw new InputError(`${where(i)}: both sides of the diff are /dev/null`);
  if (git) {
    if ((a === null) !== git.created && git.created) throw new InputError(`${where(i)}: "new file" diff whose old side is not /dev/null`);
    if (a !== null && fp.oldPath !== null && a !== fp.oldPath) throw new InputError(`${where(i)}: --- names ${a}, the diff header ${fp.oldPath}`);
    if (b !== null && fp.newPath !== null && b !== fp.newPath) throw new InputError(`${where(i + 1)}: +++ names ${b}, the diff header ${fp.newPath}`);
  }
  fp.oldPath = a;
  fp.newPath = b;
  return i + 2;
}

function pathOf(raw: string, at: string): string | null {
  // a timestamp after a tab is part of plain diffs, not of the name
  const name = raw.startsWith('"') ? unquote(raw.replace(/\t.*$/, '').trim(), at) : raw.replace(/\t.*$/, '').replace(/\s+$/, '');
  if (name === '/dev/null') return null;
  return checkPath(strip(name, at), at);
}

/** git's -p1: the first component is a/ or b/ (or any one directory in a plain diff). */
function strip(p: string, at: string): string {
  if (p.startsWith('/')) throw new InputError(`${at}: absolute path ${JSON.stringify(p)}: refused`);
  const slash = p.indexOf('/');
  if (slash < 0) throw new InputError(`${at}: path ${JSON.stringify(p)} has no a/ or b/ prefix`);
  return p.slice(slash + 1);
}

export function checkPath(p: string, at: string): string {
  const show = JSON.stringify(p);
  if (p === '') throw new InputError(`${at}: empty path`);
  if (p.startsWith('/')) throw new InputError(`${at}: absolute path ${show}: refused`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(p)) throw new InputError(`${at}: path ${show} has control characters or backslashes: refused`);
  for (const c of p.split('/')) {
    if (c === '..') throw new InputError(`${at}: path ${show} leaves the tree (..): refused`);
    if (c === '' || c === '.') throw new InputError(`${at}: path ${show} is not in canonical form: refused`);
    if (c.toLowerCase() === '.git') throw new InputError(`${at}: path ${show} is inside .git: refused`);
  }
  return p;
}

/** git's C-style quoting of names with unusual bytes. */
function unquote(s: string, at: string): string {
  if (!s.startsWith('"')) return s;
  if (!s.endsWith('"') || s.length < 2) throw new InputError(`${at}: unterminated quoted path`);
  const esc: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', r: '\r', v: '\v' };
  return s.slice(1, -1).replace(/\\([0-7]{3}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(parseInt(e, 8)) : esc[e] ?? e));
}

function hunks(lines: string[], i: number, where: Where, fp: FilePatch): number {
  while (i < lines.length && lines[i].startsWith('@@')) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(lines[i]);
    if (!m) throw new InputError(`${where(i)}: malformed hunk header ${JSON.stringify(lines[i].slice(0, 40))}`);
    const h: Hunk = {
      oldStart: Number(m[1]), oldCount: m[2] === undefined ? 1 : Number(m[2]),
      newStart: Number(m[3]), newCount: m[4] === undefined ? 1 : Number(m[4]),
      lines: [], at: where.line(i),
    };
    let olds = 0;
    let news = 0;
    i++;
    while (olds < h.oldCount || news < h.newCount) {
      if (i >= lines.length) throw new InputError(`${where(i - 1)}: the diff ends inside a hunk (${olds}/${h.oldCount} old, ${news}/${h.newCount} new lines)`);
      const l = lines[i];
      // mailers drop the space of an empty context line; git apply takes it back too
      const op = l === '' ? ' ' : l[0];
      if (op !== ' ' && op !== '-' && op !== '+') {
        throw new InputError(`${where(i)}: hunk line that is not context, - or +: ${JSON.stringify(l.slice(0, 40))}`);
      }
      h.lines.push({ op, text: `${l.slice(1)}\n` });
      if (op !== '+') olds++;
      if (op !== '-') news++;
      i++;
      if (i < lines.length && lines[i].startsWith('\\ ')) {
        const last = h.lines[h.lines.length - 1];
        last.text = last.text.slice(0, -1);
        i++;
      }
    }
    if (olds !== h.oldCount || news !== h.newCount) throw new InputError(`${where(i - 1)}: hunk line counts do not match its header`);
    fp.hunks.push(h);
  }
  return i;
}
