// `callorder review --format b4`: b4's review-check JSON, one entry a patch,
// on a series made with git format-patch over a small tree (the bot's
// fixture): pass for the patch that adds nothing, warn with the finding and
// its path for the one that adds the hazard, one fail entry and exit 2 for a
// series that cannot be reviewed.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeSeries, ROOT, type Series } from '../bot/archive.fixture';

const CLI = path.join(ROOT, 'bin', 'callorder');

describe('review --format b4', () => {
  let work: string;
  let tree: string;
  let pack: string;
  let series: Record<string, Series>;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-b4-'));
    ({ tree, pack, series } = makeSeries(work));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const review = (mbox: string) => spawnSync(process.execPath, [CLI, 'review', '-', '--tree', tree, '--rules', pack, '--format', 'b4'],
    { input: mbox, encoding: 'utf8', timeout: 120_000 });

  it('a pass for patch 1, a warn with the finding and its path for patch 2', () => {
    const r = review(series.v2.mails.join('\n'));
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { tool: string; status: string; summary: string; url: string; details: string }[];
    assert.equal(out.length, 2);
    assert.deepEqual(out[0], { tool: 'callorder', status: 'pass', summary: 'no new call-ordering warnings', url: '', details: '' });
    assert.equal(out[1].status, 'warn');
    assert.equal(out[1].summary, '1 new call-ordering warning');
    const lines = out[1].details.split('\n');
    assert.match(lines[0], /^arch\/x86\/kvm\/kvm_host\.h:\d+ cpuid_maxphyaddr\(\) warn: .* \[cpuid-state-before-read\]$/);
    assert.match(lines[1], /^ {4}kvm_arch_vcpu_create\(\) arch\/x86\/kvm\/x86\.c:\d+: calls __kvm_mmu_create\(\)$/);
  });

  it('v1 (the call after the state is derived): every patch passes, exit 0', () => {
    const r = review(series.v1.mails.join('\n'));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { status: string }[]).map((c) => c.status), ['pass', 'pass']);
  });

  it('a series that cannot be reviewed: one fail entry with the reason, exit 2, the reason on stderr', () => {
    const r = review(series.hostile.mails.join('\n'));
    assert.equal(r.status, 2);
    const reason = r.stderr.trim().replace(/^callorder: /, '');
    assert.match(reason, /the patch makes "arch\/x86\/kvm\/lnk" a symbolic link: refused$/);
    assert.deepEqual(JSON.parse(r.stdout), [{ tool: 'callorder', status: 'fail', summary: reason, url: '', details: '' }]);
  });
});
