// One archived message reduced to what grouping needs: identity, threading,
// its place in a series, and whether it carries a diff. A message that does
// not parse is kept with the reason, never thrown: one broken mail in an
// archive must not stop the bot.

import { parseMbox, header, type Mail } from '../review/mbox';
import { subjectTag, type SubjectTag } from './subject';

export interface Message {
  messageId: string;
  subject: string;
  from: string;
  inReplyTo: string | null;
  /** the first message of the thread, from References */
  threadRoot: string | null;
  date: string;
  tag: SubjectTag | null;
  hasDiff: boolean;
  baseCommit: string | null;
  changeId: string | null;
}

const MSGID = /<[^<>\s]+>/;

export function readMessage(raw: Buffer, name: string): Message | { error: string } {
  let mail: Mail;
  try {
    const mails = parseMbox(raw, name);
    if (mails.length !== 1) return { error: `${name}: ${mails.length} messages in one archive entry` };
    mail = mails[0];
  } catch (e) {
    return { error: (e as Error).message };
  }
  const messageId = MSGID.exec(mail.messageId)?.[0];
  if (!messageId) return { error: `${name}: no Message-ID` };
  const refs = (header(mail, 'references') ?? '').match(/<[^<>\s]+>/g) ?? [];
  const inReplyTo = MSGID.exec(header(mail, 'in-reply-to') ?? '')?.[0] ?? (refs.length ? refs[refs.length - 1] : null);
  return {
    messageId,
    subject: mail.subject,
    from: mail.from,
    inReplyTo,
    threadRoot: refs[0] ?? inReplyTo,
    date: header(mail, 'date') ?? '',
    tag: subjectTag(mail.subject),
    hasDiff: /^(diff --git |--- \S.*\n\+\+\+ )/m.test(mail.body),
    baseCommit: /^base-commit: ([0-9a-f]{7,40})\s*$/m.exec(mail.body)?.[1] ?? null,
    changeId: /^change-id: (\S+)\s*$/m.exec(mail.body)?.[1] ?? null,
  };
}

/** The address in a From header, lower-cased: the same author across versions. */
export function addressOf(from: string): string {
  return (/<([^<>]+)>/.exec(from)?.[1] ?? from).trim().toLowerCase();
}
