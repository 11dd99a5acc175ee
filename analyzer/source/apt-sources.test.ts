import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { debianArchives, osCodename, parseDeb822, parseOneLine, readAptSources } from './apt-sources';

test('one-line entries: options in brackets, comments, deb-src and components', () => {
  const e = parseOneLine(
    [
      '# the archive',
      'deb [arch=amd64 signed-by=/k/debian.gpg] http://m.example/debian bookworm main contrib # trailing',
      'deb-src http://m.example/debian bookworm main',
      'deb http://m.example/debian-security bookworm-security main',
      'garbage',
      '',
    ].join('\n'),
    'x.list',
  );
  assert.deepEqual(e.map((x) => [x.types, x.uris, x.suites, x.components, x.signedBy ?? null]), [
    [['deb'], ['http://m.example/debian'], ['bookworm'], ['main', 'contrib'], '/k/debian.gpg'],
    [['deb-src'], ['http://m.example/debian'], ['bookworm'], ['main'], null],
    [['deb'], ['http://m.example/debian-security'], ['bookworm-security'], ['main'], null],
  ]);
});

test('deb822 entries: several paragraphs, comments inside one, Enabled: no, an inline key', () => {
  const e = parseDeb822(
    [
      'Types: deb deb-src',
      '# http://snapshot.example/archive/debian/20250520T000000Z',
      'URIs: http://m.example/debian',
      'Suites: trixie trixie-updates',
      'Components: main non-free-firmware',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      'URIs: http://off.example/debian',
      'Suites: trixie',
      'Enabled: no',
      '',
      'Types: deb',
      'URIs: http://inline.example/debian',
      'Suites: sid',
      'Components: main',
      'Signed-By:',
      ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
      ' .',
      ' abc',
      ' -----END PGP PUBLIC KEY BLOCK-----',
      '',
    ].join('\n'),
    'x.sources',
  );
  assert.equal(e.length, 2);
  assert.deepEqual(e[0], {
    file: 'x.sources', types: ['deb', 'deb-src'], uris: ['http://m.example/debian'], suites: ['trixie', 'trixie-updates'],
    components: ['main', 'non-free-firmware'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
  });
  assert.equal(e[1]!.signedBy, '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n-----END PGP PUBLIC KEY BLOCK-----');
});

test('the Debian archives: entries with a suite of the distribution, one per URI; not its security suite, not another vendor', () => {
  const e = [
    ...parseDeb822('Types: deb\nURIs: http://m.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /k.gpg\n\n' +
      'Types: deb\nURIs: http://m.example/debian-security\nSuites: bookworm-security\nComponents: main\n', 'd.sources'),
    ...parseOneLine('deb https://vendor.example/apt vendor-bookworm main\ndeb http://m.example/debian/ bookworm-backports main\n' +
      'deb http://m.example/debian/ stable main\ndeb-src http://src.example/debian bookworm main\n', 'v.list'),
  ];
  assert.deepEqual(debianArchives(e, 'bookworm'), [{ uri: 'http://m.example/debian', components: ['main'], signedBy: '/k.gpg' }]);
  // without a codename, the archive's own suite names still tell
  assert.deepEqual(debianArchives(e, undefined).map((a) => a.uri), ['http://m.example/debian/']);
  assert.deepEqual(debianArchives(e, 'trixie').map((a) => a.uri), ['http://m.example/debian/']);
});

test('readAptSources reads sources.list, then sources.list.d/*.list and *.sources in name order, and nothing else', () => {
  const etc = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-apt-'));
  try {
    fs.mkdirSync(path.join(etc, 'sources.list.d'));
    fs.writeFileSync(path.join(etc, 'sources.list'), 'deb http://a.example/debian bookworm main\n');
    fs.writeFileSync(path.join(etc, 'sources.list.d', 'b.sources'), 'Types: deb\nURIs: http://b.example/debian\nSuites: bookworm\n');
    fs.writeFileSync(path.join(etc, 'sources.list.d', 'c.list'), 'deb http://c.example/debian bookworm main\n');
    fs.writeFileSync(path.join(etc, 'sources.list.d', 'd.list.disabled'), 'deb http://d.example/debian bookworm main\n');
    assert.deepEqual(readAptSources(etc).map((x) => x.uris[0]), ['http://a.example/debian', 'http://b.example/debian', 'http://c.example/debian']);
    assert.deepEqual(readAptSources(path.join(etc, 'missing')), []);
    fs.writeFileSync(path.join(etc, 'os-release'), 'NAME="Debian GNU/Linux"\nVERSION="12 (bookworm)"\n');
    assert.equal(osCodename(path.join(etc, 'os-release')), 'bookworm');
    fs.writeFileSync(path.join(etc, 'os-release'), 'VERSION_CODENAME="trixie"\n');
    assert.equal(osCodename(path.join(etc, 'os-release')), 'trixie');
    assert.equal(osCodename(path.join(etc, 'none')), undefined);
  } finally {
    fs.rmSync(etc, { recursive: true, force: true });
  }
});
