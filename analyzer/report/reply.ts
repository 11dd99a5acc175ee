// A reply to a patch mail, ready for `git send-email` or a bot's mailer:
// threaded under the patch (In-Reply-To, References, "Re:"), addressed to
// its author with its recipients in Cc, dated with the patch's own Date so
// that the same review stays byte for byte the same. Every header is made by
// header.ts, which encodes or refuses what could start another header.

import type { ReportInput, PatchReport } from './model';
import { emailBody, reportMessageId } from './email';
import { addressHeader, idHeader, messageIds, rfc5322Date, textHeader } from './header';

export interface ReplyTarget {
  /** the subject of the mail replied to, decoded (RFC 2047 undone) */
  subject: string;
  /** raw header values of the mail replied to (bytes kept as latin1) */
  messageId: string;
  references: string;
  from: string;
  to: string;
  cc: string;
  /** when the patch was sent, which the reply is dated with */
  date: Date;
}

function display(raw: string): string {
  // raw headers are bytes kept as latin1; an RFC 2047 header is plain ASCII and stays as written
  return Buffer.from(raw, 'latin1').toString('utf8');
}

export function replyMail(input: ReportInput, target: ReplyTarget, patch?: PatchReport): string {
  const about = target.messageId || patch?.subject || input.tree;
  const messageId = reportMessageId(input.reporter, about, patch?.findings ?? []);
  const own = messageIds('Message-ID', target.messageId);
  const refs = [...messageIds('References', target.references), ...own];
  const cc = [target.to, target.cc].filter(Boolean).map(display).join(', ');
  const head = [
    'From callorder Thu Jan  1 00:00:00 1970',
    addressHeader('From', input.reporter.identity),
    ...(target.from ? [addressHeader('To', display(target.from))] : []),
    ...(cc ? [addressHeader('Cc', cc)] : []),
    textHeader('Subject', /^re:/i.test(target.subject) ? target.subject : `Re: ${target.subject}`),
    `Date: ${rfc5322Date(target.date)}`,
    ...(own.length ? [idHeader('In-Reply-To', own)] : []),
    ...(refs.length ? [idHeader('References', refs)] : []),
    idHeader('Message-ID', [messageId]),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  // mboxrd: a body line that would read as a message separator is quoted
  const body = emailBody(input, { patch, messageId }).replace(/^(>*From )/gm, '>$1');
  return `${head.join('\n')}\n\n${body}`;
}
