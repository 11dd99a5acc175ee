// Mail as b4 and git format-patch write it: an mbox of messages (or one
// message, or a bare diff), headers unfolded and RFC 2047 subjects decoded,
// bodies undone from quoted-printable/base64. Text is kept as latin1 so a
// byte is a character: a diff applies byte for byte whatever its encoding.
// Input comes from strangers: anything unexpected is an InputError naming
// the line, never a guess.

import { escapeRe } from '../util/regexp';
import { InputError } from '../util/errors';

export interface Mail {
  /** 1-based line of the input where the message starts */
  line: number;
  headers: [string, string][];
  subject: string;
  messageId: string;
  from: string;
  /** body as latin1 text (bytes), transfer encoding undone */
  body: string;
  /** 1-based input line of the first body line, for messages about the diff */
  bodyLine: number;
}

export function header(m: Pick<Mail, 'headers'>, name: string): string | undefined {
  const n = name.toLowerCase();
  return m.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

const FROM_LINE = /^From \S*/;
const HEADER = /^([\x21-\x39\x3b-\x7e]+):[ \t]?(.*)$/s;

export function parseMbox(input: Buffer, name: string): Mail[] {
  if (input.length === 0) throw new InputError(`${name}: empty input, no mail`);
  const nul = input.indexOf(0);
  if (nul >= 0) throw new InputError(`${name}:${lineAt(input, nul)}: NUL byte: not a mail or a patch`);
  let text = input.toString('latin1');
  if (text.startsWith('\ufeff')) text = text.slice(1);
  let lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // mail that passed through a CRLF system: git am strips the CRs too
  if (lines.length && lines[0].endsWith('\r')) lines = lines.map((l) => l.replace(/\r$/, ''));

  if (!FROM_LINE.test(lines[0])) {
    if (/^(diff --git |--- |Index: )/.test(lines[0])) {
      return [{ line: 1, headers: [], subject: '(bare diff)', messageId: '', from: '', body: lines.join('\n') + '\n', bodyLine: 1 }];
    }
    if (!HEADER.test(lines[0])) throw new InputError(`${name}:1: not an mbox, a mail or a diff`);
    return [parseMessage(lines, 0, lines.length, name, false)];
  }
  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (FROM_LINE.test(lines[i]) && (i === 0 || lines[i - 1] === '')) starts.push(i);
  }
  return starts.map((s, k) => parseMessage(lines, s + 1, k + 1 < starts.length ? starts[k + 1] : lines.length, name, true));
}

function parseMessage(lines: string[], from: number, to: number, name: string, mboxrd: boolean): Mail {
  const headers: [string, string][] = [];
  let i = from;
  for (; i < to; i++) {
    const l = lines[i];
    if (l === '') break;
    if (/^[ \t]/.test(l) && headers.length) {
      headers[headers.length - 1][1] += ` ${l.trim()}`;
      continue;
    }
    const m = HEADER.exec(l);
    if (!m) throw new InputError(`${name}:${i + 1}: malformed mail header: ${JSON.stringify(l.slice(0, 60))}`);
    headers.push([m[1], m[2].trim()]);
  }
  if (!headers.length) throw new InputError(`${name}:${from + 1}: a message with no headers`);
  if (i >= to) throw new InputError(`${name}:${from + 1}: the headers never end: no body`);
  let bodyLines = lines.slice(i + 1, to);
  // the blank line before the next From_ line belongs to the mbox, not the mail
  if (bodyLines.length && bodyLines[bodyLines.length - 1] === '' && to < lines.length) bodyLines.pop();
  if (mboxrd) bodyLines = bodyLines.map((l) => (/^>+From /.test(l) ? l.slice(1) : l));
  const m: Mail = {
    line: from,
    headers,
    subject: decodeWords(header({ headers }, 'subject') ?? ''),
    messageId: (header({ headers }, 'message-id') ?? '').trim(),
    from: decodeWords(header({ headers }, 'from') ?? ''),
    body: '',
    bodyLine: i + 2,
  };
  m.body = decodeBody(headers, bodyLines.join('\n') + '\n', name, i + 2);
  return m;
}

function decodeBody(headers: [string, string][], raw: string, name: string, line: number): string {
  const type = header({ headers }, 'content-type') ?? 'text/plain';
  const cte = (header({ headers }, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  if (/^multipart\//i.test(type)) {
    const b = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (!b) throw new InputError(`${name}:${line}: multipart mail without a boundary`);
    const parts = raw.split(new RegExp(`^--${escapeRe(b)}(?:--)?[ \\t]*$`, 'm')).slice(1, -1);
    if (!parts.length) throw new InputError(`${name}:${line}: multipart mail whose boundary never appears`);
    const texts: string[] = [];
    for (const part of parts) {
      const sep = part.indexOf('\n\n');
      if (sep < 0) continue;
      const ph: [string, string][] = [];
      for (const l of part.slice(1, sep).split('\n')) {
        const hm = HEADER.exec(l);
        if (hm) ph.push([hm[1], hm[2].trim()]);
        else if (/^[ \t]/.test(l) && ph.length) ph[ph.length - 1][1] += ` ${l.trim()}`;
      }
      const pt = header({ headers: ph }, 'content-type') ?? 'text/plain';
      if (/^text\/(plain|x-patch|x-diff)/i.test(pt)) texts.push(decodeBody(ph, part.slice(sep + 2), name, line));
    }
    return texts.join('');
  }
  if (cte === 'quoted-printable') {
    return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  if (cte === 'base64') {
    if (!/^[A-Za-z0-9+/=\s]*$/.test(raw)) throw new InputError(`${name}:${line}: base64 body with characters outside base64`);
    return Buffer.from(raw.replace(/\s+/g, ''), 'base64').toString('latin1');
  }
  return raw;
}

/** RFC 2047 encoded words (=?utf-8?q?...?= / ?b?), as UTF-8 text; the rest of the header read as UTF-8 too. */
export function decodeWords(v: string): string {
  const joined = v.replace(/\?=\s+=\?/g, '?==?');
  const out = joined.replace(/=\?([^?]+)\?([qQbB])\?([^?]*)\?=/g, (_, cs: string, enc: string, data: string) => {
    const bytes = enc.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64')
      : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (__, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return Buffer.from(bytes.toString(/^(utf-?8|us-ascii)$/i.test(cs) ? 'utf8' : 'latin1'), 'utf8').toString('latin1');
  });
  return Buffer.from(out, 'latin1').toString('utf8');
}

function lineAt(b: Buffer, off: number): number {
  let n = 1;
  for (let i = 0; i < off; i++) if (b[i] === 10) n++;
  return n;
}
