// Reusing a nearby tree's result entry by entry, on fixtures/incremental:
// widget_create reads widget.size before widget_setup() (one finding);
// widget_attach calls widget_probe(), which no file defines. Each edit is
// analysed against the first tree's result and must give exactly what a
// full run without the cache gives, reusing only the entries it says.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadPack, type Pack } from '../pack/load';
import { snapshotDir, type SourceTree } from '../source/snapshot';
import { edited, ownCache } from '../flow/near-tree.fixture';
import { AnalysisHost, type Analysis } from './analyze';

// one session for the file, as a process has: its runs carry summaries from one to the next
const host = new AnalysisHost();
const analyze = host.analyze.bind(host);

const DIR = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'incremental');

const where = (a: Analysis) => a.findings.map((f) => `${f.file}:${f.line} ${f.function}() ${f.entry}: ${f.message}`);

describe('a nearby tree\'s result, reused entry by entry', () => {
  let pack: Pack;
  let base: SourceTree;
  let first: Analysis;
  let restore: () => void;

  before(async () => {
    restore = ownCache();
    pack = loadPack(path.join(DIR, 'pack.json'));
    base = snapshotDir(DIR, pack);
    first = await analyze(base, pack);
    assert.equal(first.how, 'run');
    assert.deepEqual(where(first), [
      'create.c:6 widget_size_of() widget_create: widget.size is read before widget_setup() set it, on the path from widget_create',
    ]);
  });
  after(() => restore());

  /** The analysis of `t` against the first tree, checked against a full run. */
  async function near(t: SourceTree): Promise<Analysis> {
    const a = await analyze(t, pack, { near: first });
    const full = await analyze(t, pack, { cache: false });
    assert.deepEqual(a.findings, full.findings);
    assert.deepEqual(a.stats, full.stats);
    return a;
  }

  it('a function nothing calls, appended: every entry reused, lines unchanged', async () => {
    const a = await near(edited(base, 'attach.c', (s) => `${s}\nint widget_unused(void)\n{\n\treturn 0;\n}\n`));
    assert.equal(a.how, 'near');
    assert.deepEqual(a.reused, ['widget_attach', 'widget_create']);
    assert.deepEqual(where(a), where(first));
  });

  it('a function added above another entry\'s code: reused, its finding moved', async () => {
    const a = await near(edited(base, 'create.c', (s) => s.replace('static int widget_size_of', 'int widget_spare(void)\n{\n\treturn 0;\n}\n\nstatic int widget_size_of')));
    assert.equal(a.how, 'near');
    assert.deepEqual(where(a), [
      'create.c:11 widget_size_of() widget_create: widget.size is read before widget_setup() set it, on the path from widget_create',
    ]);
  });

  it('an edit in a function one entry walks: only the other entry is reused', async () => {
    const a = await near(edited(base, 'create.c', (s) => s.replace('\treturn w->size;', '\treturn w->base;')));
    assert.equal(a.how, 'run');
    assert.deepEqual(a.reused, ['widget_attach']);
    assert.deepEqual(where(a), [
      'create.c:6 widget_size_of() widget_create: widget.base is read before widget_setup() set it, on the path from widget_create',
    ]);
  });

  it('a function added under a name an entry calls: that entry runs again and walks into it', async () => {
    const a = await near(edited(base, 'probe.c', () => '#include "widget.h"\n\nint widget_probe(struct widget *w)\n{\n\treturn w->size;\n}\n'));
    // a new file changes the file list: no entry is reused
    assert.equal(a.how, 'run');
    const b = await near(edited(base, 'create.c', (s) => `${s}\nint widget_probe(struct widget *w)\n{\n\treturn w->size;\n}\n`));
    assert.equal(b.how, 'run');
    assert.deepEqual(b.reused, ['widget_create']);
    assert.deepEqual(where(b), [
      'create.c:6 widget_size_of() widget_create: widget.size is read before widget_setup() set it, on the path from widget_create',
      'create.c:20 widget_probe() widget_attach: widget.size is read before widget_setup() set it, on the path from widget_attach',
    ]);
  });

  it('an edit in a function both entries walk: nothing reused', async () => {
    const a = await near(edited(base, 'attach.c', (s) => s.replace('\tw->size = 64;\n', '')));
    assert.equal(a.how, 'run');
    assert.deepEqual(a.reused, []);
  });

  it('a tree-wide fact changed (a struct): nothing reused', async () => {
    const a = await near(edited(base, 'widget.h', (s) => s.replace('\tunsigned long flags;', '\tunsigned long flags;\n\tint spare;')));
    assert.equal(a.how, 'run');
    assert.equal(a.reused, undefined);
  });
});

describe('blind summaries carried from one run to the next (fixtures/carry)', () => {
  // widget_open() reads widget.size before widget_setup() only when widget_ready(), a helper no rule
  // watches, returns 0; widget_id(), another such helper, is walked on every path
  const CARRY = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'carry');
  let restore: () => void;
  before(() => (restore = ownCache()));
  after(() => restore());

  it('a helper\'s edited body is analysed again, the untouched helper\'s summary is taken, and the findings are a full run\'s', async () => {
    const pack = loadPack(path.join(CARRY, 'pack.json'));
    const base = snapshotDir(CARRY, pack);
    const first = await analyze(base, pack);
    assert.equal(first.how, 'run');
    assert.deepEqual(where(first), []);
    // in place, so the helper's summary would be found under the same key if its body were not looked at
    const t = edited(base, 'util.c', (s) => s.replace('\treturn 1;', '\treturn 0;'));
    const a = await analyze(t, pack, { near: first });
    assert.equal(a.how, 'run');
    assert.equal(a.carried, 1);
    assert.deepEqual(where(a), ['open.c:14 widget_open() widget_open: widget.size is read before widget_setup() set it, on the path from widget_open']);
    const full = await analyze(t, pack, { cache: false });
    assert.equal(full.carried, 0);
    assert.deepEqual(a.findings, full.findings);
  });
});

describe('a role\'s units, reused handler by handler (fixtures/program/roles)', () => {
  // each handler of demo-ioctl runs from demo_vcpu_ioctl() with only the cases that reach it open,
  // so an edit inside one handler touches that handler's unit alone
  const ROLES = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'program', 'roles');
  let restore: () => void;
  before(() => (restore = ownCache()));
  after(() => restore());

  it('an edit inside demo_get(): only its unit runs again, and the findings are a full run\'s', async () => {
    const pack = loadPack(path.join(ROLES, 'pack.yaml'));
    const base = snapshotDir(ROLES, pack);
    const first = await analyze(base, pack);
    assert.equal(first.how, 'run');
    // a function nothing calls, appended: every unit is reused, which lists them
    const idle = await analyze(edited(base, 'ioctl.c', (s) => `${s}\nint demo_unused(void)\n{\n\treturn 0;\n}\n`), pack, { near: first });
    assert.equal(idle.how, 'near');
    const units = idle.reused ?? [];
    assert.deepEqual(units, ['demo_arch_a (via demo_vcpu_ioctl)', 'demo_arch_b (via demo_vcpu_ioctl)', 'demo_get (via demo_vcpu_ioctl)',
      'demo_gone', 'demo_helper (via demo_vcpu_ioctl)', 'demo_run', 'demo_run (via demo_vcpu_ioctl)', 'demo_set (via demo_vcpu_ioctl)']);
    // a write before the load: a finding of demo_get's own
    const t = edited(base, 'ioctl.c', (s) => s.replace('\tdemo_load(v);\n\tr = hw_read32(2);', '\thw_write32(2, 0);\n\tdemo_load(v);\n\tr = hw_read32(2);'));
    const a = await analyze(t, pack, { near: first });
    assert.equal(a.how, 'run');
    assert.deepEqual(a.reused, units.filter((u) => u !== 'demo_get (via demo_vcpu_ioctl)'));
    const full = await analyze(t, pack, { cache: false });
    assert.deepEqual(a.findings, full.findings);
    assert.deepEqual(where(a), [
      'ioctl.c:30 demo_get() demo_get (via demo_vcpu_ioctl): hw_write32() touches registers outside a loaded vCPU on the path from demo_get (via demo_vcpu_ioctl)',
      'ioctl.c:30 demo_get() demo_get (via demo_vcpu_ioctl): hw_write32() touches registers outside a loaded vCPU on the path from demo_get (via demo_vcpu_ioctl)',
      ...where(first).map((l) => l.replace('ioctl.c:39', 'ioctl.c:40')),
    ]);
  });
});
