// The call graph seen from one function: breadth-first to a depth, or only
// the part that lies on some path to a target. Rendered as text, DOT or JSON.

import type { FunctionFact } from '../parse/ir';
import { Program, cmp } from './program';
import { callSites, type EdgeKind } from './callgraph';

export interface GraphNode { name: string; file: string; line: number }
export interface GraphEdge { from: string; to: string; kind: EdgeKind; via: string; file: string; line: number; cond?: string }
export interface Graph { nodes: GraphNode[]; edges: GraphEdge[]; unresolved: { file: string; line: number; expr: string }[] }

function key(f: FunctionFact): string {
  return `${f.name}@${f.file}:${f.line}`;
}

export function graphFrom(p: Program, from: string, opts: { to?: string; depth: number }): Graph {
  const starts = p.functions.get(from) ?? [];
  const nodes = new Map<string, FunctionFact>();
  const edges = new Map<string, GraphEdge>();
  const unresolved = new Map<string, { file: string; line: number; expr: string }>();
  const succ = new Map<string, string[]>();
  let frontier = starts;
  for (const s of starts) nodes.set(key(s), s);
  for (let d = 0; d < opts.depth && frontier.length; d++) {
    const next: FunctionFact[] = [];
    for (const fn of frontier) {
      const outs: string[] = [];
      for (const cs of callSites(p, fn)) {
        if (cs.info.indirect && cs.info.targets.length === 0) {
          const u = { file: fn.file, line: cs.line, expr: cs.info.text };
          unresolved.set(`${u.file}:${u.line}:${u.expr}`, u);
        }
        for (const t of cs.info.targets) {
          const e: GraphEdge = {
            from: fn.name, to: t.fn.name, kind: t.kind, via: t.via ?? '', file: fn.file, line: cs.line,
            ...(t.cond || cs.cond ? { cond: [cs.cond, t.cond].filter(Boolean).join(' && ') } : {}),
          };
          edges.set(`${key(fn)}>${key(t.fn)}@${cs.line}:${e.via}`, e);
          outs.push(key(t.fn));
          if (!nodes.has(key(t.fn))) {
            nodes.set(key(t.fn), t.fn);
            next.push(t.fn);
          }
        }
      }
      succ.set(key(fn), outs);
    }
    frontier = next;
  }
  let keep: Set<string> | null = null;
  if (opts.to) {
    // nodes that reach a definition of `to` within what was explored
    keep = new Set([...nodes.keys()].filter((k) => k.startsWith(`${opts.to}@`)));
    let changed = true;
    while (changed) {
      changed = false;
      for (const [k, outs] of succ) {
        if (!keep.has(k) && outs.some((o) => keep!.has(o))) {
          keep.add(k);
          changed = true;
        }
      }
    }
  }
  const nodeList = [...nodes.entries()].filter(([k]) => !keep || keep.has(k)).map(([, f]) => ({ name: f.name, file: f.file, line: f.line }));
  const names = new Set(nodeList.map((n) => `${n.name}`));
  const edgeList = [...edges.entries()]
    .filter(([k]) => {
      if (!keep) return true;
      const [a, rest] = k.split('>');
      const b = rest.slice(0, rest.lastIndexOf('@'));
      return keep.has(a) && keep.has(b);
    })
    .map(([, e]) => e)
    .filter((e) => names.has(e.from) && names.has(e.to));
  nodeList.sort((a, b) => cmp(a.name, b.name) || cmp(a.file, b.file) || a.line - b.line);
  edgeList.sort((a, b) => cmp(a.from, b.from) || cmp(a.file, b.file) || a.line - b.line || cmp(a.to, b.to) || cmp(a.via, b.via));
  const un = keep ? [] : [...unresolved.values()].sort((a, b) => cmp(a.file, b.file) || a.line - b.line || cmp(a.expr, b.expr));
  return { nodes: nodeList, edges: edgeList, unresolved: un };
}

export function renderGraph(g: Graph, format: 'text' | 'dot' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(g, null, 2)}\n`;
  if (format === 'dot') {
    const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;
    const lines = ['digraph callorder {', '  node [shape=box, fontname="monospace"];'];
    for (const n of g.nodes) lines.push(`  ${q(n.name)} [tooltip=${q(`${n.file}:${n.line}`)}];`);
    for (const e of g.edges) {
      const how = e.kind === 'direct' ? '' : e.kind === 'macro' || e.kind === 'cleanup' ? `${e.kind} ${e.via}` : e.via;
      const label = [how, e.cond ? `if ${e.cond}` : ''].filter(Boolean).join(' ');
      const style = e.kind === 'ops' ? ', style=dashed' : e.kind === 'macro' ? ', style=dotted' : e.kind === 'cleanup' ? ', style=bold' : '';
      lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(label)}, tooltip=${q(`${e.file}:${e.line}`)}${style}];`);
    }
    lines.push('}');
    return `${lines.join('\n')}\n`;
  }
  const lines: string[] = [];
  for (const e of g.edges) {
    const how = e.kind === 'direct' ? 'direct' : `${e.kind} ${e.via}`;
    lines.push(`${e.from} -> ${e.to}  [${how}] ${e.file}:${e.line}${e.cond ? `  if ${e.cond}` : ''}`);
  }
  for (const u of g.unresolved) lines.push(`unresolved ${u.file}:${u.line}: ${u.expr}`);
  return lines.map((l) => `${l}\n`).join('');
}
