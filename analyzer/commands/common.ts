// What every command needs: which tree, which pack, which limits.

import * as path from 'node:path';
import { loadPack, defaultPackPath, type Pack } from '../pack/load';
import { looksLikeKernelTree } from '../source/discover';
import { fetchKernel, type FetchOptions } from '../source/fetch-kernel';
import { DEFAULT_LIMITS, type ParseLimits } from '../parse/parse-file';
import type { LoadOptions } from '../source/load-tree';

export class UsageError extends Error {}

export interface CommonArgs {
  tree?: string;
  fetch?: string;
  rules?: string;
  include?: string[];
  exclude?: string[];
  maxFileSize?: number;
  timeout?: number;
  maxBodyBytes?: number;
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function resolveTree(a: CommonArgs): string {
  if (a.fetch) {
    if (a.fetch !== '6.12' && a.fetch !== '6.1') throw new UsageError(`--fetch takes 6.12 or 6.1, not ${a.fetch}`);
    if (a.tree) throw new UsageError('name a TREE or --fetch, not both');
    const opts: FetchOptions = { log };
    return fetchKernel(a.fetch, opts);
  }
  if (a.tree) return path.resolve(a.tree);
  const cwd = process.cwd();
  if (looksLikeKernelTree(cwd)) return cwd;
  // No tree named and none here: the main job still has ground to stand on.
  log('callorder: no kernel tree named and the current directory is not one; using Debian\'s linux-source-6.12');
  return fetchKernel('6.12', { log });
}

export function resolvePack(a: CommonArgs): Pack {
  return loadPack(a.rules ?? defaultPackPath());
}

export function limitsOf(a: CommonArgs): ParseLimits {
  const l = { ...DEFAULT_LIMITS };
  if (a.maxFileSize !== undefined) {
    if (!(a.maxFileSize > 0)) throw new UsageError('--max-file-size must be a positive number of bytes');
    l.maxFileSize = a.maxFileSize;
  }
  if (a.timeout !== undefined) {
    if (!(a.timeout >= 0)) throw new UsageError('--timeout must be a number of seconds, 0 for none');
    l.timeoutMs = a.timeout * 1000;
  }
  return l;
}

/** Which files, and the limits they are read under. */
export function loadOptionsOf(a: CommonArgs): LoadOptions {
  if (a.maxBodyBytes !== undefined && !(a.maxBodyBytes >= 0)) throw new UsageError('--max-body-bytes must be a number of bytes, 0 or more');
  return { include: a.include, exclude: a.exclude, limits: limitsOf(a), maxBodyBytes: a.maxBodyBytes };
}

/** Deterministic JSON: keys in insertion order, which every producer fixes. */
export function json(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}
