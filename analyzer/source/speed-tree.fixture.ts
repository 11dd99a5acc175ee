// A tree for the parallel and cache tests: fixtures/speed (one finding) with
// generated files beside it, some of them bad input, so that notes and a
// tree with parse errors are part of what is compared.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURE = path.join(ROOT, 'fixtures', 'speed');
export const CLI = path.join(ROOT, 'bin', 'callorder');
/** the pack stays where it is: it names kernel-c.json by a relative path */
export const SPEED_PACK = path.join(FIXTURE, 'pack.json');

/** fixtures/speed copied to a temp dir with `n` generated files beside it */
export function speedTree(n: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callorder-speed-'));
  for (const f of fs.readdirSync(FIXTURE)) if (f !== 'pack.json') fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  for (let d = 0; d < 5; d++) fs.mkdirSync(path.join(dir, `drv${d}`));
  for (let i = 0; i < n; i++) {
    fs.writeFileSync(path.join(dir, `drv${i % 5}`, `part${i}.c`), generated(i));
  }
  // bad input: each gives a note, and the notes must come out in path order
  fs.writeFileSync(path.join(dir, 'drv0', 'binary.c'), Buffer.from([0x69, 0x6e, 0x74, 0x00, 0x78, 0x3b]));
  fs.writeFileSync(path.join(dir, 'drv3', 'latin1.c'), Buffer.concat([Buffer.from('/* caf'), Buffer.from([0xe9]), Buffer.from(' */\nint x;\n')]));
  return dir;
}

/** generated file i: 60 functions, a table, a stray token now and then */
export function generated(i: number): string {
  const out = ['#include "../dev.h"', ''];
  out.push(`struct part${i}_ops {`, '\tint (*probe)(struct dev *d);', '\tvoid (*remove)(struct dev *d);', '};', '');
  for (let f = 0; f < 60; f++) {
    out.push(`static int part${i}_fn${f}(struct dev *d, int arg)`, '{', '\tint r = 0;', '');
    out.push('#ifdef CONFIG_PART_DEBUG', `\tr = dev_read(d, ${f});`, '#endif');
    out.push(`\tif (d->state & (1UL << ${f % 32}))`, `\t\tr += part${i}_fn${(f + 1) % 60}(d, arg - 1);`);
    out.push('\tfor (arg = 0; arg < 4; arg++)', '\t\td->state |= arg;');
    out.push('\tswitch (arg) {', '\tcase 1 ... 3:', '\t\tr++;', '\t\tbreak;', '\tdefault:', '\t\tbreak;', '\t}');
    // a stray token now and then: a tree with errors takes the slower, exact path
    if (f % 17 === 0) out.push('\tr = r +;');
    out.push('\treturn r;', '}', '');
  }
  out.push(`static struct part${i}_ops part${i}_table = {`, `\t.probe = part${i}_probe,`, `\t.remove = dev_load,`, '};', '');
  return out.join('\n');
}
