// A spread in a call's arguments (`f(...xs)`, `a.push(...xs)`, `Math.max(...xs)`,
// `new C(...xs)`) puts every element on the stack: with a per-file or per-line
// array it overflows on a tree big enough (7.2's 63,787 files did, in a hash of
// two arguments per file). So no source file of analyzer/ or scripts/ has one,
// unless the line says why its length is small: `// bounded spread: <why>` on
// that line or the line above. `.apply(x, xs)` passes an array the same way.
// Spreads in array and object literals build on the heap and are fine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MARKER = /\/\/.*\bbounded spread:\s*\S/;

/** Every spread passed as call arguments, and every `.apply(_, xs)`, not marked bounded: `file:line: text`. */
export function unboundedSpreads(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines = text.split('\n');
  const at = new Set<number>();
  const flag = (n: ts.Node) => {
    const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
    if (!MARKER.test(lines[line] ?? '') && !MARKER.test(lines[line - 1] ?? '')) at.add(line);
  };
  const stack: ts.Node[] = [sf];
  while (stack.length) {
    const n = stack.pop()!;
    if (ts.isCallExpression(n) || ts.isNewExpression(n)) {
      for (const a of n.arguments ?? []) if (ts.isSpreadElement(a)) flag(a);
      const callee = n.expression;
      // Function.prototype.apply: `Math.max.apply(null, xs)`, `a.push.apply(a, xs)`; not a method of
      // our own named apply (`work.apply(files, name)`), whose receiver is a plain name
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(callee) && callee.name.text === 'apply' && n.arguments.length === 2) {
        const self = n.arguments[0]!;
        const nothing = self.kind === ts.SyntaxKind.NullKeyword || self.kind === ts.SyntaxKind.ThisKeyword || (ts.isIdentifier(self) && self.text === 'undefined');
        if (nothing || ts.isPropertyAccessExpression(callee.expression)) flag(n);
      }
    }
    n.forEachChild((c) => {
      stack.push(c);
    });
  }
  return [...at].sort((a, b) => a - b).map((l) => `${file}:${l + 1}: ${(lines[l] ?? '').trim()}`);
}

function sources(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !/\.test\.ts$|\.fixture\.ts$/.test(e.name)) out.push(p);
    }
  }
  return out.sort();
}

test('the scanner finds a spread in call arguments and .apply, and takes the marker', () => {
  const bad = [
    'const a: number[] = [];',
    'a.push(...b);',
    'f(1, ...g());',
    'const m = Math.max(',
    '  ...xs.map((x) => x.n));',
    'new Set(...c);',
    'g.apply(null, xs);',
    'Math.max.apply(Math, xs);',
  ].join('\n');
  assert.deepEqual(unboundedSpreads('x.ts', bad).map((l) => l.split(':')[1]), ['2', '3', '5', '6', '7', '8']);
  const ok = [
    'const a = [...b, ...c];',
    'const o = { ...p };',
    'function f(...xs: number[]) { return xs; }',
    'args.push(...PARTS); // bounded spread: seven fixed parts',
    '// bounded spread: a 8192-byte window',
    's += String.fromCharCode(...buf.subarray(i, i + 8192));',
    'f([...xs]);',
    'work.apply(files, name);',
  ].join('\n');
  assert.deepEqual(unboundedSpreads('y.ts', ok), []);
});

function scanAll(): Map<string, string[]> {
  const files = [...sources(path.join(ROOT, 'analyzer')), ...sources(path.join(ROOT, 'scripts'))];
  assert.ok(files.length > 50, `found only ${files.length} source files under ${ROOT}`);
  const byFile = new Map<string, string[]>();
  for (const f of files) {
    const rel = path.relative(ROOT, f).split(path.sep).join('/');
    const found = unboundedSpreads(rel, fs.readFileSync(f, 'utf8'));
    if (found.length) byFile.set(rel, found);
  }
  return byFile;
}

test('no unbounded spread in call arguments in analyzer/ or scripts/', () => {
  const found: string[] = [];
  for (const ls of scanAll().values()) for (const l of ls) found.push(l);
  assert.deepEqual(found, [], `a spread in call arguments: loop instead, or say why it is small with "// bounded spread: <why>"\n${found.join('\n')}`);
});
