// The floor: bare tree-sitter-c over the files a check analyses, on this one
// thread, with the same tree-sitter the analyzer loads. No normalization, no
// extraction; only the parse() calls are timed (files are read first).
//
//   node dist/scripts/bench-parse.js TREE [--runs N] [--include GLOB ...]
// prints JSON: { files, bytes, runs: [ms, ...], maxRssKb }

import * as fs from 'node:fs';
import * as path from 'node:path';
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';
import { loadPack, defaultPackPath } from '../analyzer/pack/load';
import { discoverFiles } from '../analyzer/source/discover';
import { collectDeadTrees } from '../analyzer/parse/tree-memory';
import { childArgs } from './bench-args';

async function main(argv: string[]): Promise<void> {
  const { root, runs, include } = childArgs(argv);
  const pack = loadPack(defaultPackPath());
  const { files } = discoverFiles(root, include.length ? include : pack.include, pack.exclude);
  const parser = new Parser();
  parser.setLanguage(C as unknown as Parser.Language);
  let bytes = 0;
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    let ms = 0;
    bytes = 0;
    for (const rel of files) {
      let text: string;
      try {
        text = fs.readFileSync(path.join(root, rel), 'latin1');
      } catch {
        continue;
      }
      bytes += text.length;
      const t0 = performance.now();
      parser.parse(text);
      ms += performance.now() - t0;
      // the trees of a whole kernel would not fit otherwise (tree-memory.ts); not timed
      collectDeadTrees(text.length);
      await new Promise((resolve) => setImmediate(resolve));
    }
    times.push(ms);
  }
  process.stdout.write(`${JSON.stringify({ files: files.length, bytes, runs: times, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`bench-parse: ${(e as Error).message}\n`);
  process.exit(2);
});
