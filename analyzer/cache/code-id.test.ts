// The compiled analyzer's identity, through its stamp: the same files give
// the same id whether hashed or read from the stamp, and any file that
// changes, comes or goes gives another, stamp or not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeIdOf } from './code-id';

function fresh(): typeof codeIdOf {
  // a module of its own each time: codeIdOf memoises within a process
  delete require.cache[require.resolve('./code-id')];
  return (require('./code-id') as typeof import('./code-id')).codeIdOf;
}

test('code id: a stamp stands for the hash while no file changed, and never after', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-code-id-'));
  try {
    fs.mkdirSync(path.join(dir, 'flow'));
    fs.writeFileSync(path.join(dir, 'a.js'), 'exports.a = 1;\n');
    fs.writeFileSync(path.join(dir, 'flow', 'b.js'), 'exports.b = 2;\n');
    fs.writeFileSync(path.join(dir, 'flow', 'b.test.js'), 'not part of the analyzer\n');
    const first = fresh()(dir);
    assert.ok(fs.existsSync(path.join(dir, '.code-id.json')));
    assert.equal(fresh()(dir), first, 'read from the stamp');
    fs.rmSync(path.join(dir, '.code-id.json'));
    assert.equal(fresh()(dir), first, 'hashed again');

    fs.writeFileSync(path.join(dir, 'flow', 'b.test.js'), 'a test changed\n');
    assert.equal(fresh()(dir), first, 'tests are not the analyzer');

    // the same size, another byte: the stamp no longer holds
    const b = path.join(dir, 'flow', 'b.js');
    fs.writeFileSync(b, 'exports.b = 3;\n');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(b, later, later);
    const changed = fresh()(dir);
    assert.notEqual(changed, first);

    fs.writeFileSync(path.join(dir, 'c.js'), '\n');
    assert.notEqual(fresh()(dir), changed, 'a new file');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
