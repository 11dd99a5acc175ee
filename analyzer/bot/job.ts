// One series reviewed in a child process: `callorder review` on the series'
// mbox over the base tree, JSON for the verdict, then --mailback for the
// replies when there are findings. A child per series is what makes a
// hostile series fail alone: a crash, a runaway parse or a blown heap ends
// that child (killed at the deadline), the bot records why and goes on. The
// child has review's own limits (patch size, per-file parse timeout).

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface JobLimits {
  /** seconds for the whole review of a series */
  deadline: number;
  maxPatchSize: number;
  /** per-file parse budget, seconds */
  parseTimeout: number;
  /** heap of the child, MiB */
  heapMb: number;
}

export interface JobInput {
  mbox: Buffer;
  tree: string;
  rules?: string;
  reporter?: string;
  closesUrlBase?: string;
  limits: JobLimits;
}

export interface PatchVerdict {
  index: number;
  messageId: string;
  subject: string;
  findings: { file: string; line: number; function: string; message: string; rule: string }[];
}

export type JobResult =
  | { ok: true; patches: PatchVerdict[]; replies: string[] }
  | { ok: false; reason: string };

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');
const MAX_OUTPUT = 64 * 1024 * 1024;

// a review left running when the bot exits (a signal, an error) would spend a core on a verdict nobody records
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string; timedOut: boolean; tooBig: boolean }

function runReview(args: string[], input: JobInput): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, CALLORDER_NO_SERVER: '1', NODE_OPTIONS: `--max-old-space-size=${input.limits.heapMb}` };
    const c = spawn(process.execPath, [CLI, 'review', '-', '--tree', input.tree, '--jobs', '1',
      '--max-patch-size', String(input.limits.maxPatchSize), '--timeout', String(input.limits.parseTimeout),
      ...(input.rules ? ['--rules', input.rules] : []),
      ...(input.reporter ? ['--reporter', input.reporter] : []),
      ...(input.closesUrlBase ? ['--closes-url-base', input.closesUrlBase] : []), ...args],
    { env, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(c);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let tooBig = false;
    const timer = setTimeout(() => {
      timedOut = true;
      c.kill('SIGKILL');
    }, input.limits.deadline * 1000);
    c.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT) {
        tooBig = true;
        c.kill('SIGKILL');
      } else out.push(b);
    });
    c.stderr.on('data', (b: Buffer) => {
      if (err.length < 64) err.push(b);
    });
    // a child that dies before reading its input closes the pipe: that is its exit to report, not ours
    c.stdin.on('error', () => undefined);
    c.stdin.end(input.mbox);
    c.on('close', (code, signal) => {
      live.delete(c);
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), timedOut, tooBig });
    });
  });
}

function failure(r: Run, deadline: number): string | null {
  if (r.timedOut) return `review did not finish within ${deadline} s`;
  if (r.tooBig) return `review wrote more than ${MAX_OUTPUT} bytes`;
  if (r.signal) return `review ended by ${r.signal}`;
  if (r.code === 0 || r.code === 1) return null;
  const line = r.stderr.split('\n').find((l) => l.trim()) ?? `exit ${r.code}`;
  return line.replace(/^callorder: /, '');
}

export async function reviewJob(input: JobInput): Promise<JobResult> {
  const first = await runReview(['--format', 'json'], input);
  const bad = failure(first, input.limits.deadline);
  if (bad) return { ok: false, reason: bad };
  let patches: PatchVerdict[];
  try {
    const j = JSON.parse(first.stdout.toString('utf8')) as { series?: PatchVerdict[] };
    patches = (j.series ?? []).map((p) => ({ index: p.index, messageId: p.messageId, subject: p.subject,
      findings: p.findings.map((f) => ({ file: f.file, line: f.line, function: f.function, message: f.message, rule: f.rule })) }));
  } catch {
    return { ok: false, reason: 'review printed JSON that does not parse' };
  }
  if (first.code === 0) return { ok: true, patches, replies: [] };
  const second = await runReview(['--mailback'], input);
  const bad2 = failure(second, input.limits.deadline);
  if (bad2) return { ok: false, reason: bad2 };
  return { ok: true, patches, replies: splitMbox(second.stdout.toString('utf8')) };
}

/** --mailback's mbox, one reply each: every reply starts with the same From_ line. */
export function splitMbox(text: string): string[] {
  const out: string[] = [];
  const starts: number[] = [];
  const re = /^From callorder /gm;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index);
  for (let i = 0; i < starts.length; i++) out.push(text.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : text.length).replace(/\n+$/, '\n'));
  return out;
}
