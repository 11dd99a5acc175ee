// Every mail header callorder writes is made here, so that none can carry a
// second header in it. Values come from strangers (a patch's Subject, To,
// Cc, Message-ID, References) and from the user (--reporter): a control
// character (CR, LF, NUL, ESC...) in text is encoded, in an address or a
// message id it is refused; text that is not printable ASCII becomes RFC 2047
// encoded words (UTF-8, Q encoding), so the header is plain ASCII; and a long
// header is folded at white space (RFC 5322 2.2.3) into lines of at most 78
// characters where it can be, never more than 998. Each header is one line,
// or one line and continuation lines that begin with a space.

import { HeaderError } from '../util/errors';

const SOFT_LIMIT = 78;
const HARD_LIMIT = 998;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const PRINTABLE_ASCII = /^[\x20-\x7e\t]*$/;

/** An unstructured header (Subject): anything may be in it; what is not plain ASCII text is encoded. */
export function textHeader(name: string, value: string): string {
  checkName(name);
  const plain = PRINTABLE_ASCII.test(value) && !value.includes('=?');
  if (plain) {
    const folded = fold(name, value.split(' '));
    if (folded) return folded;
  }
  return encodedHeader(name, value);
}

/** A header of mailboxes (From, To, Cc): `Name <a@b>, c@d`. Display names are encoded when not ASCII; control characters are refused. */
export function addressHeader(name: string, value: string): string {
  checkName(name);
  const v = value.replace(/\t/g, ' ');
  if (CONTROL.test(v)) throw new HeaderError(`the ${name}: header has a control character: refused`);
  const tokens: string[] = [];
  const boxes = splitMailboxes(v);
  for (const [k, box] of boxes.entries()) {
    const words = mailbox(name, box);
    if (k < boxes.length - 1) words[words.length - 1] += ',';
    for (const w of words) tokens.push(w);
  }
  const folded = fold(name, tokens);
  if (!folded) throw new HeaderError(`the ${name}: header has an address longer than a mail line: refused`);
  return folded;
}

/** A header of message ids (Message-ID, In-Reply-To, References): only `<id>` tokens of printable ASCII. */
export function idHeader(name: string, ids: string[]): string {
  checkName(name);
  for (const id of ids) {
    if (!/^<[\x21-\x3b\x3d\x3f-\x7e]+>$/.test(id)) throw new HeaderError(`the ${name}: header's ${JSON.stringify(id.slice(0, 40))} is not a message id: refused`);
  }
  const folded = fold(name, ids);
  if (!folded) throw new HeaderError(`the ${name}: header has a message id longer than a mail line: refused`);
  return folded;
}

/** The message ids of a raw header value (References, In-Reply-To); a control character or a byte outside ASCII is refused. */
export function messageIds(name: string, raw: string): string[] {
  if (CONTROL.test(raw) || !PRINTABLE_ASCII.test(raw)) throw new HeaderError(`the ${name}: header has a control character or a byte outside ASCII: refused`);
  return raw.match(/<[^<>\s]*>/g) ?? [];
}

/** A Date header's value (RFC 5322 3.3), in UTC. */
export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function checkName(name: string): void {
  // a name of our own code: a wrong one is a bug here, not bad input
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new Error(`not a header name: ${JSON.stringify(name)}`);
}

/**
 * `Name: ` and the tokens, a space between each, folded before a space so
 * that a line stays within 78 characters where a token allows; null when a
 * token alone makes a line longer than 998.
 */
function fold(name: string, tokens: string[]): string | null {
  const lines: string[] = [];
  let line = `${name}:`;
  for (const [k, t] of tokens.entries()) {
    const next = `${line} ${t}`;
    // never a break before an empty token: a line of white space alone is not a header line
    if (k > 0 && next.length > SOFT_LIMIT && t !== '' && line.trim() !== '') {
      lines.push(line);
      line = ` ${t}`;
    } else line = next;
  }
  lines.push(line);
  return lines.every((l) => l.length <= HARD_LIMIT) ? lines.join('\n') : null;
}

/** `Name: =?UTF-8?Q?...?=` words, one a line, each at most 76 characters on its line and whole UTF-8 characters. */
function encodedHeader(name: string, value: string, phrase = false): string {
  return `${name}: ${encodedWords(value, 76 - Math.max(name.length + 2, 1), phrase).join('\n ')}`;
}

/** RFC 2047 Q encoding of text: the safe characters as they are (RFC 2047 5(3) in a phrase), a space as `_`, the rest =XX. */
function encodedWords(value: string, max: number, phrase: boolean): string[] {
  const safe = phrase ? /[A-Za-z0-9!*+\-/]/ : /[\x21-\x3c\x3e\x40-\x5e\x60-\x7e]/;
  const open = '=?UTF-8?Q?';
  const close = '?=';
  const words: string[] = [];
  let cur = '';
  for (const ch of value) {
    let enc: string;
    if (ch === ' ') enc = '_';
    else if (ch.length === 1 && safe.test(ch)) enc = ch;
    else enc = [...Buffer.from(ch, 'utf8')].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    if (cur && open.length + cur.length + enc.length + close.length > max) {
      words.push(`${open}${cur}${close}`);
      cur = '';
    }
    cur += enc;
  }
  words.push(`${open}${cur}${close}`);
  return words;
}

/** Mailboxes of an address list, split at commas outside quotes, angle brackets and comments. */
function splitMailboxes(v: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  let comment = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quoted) {
      if (c === '\\' && i + 1 < v.length) {
        cur += c + v[++i];
        continue;
      }
      if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') angle++;
    else if (c === '>') angle = Math.max(0, angle - 1);
    else if (c === '(') comment++;
    else if (c === ')') comment = Math.max(0, comment - 1);
    else if (c === ',' && !angle && !comment) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** One mailbox as the tokens of a header: an ASCII one as written, a display name outside ASCII as encoded words. */
function mailbox(name: string, box: string): string[] {
  const m = /^(.*?)\s*<([^<>]*)>$/.exec(box);
  const addr = m ? m[2] : box;
  if (!PRINTABLE_ASCII.test(addr)) throw new HeaderError(`the ${name}: header has an address outside ASCII: refused`);
  if (PRINTABLE_ASCII.test(box)) return box.split(' ');
  if (!m) throw new HeaderError(`the ${name}: header has an address outside ASCII: refused`);
  let display = m[1].trim();
  const q = /^"((?:[^"\\]|\\.)*)"$/.exec(display);
  if (q) display = q[1].replace(/\\(.)/g, '$1');
  return [...encodedWords(display, 75, true), `<${addr}>`];
}
