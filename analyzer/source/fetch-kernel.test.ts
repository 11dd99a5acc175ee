import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { compareDebianVersions, dpkgOrder, fetchKernel, KERNEL_VERSIONS, kernelCacheRoot, kernelVersionOf, NEWEST_KERNEL, privateApt, TREE_MARKER } from './fetch-kernel';
import { FetchError } from '../util/errors';

/** Runs fn with some env vars set (undefined = unset), restoring them afterwards. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) {
    saved[k] = process.env[k];
    if (vars[k] === undefined) delete process.env[k];
    else process.env[k] = vars[k];
  }
  try {
    return fn();
  } finally {
    for (const k of Object.keys(saved)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `callorder-fetch-test-${tag}-`));
}

const NO_KERNEL_ENV = { CALLORDER_KERNEL_6_12: undefined, CALLORDER_KERNEL_6_1: undefined, CALLORDER_KERNEL_7_2: undefined, CALLORDER_KERNEL_5_99: undefined };

function fakeTree(dir: string, name: string, marker: object): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.join(p, 'arch', 'x86', 'kvm'), { recursive: true });
  fs.writeFileSync(path.join(p, 'Makefile'), 'VERSION = 6\n');
  fs.writeFileSync(path.join(p, TREE_MARKER), JSON.stringify(marker));
  return p;
}

test('KERNEL_VERSIONS lists 7.2, 6.12 and 6.1; the newest is a constant, and any N.M is a version', () => {
  assert.deepEqual([...KERNEL_VERSIONS], ['7.2', '6.12', '6.1']);
  assert.equal(NEWEST_KERNEL, '7.2');
  assert.equal(kernelVersionOf('newest'), '7.2');
  for (const v of ['7.2', '6.12', '6.1', '5.10', '10.0']) assert.equal(kernelVersionOf(v), v);
  for (const v of ['6', '6.12.1', 'v6.12', '06.1', '', '6.x', 'latest']) assert.equal(kernelVersionOf(v), undefined, v);
});

test('kernelCacheRoot honours CALLORDER_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
  withEnv({ CALLORDER_CACHE: '/tmp/own-cache', XDG_CACHE_HOME: '/tmp/xdg' }, () => {
    assert.equal(kernelCacheRoot(), '/tmp/own-cache');
  });
  withEnv({ CALLORDER_CACHE: undefined, XDG_CACHE_HOME: '/tmp/xdg' }, () => {
    assert.equal(kernelCacheRoot(), path.join('/tmp/xdg', 'callorder'));
  });
  withEnv({ CALLORDER_CACHE: undefined, XDG_CACHE_HOME: undefined }, () => {
    assert.equal(kernelCacheRoot(), path.join(os.homedir(), '.cache', 'callorder'));
  });
});

test('without apt-get on PATH fetchKernel throws a one-line FetchError naming apt-get', () => {
  const cache = tmpDir('noapt');
  const emptyBin = tmpDir('bin');
  try {
    withEnv({ ...NO_KERNEL_ENV, PATH: emptyBin }, () => {
      assert.throws(
        () => fetchKernel('6.12', { dir: cache }),
        (e: unknown) => {
          assert.ok(e instanceof FetchError, `expected FetchError, got ${String(e)}`);
          assert.match(e.message, /apt-get not found/);
          assert.match(e.message, /callorder check \/path\/to\/linux/);
          assert.ok(!e.message.includes('\n'), 'message is one line');
          return true;
        },
      );
    });
    // Nothing half-made is left in the cache dir.
    assert.deepEqual(fs.readdirSync(cache), []);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
    fs.rmSync(emptyBin, { recursive: true, force: true });
  }
});

test('an existing tree with a marker is returned without running apt', () => {
  const cache = tmpDir('cached');
  const emptyBin = tmpDir('bin');
  try {
    const older = fakeTree(cache, 'linux-6.12-6.12.9-1', { version: '6.12', debianVersion: '6.12.9-1', full: false, parts: [] });
    const newer = fakeTree(cache, 'linux-6.12-6.12.117-1~deb12u1', {
      version: '6.12',
      debianVersion: '6.12.117-1~deb12u1',
      full: false,
      parts: [],
    });
    // A half-extracted tree (no marker) and a 6.1 tree must be ignored.
    fs.mkdirSync(path.join(cache, 'linux-6.12-6.12.999-1'));
    const v61 = fakeTree(cache, 'linux-6.1-6.1.192-2', { version: '6.1', debianVersion: '6.1.192-2', full: false, parts: [] });
    void older;

    withEnv({ ...NO_KERNEL_ENV, PATH: emptyBin }, () => {
      assert.equal(fetchKernel('6.12', { dir: cache }), newer);
      assert.equal(fetchKernel('6.1', { dir: cache }), v61);
      // Via the cache root env var too.
      withEnv({ CALLORDER_CACHE: cache }, () => {
        assert.equal(fetchKernel('6.12'), newer);
      });
      // A partial tree does not satisfy a full request: that needs apt, which is missing.
      assert.throws(() => fetchKernel('6.12', { dir: cache, full: true }), /apt-get not found/);
      // A full tree satisfies both.
      const fullTree = fakeTree(cache, 'linux-6.12-6.12.117-1~deb12u1-full', {
        version: '6.12',
        debianVersion: '6.12.117-1~deb12u1',
        full: true,
        parts: ['*'],
      });
      assert.equal(fetchKernel('6.12', { dir: cache, full: true }), fullTree);
      assert.equal(fetchKernel('6.12', { dir: cache }), newer, 'exact match preferred on a tie');
    });
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
    fs.rmSync(emptyBin, { recursive: true, force: true });
  }
});

test('CALLORDER_KERNEL_<ver> points at an existing tree', () => {
  const tree = tmpDir('envtree');
  const emptyBin = tmpDir('bin');
  try {
    withEnv({ ...NO_KERNEL_ENV, PATH: emptyBin, CALLORDER_KERNEL_6_1: tree }, () => {
      assert.equal(fetchKernel('6.1'), tree);
    });
    withEnv({ ...NO_KERNEL_ENV, PATH: emptyBin, CALLORDER_KERNEL_7_2: tree }, () => {
      assert.equal(fetchKernel('7.2'), tree);
      assert.equal(fetchKernel('newest'), tree);
    });
    withEnv({ ...NO_KERNEL_ENV, PATH: emptyBin, CALLORDER_KERNEL_6_1: path.join(tree, 'missing') }, () => {
      assert.throws(() => fetchKernel('6.1'), (e: unknown) => e instanceof FetchError && /CALLORDER_KERNEL_6_1/.test(e.message));
    });
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
    fs.rmSync(emptyBin, { recursive: true, force: true });
  }
});

test('what is not a version N.M is a one-line FetchError before any apt-get', () => {
  const emptyBin = tmpDir('bin');
  try {
    withEnv({ ...NO_KERNEL_ENV, PATH: emptyBin }, () => {
      for (const v of ['abc', '6', '6.12.1']) {
        assert.throws(() => fetchKernel(v), (e: unknown) => e instanceof FetchError && /is not a kernel version/.test(e.message) && !e.message.includes('\n'));
      }
    });
  } finally {
    fs.rmSync(emptyBin, { recursive: true, force: true });
  }
});

test('privateApt: unstable on each archive, a key file as named, an inline key written beside the list, no key as none', () => {
  const dir = path.join(tmpDir('own-apt'), 'apt');
  try {
    const key = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n-----END PGP PUBLIC KEY BLOCK-----';
    const own = privateApt(dir, [
      { uri: 'http://a.example/debian', components: ['main'], signedBy: '/k/a.gpg' },
      { uri: 'http://b.example/debian', components: ['main', 'contrib'], signedBy: key },
      { uri: 'http://c.example/debian', components: ['main'] },
    ]);
    const lines = fs.readFileSync(own.list, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, [
      'deb [signed-by=/k/a.gpg] http://a.example/debian unstable main',
      `deb [signed-by=${dir}/key-1.asc] http://b.example/debian unstable main contrib`,
      'deb http://c.example/debian unstable main',
    ]);
    assert.equal(fs.readFileSync(path.join(dir, 'key-1.asc'), 'utf8'), `${key}\n`);
    assert.deepEqual(own.options, ['-o', `Dir::Etc::sourcelist=${dir}/sources.list`, '-o', 'Dir::Etc::sourceparts=-',
      '-o', `Dir::State::lists=${dir}/lists`, '-o', `Dir::Cache=${dir}/cache`]);
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test('without dpkg, the written-out ordering gives what dpkg --compare-versions gives', { skip: !hasTools('dpkg') && 'dpkg is not installed' }, () => {
  // ascending as dpkg orders them: each step is asked of dpkg both ways and of the written-out ordering
  const versions = ['1.0~~a', '1.0~', '1.0', '1.0-1', '1.0a-1', '1.0+b1', '1.0.0-1', '2.0', '6.1.192-2', '6.1.192-10',
    '6.12.9-1', '6.12.117-1~deb12u1', '6.12.117-1', '7.2~rc3-1~exp1', '7.2-1', '7.2.13-1', '1:1.0'];
  for (let i = 0; i + 1 < versions.length; i++) {
    const [a, b] = [versions[i], versions[i + 1]];
    assert.deepEqual([compareDebianVersions(a, b), compareDebianVersions(b, a)], [-1, 1], `dpkg: ${a} < ${b}`);
    assert.deepEqual([Math.sign(dpkgOrder(a, b)), Math.sign(dpkgOrder(b, a))], [-1, 1], `written out: ${a} < ${b}`);
  }
  assert.equal(compareDebianVersions('0:1.0-1', '1.0-1'), 0);
  assert.equal(dpkgOrder('0:1.0-1', '1.0-1'), 0);
});

test('compareDebianVersions follows dpkg ordering', () => {
  assert.ok(compareDebianVersions('6.12.117-1~deb12u1', '6.12.9-1') > 0);
  assert.ok(compareDebianVersions('6.12.117-1~deb12u1', '6.12.117-1') < 0);
  assert.ok(compareDebianVersions('1:1.0', '2.0') > 0);
  assert.equal(compareDebianVersions('6.1.192-2', '6.1.192-2'), 0);
  assert.ok(compareDebianVersions('6.1.192-2', '6.1.192-10') < 0);
});

// ---------------------------------------------------------------------------
// End to end, offline: a fake apt-get on PATH hands out a tiny .deb built here
// with dpkg-deb, so the real extraction path runs without downloading a kernel.

function hasTools(...tools: string[]): boolean {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return tools.every((t) => dirs.some((d) => fs.existsSync(path.join(d, t))));
}

const haveDebTools = hasTools('dpkg-deb', 'tar', 'xz');

/** Builds a fake linux-source-<version> .deb; returns its path. */
function buildFakeDeb(root: string, version: string, withTarball = true): string {
  root = path.join(root, `build-${version}`);
  const src = path.join(root, 'src', `linux-source-${version}`);
  const files: Record<string, string> = {
    Makefile: 'VERSION = 6\n',
    'arch/x86/kvm/x86.c': 'int x;\n',
    'arch/x86/include/asm/kvm_host.h': '\n',
    'virt/kvm/kvm_main.c': 'int y;\n',
    'include/linux/kvm_host.h': '\n',
    'include/linux/list.h': '\n',
    'include/uapi/linux/kvm.h': '\n',
    'include/uapi/linux/other.h': '\n',
    'include/kvm/iodev.h': '\n',
    'fs/open.c': 'int z;\n',
    'tools/arch/x86/kvm/Makefile': '\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.writeFileSync(path.join(src, rel), text);
  }
  const pkgRoot = path.join(root, 'pkg');
  fs.mkdirSync(path.join(pkgRoot, 'DEBIAN'), { recursive: true });
  fs.mkdirSync(path.join(pkgRoot, 'usr', 'src'), { recursive: true });
  fs.writeFileSync(
    path.join(pkgRoot, 'DEBIAN', 'control'),
    `Package: linux-source-${version}\nVersion: ${version}.1-1~test1\nArchitecture: all\n` +
      'Maintainer: callorder tests <tests@example.invalid>\nDescription: fake kernel source\n',
  );
  if (withTarball) {
    const tarball = path.join(pkgRoot, 'usr', 'src', `linux-source-${version}.tar.xz`);
    const r = spawnSync('tar', ['-c', '-J', '-f', tarball, '-C', path.join(root, 'src'), `linux-source-${version}`]);
    assert.equal(r.status, 0, String(r.stderr));
  }
  const deb = path.join(root, `fake-${version}.deb`);
  const b = spawnSync('dpkg-deb', ['--root-owner-group', '--build', pkgRoot, deb]);
  assert.equal(b.status, 0, String(b.stderr));
  return deb;
}

/**
 * Writes a fake apt-get, logging its calls. Plain `apt-get download P` gives
 * the .deb of debs.system[P] once `apt-get update` ran; with a private
 * sources list (`-o Dir::Etc::sourcelist=F`) it gives debs.unstable[P] once
 * an update with that list ran, if F names the unstable suite. Anything else
 * is an unknown package, as apt says it.
 */
function fakeAptBin(root: string, debs: { system?: Record<string, string>; unstable?: Record<string, string> }): { bin: string; calls: () => string[] } {
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  const callLog = path.join(root, 'apt-calls');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  for (const [suite, m] of Object.entries(debs)) {
    fs.mkdirSync(path.join(root, 'debs', suite), { recursive: true });
    for (const [pkg, deb] of Object.entries(m)) fs.copyFileSync(deb, path.join(root, 'debs', suite, `${pkg}.deb`));
  }
  const at = (n: string) => q(path.join(root, n));
  fs.writeFileSync(
    path.join(bin, 'apt-get'),
    [
      '#!/bin/sh',
      `echo "$*" >> ${q(callLog)}`,
      'list=',
      'while [ "$1" = "-o" ]; do',
      '  case "$2" in Dir::Etc::sourcelist=*) list="${2#Dir::Etc::sourcelist=}" ;; esac',
      '  shift 2',
      'done',
      'case "$1" in',
      `  update) if [ -n "$list" ]; then touch ${at('private-updated')}; else touch ${at('updated')}; fi; exit 0 ;;`,
      '  download)',
      '    deb=',
      `    if [ -n "$list" ]; then [ -e ${at('private-updated')} ] && grep -q ' unstable ' "$list" && deb=${at('debs/unstable')}/"$2".deb`,
      `    else [ -e ${at('updated')} ] && deb=${at('debs/system')}/"$2".deb; fi`,
      '    if [ -z "$deb" ] || [ ! -e "$deb" ]; then echo "E: Unable to locate package $2" >&2; exit 100; fi',
      '    cp "$deb" "./$2_$(dpkg-deb -f "$deb" Version)_all.deb"; exit 0 ;;',
      'esac',
      'exit 1',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const calls = () => (fs.existsSync(callLog) ? fs.readFileSync(callLog, 'utf8').trim().split('\n') : []);
  return { bin, calls };
}

/** An apt configuration as a Debian machine has it: the archive, its security suite, and another vendor's. */
function fakeAptEtc(root: string): { etc: string; osRelease: string; files: () => Record<string, string> } {
  const etc = path.join(root, 'etc-apt');
  fs.mkdirSync(path.join(etc, 'sources.list.d'), { recursive: true });
  fs.writeFileSync(
    path.join(etc, 'sources.list.d', 'debian.sources'),
    [
      'Types: deb',
      '# a comment inside the paragraph',
      'URIs: http://mirror.example/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(etc, 'sources.list.d', 'vendor.list'), 'deb [signed-by=/usr/share/keyrings/vendor.gpg] https://vendor.example/apt vendor-bookworm main\n');
  const osRelease = path.join(root, 'os-release');
  fs.writeFileSync(osRelease, 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  const files = () => Object.fromEntries(fs.readdirSync(path.join(etc, 'sources.list.d')).map((n) => [n, fs.readFileSync(path.join(etc, 'sources.list.d', n), 'utf8')]));
  return { etc, osRelease, files };
}

test('offline end to end: update-and-retry, partial extract, idempotence, full extract', { skip: !haveDebTools }, () => {
  const root = tmpDir('e2e');
  try {
    const deb = buildFakeDeb(root, '6.12');
    const { bin, calls } = fakeAptBin(root, { system: { 'linux-source-6.12': deb } });
    const { etc, osRelease } = fakeAptEtc(root);
    const cache = path.join(root, 'cache');
    const lines: string[] = [];
    withEnv({ ...NO_KERNEL_ENV, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` }, () => {
      const tree = fetchKernel('6.12', { dir: cache, log: (l) => lines.push(l), aptEtc: etc, osRelease });
      assert.equal(tree, path.join(cache, 'linux-6.12-6.12.1-1~test1'));
      // the machine's suites, unstable (which has no 6.12), then the machine's suites refreshed
      const own = ['-o', `Dir::Etc::sourcelist=${cache}/apt/sources.list`, '-o', 'Dir::Etc::sourceparts=-',
        '-o', `Dir::State::lists=${cache}/apt/lists`, '-o', `Dir::Cache=${cache}/apt/cache`].join(' ');
      assert.deepEqual(calls(), ['download linux-source-6.12', `${own} update`, `${own} download linux-source-6.12`, 'update', 'download linux-source-6.12']);
      assert.ok(lines.some((l) => /apt-get update/.test(l)), lines.join('\n'));
      for (const f of [
        'Makefile',
        'arch/x86/kvm/x86.c',
        'arch/x86/include/asm/kvm_host.h',
        'virt/kvm/kvm_main.c',
        'include/linux/kvm_host.h',
        'include/uapi/linux/kvm.h',
        'include/kvm/iodev.h',
      ]) {
        assert.ok(fs.existsSync(path.join(tree, f)), `${f} extracted`);
      }
      for (const f of ['fs/open.c', 'include/uapi/linux/other.h', 'tools']) {
        assert.ok(!fs.existsSync(path.join(tree, f)), `${f} not extracted`);
      }
      const marker = JSON.parse(fs.readFileSync(path.join(tree, TREE_MARKER), 'utf8'));
      assert.deepEqual(
        { version: marker.version, debianVersion: marker.debianVersion, full: marker.full },
        { version: '6.12', debianVersion: '6.12.1-1~test1', full: false },
      );
      // Only the tree and the apt state are left: no .deb, no temp dirs.
      assert.deepEqual(fs.readdirSync(cache).sort(), ['apt', 'linux-6.12-6.12.1-1~test1']);

      // Second call: no apt-get at all.
      assert.equal(fetchKernel('6.12', { dir: cache }), tree);
      assert.equal(calls().length, 5);

      // Whole kernel.
      const full = fetchKernel('6.12', { dir: cache, full: true });
      assert.equal(full, path.join(cache, 'linux-6.12-6.12.1-1~test1-full'));
      assert.ok(fs.existsSync(path.join(full, 'fs/open.c')));
      assert.ok(fs.existsSync(path.join(full, 'tools/arch/x86/kvm/Makefile')));
      assert.equal(calls().length, 6);
      assert.deepEqual(fs.readdirSync(cache).sort(), ['apt', 'linux-6.12-6.12.1-1~test1', 'linux-6.12-6.12.1-1~test1-full']);
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('offline: a broken package is a one-line FetchError and leaves nothing behind', { skip: !haveDebTools }, () => {
  const root = tmpDir('broken');
  try {
    const deb = buildFakeDeb(root, '6.1', false);
    const { bin } = fakeAptBin(root, { system: { 'linux-source-6.1': deb } });
    fs.writeFileSync(path.join(root, 'updated'), '');
    const cache = path.join(root, 'cache');
    withEnv({ ...NO_KERNEL_ENV, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` }, () => {
      assert.throws(
        () => fetchKernel('6.1', { dir: cache, aptEtc: path.join(root, 'no-etc') }),
        (e: unknown) => e instanceof FetchError && /linux-source-6\.1\.tar\.xz/.test(e.message) && !e.message.includes('\n'),
      );
    });
    assert.deepEqual(fs.readdirSync(cache), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('offline: a version the machine\'s suites lack comes from unstable on its own mirror, with an apt state of our own', { skip: !haveDebTools }, () => {
  const root = tmpDir('unstable');
  try {
    const deb = buildFakeDeb(root, '7.2');
    const { bin, calls } = fakeAptBin(root, { unstable: { 'linux-source-7.2': deb } });
    const { etc, osRelease, files } = fakeAptEtc(root);
    const before = files();
    const cache = path.join(root, 'cache');
    const lines: string[] = [];
    withEnv({ ...NO_KERNEL_ENV, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` }, () => {
      const tree = fetchKernel('7.2', { dir: cache, log: (l) => lines.push(l), aptEtc: etc, osRelease });
      assert.equal(tree, path.join(cache, 'linux-7.2-7.2.1-1~test1'));
      assert.ok(fs.existsSync(path.join(tree, 'arch/x86/kvm/x86.c')));
      const own = ['-o', `Dir::Etc::sourcelist=${cache}/apt/sources.list`, '-o', 'Dir::Etc::sourceparts=-',
        '-o', `Dir::State::lists=${cache}/apt/lists`, '-o', `Dir::Cache=${cache}/apt/cache`].join(' ');
      // the machine's suites first, then ours; the machine's lists are not refreshed for it
      assert.deepEqual(calls(), ['download linux-source-7.2', `${own} update`, `${own} download linux-source-7.2`]);
      // unstable on the Debian archive's URI alone (not its security suite, not another vendor's), with its key
      const list = fs.readFileSync(path.join(cache, 'apt', 'sources.list'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
      assert.deepEqual(list, ['deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian unstable main']);
      assert.ok(fs.statSync(path.join(cache, 'apt', 'lists', 'partial')).isDirectory());
      assert.ok(lines.some((l) => /asking unstable at http:\/\/mirror\.example\/debian/.test(l)), lines.join('\n'));
      // the system's sources are as they were
      assert.deepEqual(files(), before);
      // cached: no apt-get at all the second time
      assert.equal(fetchKernel('7.2', { dir: cache, aptEtc: etc, osRelease }), tree);
      assert.equal(calls().length, 3);
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('offline: a version Debian does not serve is one line naming where it looked, and leaves only the apt state', { skip: !haveDebTools }, () => {
  const root = tmpDir('unserved');
  try {
    const { bin, calls } = fakeAptBin(root, {});
    const { etc, osRelease } = fakeAptEtc(root);
    const cache = path.join(root, 'cache');
    withEnv({ ...NO_KERNEL_ENV, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` }, () => {
      assert.throws(
        () => fetchKernel('5.99', { dir: cache, aptEtc: etc, osRelease }),
        (e: unknown) => {
          assert.ok(e instanceof FetchError, String(e));
          assert.match(e.message, /Debian serves no linux-source-5\.99: it is not in this machine's apt sources, nor in unstable at http:\/\/mirror\.example\/debian\./);
          assert.ok(!e.message.includes('\n'));
          return true;
        },
      );
      assert.equal(calls().length, 5);
    });
    assert.deepEqual(fs.readdirSync(cache), ['apt']);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the CLI: `fetch-kernel 6.12`, `7.2`, `newest` and `6.1 --full` print the cached tree; what is not a version is exit 2', () => {
  // Through the built CLI because the bug this guards was in argument parsing:
  // a positional named `version` collided with yargs' --version and the
  // release was read as a number, so every `fetch-kernel X` was refused.
  const cli = path.resolve(__dirname, '..', '..', '..', 'bin', 'callorder');
  const cache = tmpDir('cli');
  const emptyBin = tmpDir('bin');
  try {
    const t612 = fakeTree(cache, 'linux-6.12-6.12.117-1~deb12u1', { version: '6.12', debianVersion: '6.12.117-1~deb12u1', full: false, parts: [] });
    const t61 = fakeTree(cache, 'linux-6.1-6.1.192-2-full', { version: '6.1', debianVersion: '6.1.192-2', full: true, parts: ['*'] });
    // PATH has no apt-get: the answer must come from the cache
    const t72 = fakeTree(cache, 'linux-7.2-7.2.13-1', { version: '7.2', debianVersion: '7.2.13-1', full: false, parts: [] });
    const env = { ...process.env, CALLORDER_KERNEL_6_12: '', CALLORDER_KERNEL_6_1: '', CALLORDER_KERNEL_7_2: '', PATH: emptyBin };
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'fetch-kernel', ...args, '--dir', cache], { env, encoding: 'utf8' });
    const a = run('6.12');
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, `${t612}\n`);
    assert.equal(a.stderr, '');
    const b = run('6.1', '--full');
    assert.equal(b.status, 0, b.stderr);
    assert.equal(b.stdout, `${t61}\n`);
    for (const v of ['7.2', 'newest']) {
      const r = run(v);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${t72}\n`);
    }
    const c = run('6.x');
    assert.equal(c.status, 2);
    assert.equal(c.stdout, '');
    assert.match(c.stderr, /^callorder: .*'6\.x' is not a kernel version[^\n]*\n$/);
    // --fetch on check, stats and graph takes the same versions
    for (const cmd of [['check'], ['stats'], ['graph', '--from', 'f']]) {
      const d = spawnSync(process.execPath, [cli, ...cmd, '--fetch', '7'], { env, encoding: 'utf8' });
      assert.equal(d.status, 2, d.stderr);
      assert.match(d.stderr, /^callorder: --fetch takes a kernel version as N\.M[^\n]*not 7\n$/);
    }
    const e = spawnSync(process.execPath, [cli, 'stats', '--fetch', '7.2', '--format', 'json'], { env: { ...env, CALLORDER_CACHE: cache }, encoding: 'utf8' });
    assert.equal(e.status, 0, e.stderr);
    assert.equal(JSON.parse(e.stdout).tree, t72);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
    fs.rmSync(emptyBin, { recursive: true, force: true });
  }
});
