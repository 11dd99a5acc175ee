// Reply mails out of the bot: into a maildir (exactly once: the file is named
// by the mail's Message-ID and linked into new/ from tmp/, so a delivery
// repeated after a kill finds it there), or to a sendmail-compatible command
// on standard input (at least once: a kill between the command's exit and the
// state's commit sends that mail again on restart; nothing can ask an MTA
// what it already took).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';

/** The mail as handed over: --mailback's reply without its mbox From_ line, with the Date of the review. */
export function outgoing(reply: string, date: Date): string {
  const body = reply.replace(/^From callorder [^\n]*\n/, '');
  return body.replace(/^(From: [^\n]*\n)/, `$1Date: ${date.toUTCString().replace(/GMT$/, '+0000')}\n`);
}

export function messageIdOf(mail: string): string {
  return /^Message-ID: (\S+)$/im.exec(mail.slice(0, mail.indexOf('\n\n') >>> 0))?.[1] ?? '';
}

export function maildirName(mail: string): string {
  return `callorder.${createHash('sha256').update(messageIdOf(mail) || mail).digest('hex').slice(0, 32)}`;
}

export function toMaildir(dir: string, mail: string): 'delivered' | 'already there' {
  for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const name = maildirName(mail);
  const dest = path.join(dir, 'new', name);
  if (fs.existsSync(dest) || fs.readdirSync(path.join(dir, 'cur')).some((n) => n.startsWith(`${name}:`) || n === name)) return 'already there';
  const tmp = path.join(dir, 'tmp', `${name}.${process.pid}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, mail);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return 'delivered';
}

/** Runs the command with the mail on stdin; null when it took the mail, else why not. */
export function toSendmail(command: string[], mail: string, timeoutMs = 60_000): Promise<string | null> {
  return new Promise((resolve) => {
    const c = spawn(command[0], command.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.stderr.on('data', (b: Buffer) => {
      if (err.length < 4096) err += b.toString('utf8');
    });
    c.on('error', (e) => {
      clearTimeout(timer);
      resolve(`${command[0]}: ${e.message}`);
    });
    c.stdin.on('error', () => undefined);
    c.stdin.end(mail);
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(null);
      else resolve(`${command[0]}: ${signal ? `ended by ${signal}` : `exit ${code}`}${err.trim() ? `: ${err.trim().split('\n')[0]}` : ''}`);
    });
  });
}
