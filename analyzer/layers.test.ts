// Layers run one way. The compiled modules under dist/analyzer/ are walked
// through their require() calls (what runs, so an `import type` is not an
// edge), and the suite fails on any import cycle and on any import from a
// module of a lower layer to one of a higher layer. The order is read from
// the one place it is written, the `layers` block of ARCHITECTURE.md: one
// line a layer, highest first, naming the folders under analyzer/ (or the
// top-level modules, cli and version) in it. A module in no layer fails too,
// so a new folder is placed before it lands. Tests, their helpers
// (.testlib) and fixtures are outside the layers.

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const DIST = __dirname;
const SOURCE = path.resolve(__dirname, '..', '..', 'analyzer');
const ARCHITECTURE = path.resolve(__dirname, '..', '..', 'ARCHITECTURE.md');

type Graph = Map<string, string[]>;

/** The layers block of ARCHITECTURE.md, highest first: each line the names in one layer. */
export function layersOf(markdown: string): string[][] {
  const m = /^```layers\n([\s\S]*?)^```/m.exec(markdown);
  if (!m) throw new Error('ARCHITECTURE.md has no ```layers block');
  return m[1].split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).map((l) => l.split(/\s+/));
}

/** The layer of a module (`driver/analyze`, `cli`): its folder, or its own name at the top; undefined when none lists it. */
function rankIn(layers: string[][]): (mod: string) => number | undefined {
  const rank = new Map<string, number>();
  // highest first in the file: the lowest layer gets rank 0
  layers.forEach((names, i) => names.forEach((n) => rank.set(n, layers.length - 1 - i)));
  return (mod) => rank.get(mod.includes('/') ? mod.slice(0, mod.indexOf('/')) : mod);
}

function isOutsideLayers(rel: string): boolean {
  return /\.(test|testlib|fixture)\.js$/.test(rel);
}

/**
 * Every compiled module and the modules it requires, by path under
 * dist/analyzer without `.js`; only modules that have their source (a file
 * moved or removed leaves its old output in dist/, which tsc does not delete).
 */
function importGraph(root: string, source: string): Graph {
  const g: Graph = new Map();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') && !isOutsideLayers(e.name)) {
        const from = path.relative(root, p).replace(/\.js$/, '').split(path.sep).join('/');
        if (!fs.existsSync(path.join(source, `${from}.ts`))) continue;
        const to: string[] = [];
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/\brequire\(\s*["'](\.{1,2}\/[^"']*)["']\s*\)/g)) {
          let target = path.resolve(path.dirname(p), m[1]);
          if (fs.existsSync(target) && fs.statSync(target).isDirectory()) target = path.join(target, 'index');
          to.push(path.relative(root, target).replace(/\.js$/, '').split(path.sep).join('/'));
        }
        g.set(from, to);
      }
    }
  };
  walk(root);
  return g;
}

/** Each cycle of the graph once, as the path that closes it (a -> b -> a). */
export function cyclesOf(g: Graph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  // iterative, so a long chain of modules cannot overflow the stack
  for (const start of [...g.keys()].sort()) {
    if (state.has(start)) continue;
    const work: { mod: string; next: number }[] = [{ mod: start, next: 0 }];
    state.set(start, 'open');
    stack.push(start);
    while (work.length) {
      const top = work[work.length - 1];
      const deps = g.get(top.mod) ?? [];
      if (top.next < deps.length) {
        const d = deps[top.next++];
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d]);
        else if (!state.has(d) && g.has(d)) {
          state.set(d, 'open');
          stack.push(d);
          work.push({ mod: d, next: 0 });
        }
      } else {
        state.set(top.mod, 'done');
        stack.pop();
        work.pop();
      }
    }
  }
  return cycles;
}

/** Every import from a lower layer to a higher one, and every module no layer holds. */
export function layerViolations(g: Graph, layers: string[][]): string[] {
  const rank = rankIn(layers);
  const out: string[] = [];
  for (const [from, deps] of g) {
    const rf = rank(from);
    if (rf === undefined) {
      out.push(`${from}: in no layer of ARCHITECTURE.md`);
      continue;
    }
    for (const d of deps) {
      const rd = rank(d);
      if (rd !== undefined && rd > rf) out.push(`${from} imports ${d}: a lower layer imports a higher one`);
    }
  }
  return out.sort();
}

describe('layers (ARCHITECTURE.md) over the compiled imports', () => {
  const layers = layersOf(fs.readFileSync(ARCHITECTURE, 'utf8'));
  const graph = importGraph(DIST, SOURCE);

  it('walks the whole analyzer', () => {
    // the walk itself: the modules every run loads are there, with the edges that make a run
    assert.ok(graph.size > 100, `${graph.size} modules`);
    assert.ok(graph.get('cli')?.includes('commands/check'));
    assert.ok(graph.get('driver/analyze')?.includes('flow/run'));
  });

  it('has no import cycle', () => {
    assert.deepEqual(cyclesOf(graph).map((c) => c.join(' -> ')), []);
  });

  it('has no import from a lower layer to a higher one, and no module outside the layers', () => {
    assert.deepEqual(layerViolations(graph, layers), []);
  });

  it('the checks see a cycle and an upward import when there is one', () => {
    const g: Graph = new Map([
      ['util/a', ['parse/b']],
      ['parse/b', ['util/a', 'util/c']],
      ['util/c', []],
      ['stray/d', []],
    ]);
    assert.deepEqual(cyclesOf(g), [['parse/b', 'util/a', 'parse/b']]);
    assert.deepEqual(layerViolations(g, layersOf('```layers\nparse\nutil # the lowest\n```\n')),
      ['stray/d: in no layer of ARCHITECTURE.md', 'util/a imports parse/b: a lower layer imports a higher one']);
  });
});
