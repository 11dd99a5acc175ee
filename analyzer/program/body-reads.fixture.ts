// For the tests of what reads function bodies: the same facts with every
// body behind a getter that notes whose body was read.

import type { TreeFacts } from '../driver/load-tree';

export function withBodyReads(tree: TreeFacts): { tree: TreeFacts; read: Set<string> } {
  const read = new Set<string>();
  const files = tree.files.map((f) => ({
    ...f,
    functions: f.functions.map((d) => {
      const o = { ...d };
      Object.defineProperty(o, 'body', { enumerable: true, get: () => (read.add(d.name), d.body) });
      return o;
    }),
  }));
  return { tree: { ...tree, files }, read };
}
