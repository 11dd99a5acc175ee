// What the bot has done, from its state alone: series waiting, reviewed
// today, failures with their reasons, reports not yet sent, the last message
// read. As text for `bot status`, and as a static HTML page a web server can
// serve (written to a temporary name and renamed, so a reader never sees half).

import * as fs from 'node:fs';
import type { State, SeriesRow } from './state';
import { label } from './schedule';

export interface Status {
  counts: Record<string, number>;
  waiting: SeriesRow[];
  reviewedToday: SeriesRow[];
  failures: SeriesRow[];
  unsent: number;
  dropped: number;
  lastMessage: { messageId: string; epoch: number; commit: string; at: number } | null;
}

const LIST = 50;

export function status(state: State, now: number): Status {
  const day = now - (now % 86400);
  // bounded spread: a query's few bound parameters, written here
  const rows = (sql: string, ...args: unknown[]) => state.db.prepare(sql).all(...args) as SeriesRow[];
  const last = state.get('last_message');
  return {
    counts: state.counts(),
    waiting: rows(`SELECT * FROM series WHERE status IN ('waiting', 'queued') ORDER BY first_seen, id LIMIT ${LIST}`),
    reviewedToday: rows(`SELECT * FROM series WHERE status = 'reviewed' AND done_at >= ? ORDER BY done_at, id LIMIT ${LIST}`, day),
    failures: rows(`SELECT * FROM series WHERE status = 'failed' ORDER BY done_at DESC, id LIMIT ${LIST}`),
    unsent: (state.db.prepare(`SELECT COUNT(*) AS n FROM reports WHERE state IN ('pending', 'sending')`).get() as { n: number }).n,
    dropped: (state.db.prepare(`SELECT COUNT(*) AS n FROM reports WHERE state = 'dropped'`).get() as { n: number }).n,
    lastMessage: last ? (JSON.parse(last) as Status['lastMessage']) : null,
  };
}

const iso = (t: number | null) => (t === null ? '-' : new Date(t * 1000).toISOString().replace(/\.000Z$/, 'Z'));

export function statusText(st: Status): string {
  const out: string[] = [];
  const c = st.counts;
  out.push(`series: ${['waiting', 'queued', 'reviewed', 'skipped', 'failed'].map((k) => `${c[k] ?? 0} ${k}`).join(', ')}`);
  out.push(`reports not yet sent: ${st.unsent}${st.dropped ? `, given up: ${st.dropped}` : ''}`);
  out.push(`last message: ${st.lastMessage ? `${st.lastMessage.messageId} (epoch ${st.lastMessage.epoch}, commit ${st.lastMessage.commit.slice(0, 12)}, read ${iso(st.lastMessage.at)})` : 'none yet'}`);
  out.push('', `waiting (${st.waiting.length}):`);
  for (const s of st.waiting) out.push(`  ${label(s)}  ${s.status}, last message ${iso(s.last_seen)}`);
  out.push('', `reviewed today (${st.reviewedToday.length}):`);
  for (const s of st.reviewedToday) out.push(`  ${label(s)}  ${s.findings ?? 0} new warning${s.findings === 1 ? '' : 's'}, base ${s.base ?? '-'}`);
  out.push('', `failures (${st.failures.length}):`);
  for (const s of st.failures) out.push(`  ${label(s)}  ${s.reason ?? ''}`);
  return `${out.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function statusHtml(st: Status): string {
  const table = (title: string, rows: SeriesRow[], cols: [string, (s: SeriesRow) => string][]) => [
    `<h2>${esc(title)} (${rows.length})</h2>`,
    '<table>',
    `<tr><th>series</th>${cols.map(([h]) => `<th>${esc(h)}</th>`).join('')}</tr>`,
    ...rows.map((s) => `<tr><td>${esc(label(s))}<br><small>${esc(s.id)}</small></td>${cols.map(([, f]) => `<td>${esc(f(s))}</td>`).join('')}</tr>`),
    '</table>',
  ].join('\n');
  const c = st.counts;
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><title>callorder bot</title>',
    '<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}</style>',
    '</head><body>',
    '<h1>callorder bot</h1>',
    `<p>${esc(['waiting', 'queued', 'reviewed', 'skipped', 'failed'].map((k) => `${c[k] ?? 0} ${k}`).join(', '))}; reports not yet sent: ${st.unsent}${st.dropped ? `, given up: ${st.dropped}` : ''}</p>`,
    `<p>last message: ${st.lastMessage ? esc(`${st.lastMessage.messageId}, read ${iso(st.lastMessage.at)}`) : 'none yet'}</p>`,
    table('waiting', st.waiting, [['status', (s) => s.status], ['last message', (s) => iso(s.last_seen)]]),
    table('reviewed today', st.reviewedToday, [['new warnings', (s) => String(s.findings ?? 0)], ['base', (s) => s.base ?? '-']]),
    table('failures', st.failures, [['reason', (s) => s.reason ?? ''], ['when', (s) => iso(s.done_at)]]),
    '</body></html>',
    '',
  ].join('\n');
}

export function writeHtml(file: string, html: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, html);
  fs.renameSync(tmp, file);
}
