// `callorder review` end to end on Debian's 6.12 tree with a 3-patch series
// (fixtures/review/series-6.12.mbox, made with git format-patch): 1/3 adds a
// comment inside kvm_arch_vcpu_create(), 2/3 drops the "vCPU has run" check of
// kvm_set_cpuid(), 3/3 edits a comment in vmx.c. Only 2/3 adds findings; the
// email names it, the line and the trace; the same series twice is the same
// bytes (the second run from the cache the first wrote); JSON and SARIF carry
// the same findings; --mailback answers 2/3 in its thread.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fetchKernel } from '../source/fetch-kernel';
import { sarifValidator } from '../report/sarif.testlib';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'callorder');
const SERIES = path.join(ROOT, 'fixtures', 'review', 'series-6.12.mbox');
/** lines 2/3 removes above the findings it causes in cpuid.c */
const REMOVED_ABOVE = 20;

describe('review of a 3-patch series on 6.12', () => {
  let tree: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    tree = fetchKernel('6.12');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    env = { ...process.env, CALLORDER_CACHE: work };
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const review = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'review', SERIES, '--tree', tree, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  let email = '';
  it('email: names patch 2/3, the line and the trace', () => {
    const r = review('--format', 'email');
    assert.equal(r.code, 1, r.stderr);
    email = r.stdout;
    const lines = email.split('\n');
    const warn = lines.filter((l) => l.startsWith('>> '));
    assert.ok(warn.length >= 1, email);
    const original = fs.readFileSync(path.join(tree, 'arch/x86/kvm/cpuid.c'), 'utf8').split('\n');
    for (const w of warn) {
      const m = /^>> arch\/x86\/kvm\/cpuid\.c:(\d+) kvm_set_cpuid\(\) warn: .* \[set-cpuid-after-run\]$/.exec(w);
      assert.ok(m, w);
      const line = Number(m[1]);
      assert.equal(lines[lines.indexOf(w) + 1], '   introduced by [PATCH 2/3] KVM: x86: Let KVM_SET_CPUID2 replace the vCPU model at any time');
      // the excerpt marks the line, and it is the line of the tree as patched
      const marked = lines.find((l) => l.startsWith(`@${line}  `));
      assert.ok(marked, `excerpt marks line ${line}`);
      assert.equal(marked.slice(`@${line}  `.length), original[line + REMOVED_ABOVE - 1].trimEnd());
      assert.ok(lines.some((l) => new RegExp(`^ {4}-> kvm_set_cpuid\\(\\) arch/x86/kvm/cpuid\\.c:${line}: `).test(l)), `trace reaches line ${line}`);
    }
    assert.ok(lines.some((l) => /^ {4}kvm_vcpu_ioctl_set_cpuid2?\(\) arch\/x86\/kvm\/cpuid\.c:\d+: calls kvm_set_cpuid\(\)$/.test(l)), email);
    assert.doesNotMatch(email, /introduced by \[PATCH [13]\/3\]/);
    assert.ok(lines.includes('Old callorder warnings:'));
    // no Closes: link unless an archive is configured (--closes-url-base): a default one was a dead link
    assert.match(email, /\| Reported-by: callorder <callorder@localhost>\n\n/);
    assert.doesNotMatch(email, /Closes:/);
    // dated with the series' own Date, not the time of the run
    assert.match(email, /\ndate: {5}Mon, 6 Jan 2025 10:00:00 \+0000\n/);
  });

  it('the same series twice gives the same bytes', () => {
    const r = review('--format', 'email');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, email);
  });

  it('JSON and SARIF carry the same findings, attributed to 2/3', () => {
    const j = JSON.parse(review('--format', 'json').stdout);
    const ids = j.findings.map((f: { id: string }) => f.id);
    assert.ok(ids.length >= 1);
    assert.deepEqual(j.series.map((s: { findings: unknown[] }) => s.findings.length > 0), [false, true, false]);
    assert.deepEqual(j.series[1].findings.map((f: { id: string }) => f.id), ids);
    assert.equal(j.series[1].messageId, '<2b.1736157600.git.alice@example.org>');
    const s = JSON.parse(review('--format', 'sarif').stdout);
    assert.equal(sarifValidator()(s), null);
    const results = s.runs[0].results;
    assert.deepEqual(results.map((r: { partialFingerprints: Record<string, string> }) => r.partialFingerprints['callorderId/v1']), ids);
    assert.deepEqual(results.map((r: { locations: { physicalLocation: { region: { startLine: number } } }[] }) => r.locations[0].physicalLocation.region.startLine),
      j.findings.map((f: { line: number }) => f.line));
    assert.ok(results.every((r: { baselineState: string; properties: { patch: { index: number } } }) => r.baselineState === 'new' && r.properties.patch.index === 2));
  });

  it('--mailback replies to 2/3 in its thread', () => {
    const r = review('--mailback');
    assert.equal(r.code, 1);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('From callorder ')).length, 1);
    // headers are folded at 78 characters (RFC 5322): read them unfolded
    const head = r.stdout.slice(0, r.stdout.indexOf('\n\n') + 1);
    assert.ok(head.split('\n').every((l) => l.length <= 78), head);
    const unfolded = head.replace(/\n /g, ' ');
    assert.match(unfolded, /\nSubject: Re: \[PATCH 2\/3\] KVM: x86: Let KVM_SET_CPUID2 replace the vCPU model at any time\n/);
    assert.match(unfolded, /\nDate: Mon, 6 Jan 2025 10:00:00 \+0000\n/);
    assert.match(unfolded, /\nIn-Reply-To: <2b\.1736157600\.git\.alice@example\.org>\nReferences: <cover\.1736157600\.git\.alice@example\.org> <2b\.1736157600\.git\.alice@example\.org>\n/);
    assert.match(unfolded, /\nTo: Alice Example <alice@example\.org>\nCc: kvm@vger\.kernel\.org, Sean Christopherson <seanjc@google\.com>\n/);
  });
});
