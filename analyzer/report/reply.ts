// A reply to a patch mail, ready for `git send-email` or a bot's mailer:
// threaded under the patch (In-Reply-To, References, "Re:"), addressed to
// its author with its recipients in Cc. No Date header: the sender adds one,
// and the same review stays byte for byte the same.

import type { ReportInput, PatchReport } from './model';
import { emailBody, reportMessageId } from './email';

export interface ReplyTarget {
  /** raw header values of the mail replied to */
  subject: string;
  messageId: string;
  references: string;
  from: string;
  to: string;
  cc: string;
}

function display(raw: string): string {
  // raw headers are bytes kept as latin1; an RFC 2047 header is plain ASCII and stays as written
  return Buffer.from(raw, 'latin1').toString('utf8');
}

export function replyMail(input: ReportInput, target: ReplyTarget, patch?: PatchReport): string {
  const about = target.messageId || patch?.subject || input.tree;
  const messageId = reportMessageId(input.reporter, about, patch?.findings ?? []);
  const subject = display(target.subject);
  const refs = [target.references, target.messageId].filter(Boolean).join(' ');
  const cc = [target.to, target.cc].filter(Boolean).map(display).join(', ');
  const head = [
    'From callorder Thu Jan  1 00:00:00 1970',
    `From: ${input.reporter.identity}`,
    ...(target.from ? [`To: ${display(target.from)}`] : []),
    ...(cc ? [`Cc: ${cc}`] : []),
    `Subject: ${/^re:/i.test(subject) ? subject : `Re: ${subject}`}`,
    ...(target.messageId ? [`In-Reply-To: ${target.messageId}`] : []),
    ...(refs ? [`References: ${refs}`] : []),
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  // mboxrd: a body line that would read as a message separator is quoted
  const body = emailBody(input, { patch, messageId }).replace(/^(>*From )/gm, '>$1');
  return `${head.join('\n')}\n\n${body}`;
}
