// The SARIF, email and JSON outputs on findings written here: SARIF validates
// against the official 2.1.0 schema kept in docs/schemas, carries the trace as
// a threadFlow and the line-free id as the partial fingerprint; the email has
// the kernel test robot's layout; every format is the same bytes twice.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sarifValidator } from './sarif.testlib';
import type { Finding } from '../flow/finding';
import type { RuleSpec } from '../pack/rule-spec';
import { render, renderError, FORMATS } from './render';
import { replyMail } from './reply';
import { DEFAULT_REPORTER, type ReportInput } from './model';
import { FINGERPRINT_KEY } from './sarif';
import { readBaseline, splitByBaseline } from './baseline';
import { InputError } from '../util/errors';

const finding = (id: string, line: number): Finding => ({
  id, rule: 'r-one', kind: 'init-before-read', severity: 'warning', confidence: 'high',
  message: `x.f is read before it is initialised on the path from create`,
  file: 'arch/x86/kvm/x.c', line, column: 9, function: 'g', entry: 'create', field: 'x.f',
  trace: [
    { function: 'create', file: 'arch/x86/kvm/x.c', line: 2, note: 'calls g()' },
    { function: 'g', file: 'arch/x86/kvm/x.c', line, note: 'reads x.f, never written yet' },
  ],
});

const SOURCE = Array.from({ length: 20 }, (_, i) => `line ${i + 1};`).join('\n') + '\n';
const rules = [{ id: 'r-one', kind: 'init-before-read', message: 'm', description: 'Fields must be set first. More text.', confidence: 'high', fields: [] }] as unknown as RuleSpec[];

function input(over: Partial<ReportInput> = {}): ReportInput {
  return {
    tree: 'linux-test',
    findings: [finding('aaaa', 10)],
    stats: { files: 1, bytes: 10, functions: 2, entries: 1, rules: 1, notes: ['x.h: symbolic link, not followed'] },
    rules,
    source: (f) => (f === 'arch/x86/kvm/x.c' ? SOURCE : undefined),
    reporter: DEFAULT_REPORTER,
    ...over,
  };
}

describe('sarif', () => {
  const validate = sarifValidator();
  it('validates against the SARIF 2.1.0 schema, with and without a baseline', () => {
    for (const i of [input(), input({ old: [finding('bbbb', 15)], against: 'HEAD' })]) {
      const log = JSON.parse(render('sarif', i));
      assert.equal(validate(log), null);
    }
    assert.equal(validate(JSON.parse(renderError('sarif', 'p:3: bad'))), null);
  });

  it('has rule metadata, relative paths, the trace and the fingerprint', () => {
    const run = JSON.parse(render('sarif', input({ old: [], against: 'HEAD' }))).runs[0];
    assert.equal(run.tool.driver.rules[0].id, 'r-one');
    assert.equal(run.tool.driver.rules[0].shortDescription.text, 'Fields must be set first.');
    const r = run.results[0];
    assert.equal(r.locations[0].physicalLocation.artifactLocation.uri, 'arch/x86/kvm/x.c');
    assert.equal(r.locations[0].physicalLocation.artifactLocation.uriBaseId, '%SRCROOT%');
    assert.equal(r.partialFingerprints[FINGERPRINT_KEY], 'aaaa');
    assert.equal(r.baselineState, 'new');
    assert.deepEqual(r.codeFlows[0].threadFlows[0].locations.map((l: { location: { message: { text: string } } }) => l.location.message.text),
      ['create(): calls g()', 'g(): reads x.f, never written yet']);
  });
});

describe('email', () => {
  it('lays out new and old findings the way the kernel test robot does', () => {
    const text = render('email', input({ old: [finding('bbbb', 15)], against: 'HEAD', reporter: { identity: 'Bot <bot@example.org>', closesUrlBase: 'https://lore.example.org/r/' } }));
    const lines = text.split('\n');
    assert.ok(lines.includes('New callorder warnings:'));
    assert.ok(lines.includes('>> arch/x86/kvm/x.c:10 g() warn: x.f is read before it is initialised on the path from create [r-one]'));
    assert.ok(lines.includes('Old callorder warnings:'));
    assert.ok(lines.includes('arch/x86/kvm/x.c:15 g() warn: x.f is read before it is initialised on the path from create [r-one]'));
    assert.ok(lines.includes('vim +10 arch/x86/kvm/x.c'));
    assert.ok(lines.includes('@10  line 10;'), text);
    assert.ok(lines.includes(' 9  line 9;') || lines.includes('  9  line 9;'), text);
    assert.ok(lines.includes('    -> g() arch/x86/kvm/x.c:10: reads x.f, never written yet'));
    assert.ok(lines.includes('| Reported-by: Bot <bot@example.org>'));
    assert.match(text, /\| Closes: https:\/\/lore\.example\.org\/r\/callorder\.[0-9a-f]{16}@example\.org\//);
    assert.match(text, /If you fix the issue in a separate patch\/commit \(i\.e\. not just a new version of\nthe same patch\/commit\), kindly add following tags/);
  });

  it('a reply is threaded under the patch and quotes From_ lines', () => {
    const i = input({ series: [{ index: 2, total: 3, subject: '[PATCH 2/3] KVM: x', messageId: '<2@x>', findings: [finding('aaaa', 10)] }], old: [] });
    const mail = replyMail(i, { subject: '[PATCH 2/3] KVM: x', messageId: '<2@x>', references: '<0@x>', from: 'A <a@x>', to: 'kvm@vger.kernel.org', cc: '', date: new Date(Date.UTC(2024, 1, 29, 13, 5, 9)) }, i.series![0]);
    assert.match(mail, /^From callorder /);
    assert.match(mail, /\nSubject: Re: \[PATCH 2\/3\] KVM: x\n/);
    assert.match(mail, /\nIn-Reply-To: <2@x>\nReferences: <0@x> <2@x>\n/);
    assert.match(mail, /\nTo: A <a@x>\nCc: kvm@vger.kernel.org\n/);
    assert.match(mail, /\npatch: {4}\[PATCH 2\/3\] KVM: x\n/);
    // dated with the patch's own Date, so the same review is the same bytes
    assert.match(mail, /\nDate: Thu, 29 Feb 2024 13:05:09 \+0000\n/);
  });

  it('every format is deterministic', () => {
    for (const f of FORMATS) assert.equal(render(f, input()), render(f, input()));
  });
});

describe('baseline', () => {
  it('matches by id, whatever the line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-test-'));
    try {
      const file = path.join(dir, 'base.json');
      fs.writeFileSync(file, render('json', input()));
      const before = readBaseline(file);
      const { added, old } = splitByBaseline([finding('aaaa', 12), finding('cccc', 3)], before);
      assert.deepEqual(added.map((f) => f.id), ['cccc']);
      assert.deepEqual(old.map((f) => f.id), ['aaaa']);
      fs.writeFileSync(file, '{"findings": [\n  {"id": 1}\n]}');
      assert.throws(() => readBaseline(file), (e: unknown) => e instanceof InputError && /not a callorder JSON output/.test(e.message));
      fs.writeFileSync(file, '{\n"findings": [,]}');
      assert.throws(() => readBaseline(file), (e: unknown) => e instanceof InputError && /base\.json(:\d+)?: baseline is not JSON/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
