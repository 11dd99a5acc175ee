// The bot's memory, in SQLite (better-sqlite3: synchronous, so a transaction
// is one call and nothing interleaves with it). Everything that must survive
// a kill -9 is written in the same transaction as the progress it stands for:
// a chunk of the archive with the cursor past it, a series' verdict with the
// reports it owes. So a restart re-reads at most the chunk it was in, reviews
// at most the series it was reviewing, and both land on rows that exist.

import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../util/errors';

export type SeriesStatus = 'waiting' | 'queued' | 'reviewed' | 'skipped' | 'failed';
export type ReportKind = 'mail' | 'check';
export type ReportState = 'pending' | 'sending' | 'sent' | 'dropped';

export interface SeriesRow {
  id: string;
  root: string;
  version: number;
  identity: string;
  title: string;
  author: string;
  total: number;
  status: SeriesStatus;
  reason: string | null;
  base: string | null;
  first_seen: number;
  last_seen: number;
  done_at: number | null;
  findings: number | null;
}

export interface PatchRow {
  msgid: string;
  idx: number;
  subject: string;
  raw: Buffer;
}

export interface ReportRow {
  id: number;
  series: string;
  kind: ReportKind;
  target: string;
  payload: string;
  state: ReportState;
  attempts: number;
  error: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  msgid TEXT PRIMARY KEY, epoch INTEGER NOT NULL, seen_at INTEGER NOT NULL,
  subject TEXT NOT NULL, author TEXT NOT NULL, in_reply_to TEXT,
  series TEXT, idx INTEGER, version INTEGER, has_diff INTEGER NOT NULL DEFAULT 0,
  raw BLOB, error TEXT);
CREATE INDEX IF NOT EXISTS messages_series ON messages(series, idx);
CREATE TABLE IF NOT EXISTS series (
  id TEXT PRIMARY KEY, root TEXT NOT NULL, version INTEGER NOT NULL, identity TEXT NOT NULL,
  title TEXT NOT NULL, author TEXT NOT NULL, total INTEGER NOT NULL,
  status TEXT NOT NULL, reason TEXT, base TEXT,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, done_at INTEGER, findings INTEGER);
CREATE INDEX IF NOT EXISTS series_status ON series(status);
CREATE INDEX IF NOT EXISTS series_identity ON series(identity, version);
CREATE TABLE IF NOT EXISTS reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT, series TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
  payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
  created_at INTEGER NOT NULL, sent_at INTEGER, tried_at INTEGER, UNIQUE (series, kind, target));
CREATE INDEX IF NOT EXISTS reports_state ON reports(state);
`;

export class State {
  readonly db: Database.Database;

  constructor(file: string) {
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      // WAL with synchronous=FULL: a commit is on disk before the report it stands for is sent
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new InputError(`${file}: cannot open the bot's state: ${(e as Error).message}`);
    }
  }

  close(): void {
    this.db.close();
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  get(key: string): string | null {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value ?? null;
  }

  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  hasMessage(msgid: string): boolean {
    return this.db.prepare('SELECT 1 FROM messages WHERE msgid = ?').get(msgid) !== undefined;
  }

  messageSeries(msgid: string): { series: string | null; version: number | null } | undefined {
    return this.db.prepare('SELECT series, version FROM messages WHERE msgid = ?').get(msgid) as
      { series: string | null; version: number | null } | undefined;
  }

  addMessage(m: { msgid: string; epoch: number; seenAt: number; subject: string; author: string; inReplyTo: string | null;
    series: string | null; idx: number | null; version: number | null; hasDiff: boolean; raw: Buffer | null; error: string | null }): void {
    this.db.prepare(`INSERT OR IGNORE INTO messages (msgid, epoch, seen_at, subject, author, in_reply_to, series, idx, version, has_diff, raw, error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(m.msgid, m.epoch, m.seenAt, m.subject, m.author, m.inReplyTo,
      m.series, m.idx, m.version, m.hasDiff ? 1 : 0, m.raw, m.error);
  }

  hasCover(series: string): boolean {
    return this.db.prepare('SELECT 1 FROM messages WHERE series = ? AND idx = 0').get(series) !== undefined;
  }

  series(id: string): SeriesRow | undefined {
    return this.db.prepare('SELECT * FROM series WHERE id = ?').get(id) as SeriesRow | undefined;
  }

  /** a series is made by its first message and touched by each later one */
  touchSeries(s: Omit<SeriesRow, 'status' | 'reason' | 'base' | 'done_at' | 'findings' | 'last_seen'>): void {
    this.db.prepare(`INSERT INTO series (id, root, version, identity, title, author, total, status, first_seen, last_seen)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?)
      ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen`).run(
      s.id, s.root, s.version, s.identity, s.title, s.author, s.total, s.first_seen, s.first_seen);
  }

  /** a cover letter or patch 1 names the series better than whichever patch came first */
  nameSeries(id: string, title: string, identity: string): void {
    this.db.prepare('UPDATE series SET title = ?, identity = ? WHERE id = ?').run(title, identity, id);
  }

  withStatus(status: SeriesStatus): SeriesRow[] {
    return this.db.prepare('SELECT * FROM series WHERE status = ? ORDER BY first_seen, id').all(status) as SeriesRow[];
  }

  /** the patches of a series with a diff, one per index (the first archived wins), in order */
  patches(series: string): PatchRow[] {
    return this.db.prepare(`SELECT msgid, idx, subject, raw FROM messages WHERE series = ? AND has_diff = 1 AND raw IS NOT NULL
      AND rowid IN (SELECT MIN(rowid) FROM messages WHERE series = ? AND has_diff = 1 GROUP BY idx) ORDER BY idx`).all(series, series) as PatchRow[];
  }

  /** the series' messages that are not patches with a diff (its cover letter), for base-commit: and change-id: */
  covers(series: string): Buffer[] {
    return (this.db.prepare('SELECT raw FROM messages WHERE series = ? AND has_diff = 0 AND raw IS NOT NULL').all(series) as { raw: Buffer }[]).map((r) => r.raw);
  }

  /** a later version of the same series, as b4 would pick it */
  newerVersion(s: SeriesRow): SeriesRow | undefined {
    return this.db.prepare('SELECT * FROM series WHERE identity = ? AND version > ? ORDER BY version DESC LIMIT 1').get(s.identity, s.version) as SeriesRow | undefined;
  }

  setStatus(id: string, status: SeriesStatus, reason: string | null, at: number | null, extra: { base?: string | null; findings?: number | null } = {}): void {
    this.db.prepare('UPDATE series SET status = ?, reason = ?, done_at = ?, base = COALESCE(?, base), findings = COALESCE(?, findings) WHERE id = ?')
      .run(status, reason, at, extra.base ?? null, extra.findings ?? null, id);
  }

  addReport(series: string, kind: ReportKind, target: string, payload: string, at: number): void {
    this.db.prepare(`INSERT OR IGNORE INTO reports (series, kind, target, payload, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)`)
      .run(series, kind, target, payload, at);
  }

  /** reports owed, but not one that failed less than `retryAfter` seconds ago */
  reportsToSend(now: number, retryAfter: number): ReportRow[] {
    return this.db.prepare(`SELECT id, series, kind, target, payload, state, attempts, error FROM reports
      WHERE state IN ('pending', 'sending') AND (error IS NULL OR tried_at IS NULL OR tried_at <= ?) ORDER BY id`).all(now - retryAfter) as ReportRow[];
  }

  /** a report that could not go out for `age` seconds is given up, with its last reason */
  dropStale(now: number, age: number): number {
    return this.db.prepare(`UPDATE reports SET state = 'dropped' WHERE state = 'pending' AND error IS NOT NULL AND created_at < ?`).run(now - age).changes;
  }

  reportState(id: number, state: ReportState, error: string | null, at: number): void {
    this.db.prepare(`UPDATE reports SET state = ?, error = ?, sent_at = CASE WHEN ? = 'sent' THEN ? END, tried_at = ?,
      attempts = attempts + (CASE WHEN ? = 'sending' THEN 1 ELSE 0 END) WHERE id = ?`)
      .run(state, error, state, at, at, state, id);
  }

  /** the raw mails of series decided before `before`: the verdict and the headers stay */
  forgetMails(before: number): void {
    this.db.prepare(`UPDATE messages SET raw = NULL WHERE raw IS NOT NULL AND series IN
      (SELECT id FROM series WHERE status IN ('reviewed', 'skipped', 'failed') AND done_at < ?)`).run(before);
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM series GROUP BY status').all() as { status: string; n: number }[]) out[r.status] = r.n;
    return out;
  }
}
