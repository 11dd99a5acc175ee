/**
 * fetch-kernel: obtain a Linux kernel source tree (Debian's linux-source-<version>
 * package) for callorder to analyse, cached under the user's cache directory.
 *
 * The package comes from the machine's own apt suites when they have it
 * (`apt-get download`), else from Debian unstable on the same mirror, through
 * an apt state of our own under the cache directory (apt/: a sources list
 * with the unstable suite, its lists and its package cache): the system's
 * sources and lists are never written for that. The mirror is read from the
 * machine's apt configuration (apt-sources.ts), never named here.
 *
 * Everything here is synchronous and spawns processes with argument arrays only
 * (never a shell string). Expected failures are reported as FetchError with a
 * one-line message meant for the user.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelCacheRoot } from '../cache/root';
import { debianArchives, osCodename, readAptSources, type DebianArchive } from './apt-sources';
import { FetchError } from '../util/errors';

export { kernelCacheRoot };

export interface FetchOptions {
  /** Directory that holds the extracted trees (default: kernelCacheRoot()). */
  dir?: string;
  /** Extract the whole kernel instead of only the KVM-related parts. */
  full?: boolean;
  /** Progress lines (the CLI sends them to stderr). */
  log?: (line: string) => void;
  /** The apt configuration to read the mirror from (default /etc/apt), and the os-release naming the distribution. */
  aptEtc?: string;
  osRelease?: string;
}


/**
 * The newest kernel Debian serves (from unstable), the one `--fetch newest`
 * and `npm run demo` check: named here, not looked up, so that naming it
 * needs no network. Raise it when unstable moves on.
 */
export const NEWEST_KERNEL = '7.2';

/** The versions the tests and the README cover; any N.M Debian serves can be fetched. */
export const KERNEL_VERSIONS: readonly string[] = Object.freeze([NEWEST_KERNEL, '6.12', '6.1']);

/** The suite asked on the machine's mirror when its own suites lack a version. */
export const FALLBACK_SUITE = 'unstable';

/** A kernel version as the user names it (`7.2`, `newest`) to N.M, or undefined when it is neither. */
export function kernelVersionOf(arg: string): string | undefined {
  if (arg === 'newest') return NEWEST_KERNEL;
  return /^[1-9]\d*\.\d+$/.test(arg) ? arg : undefined;
}

/** Parts of the tree extracted by default (paths relative to the tree root). */
export const KERNEL_PARTS: readonly string[] = Object.freeze([
  'Makefile',
  'arch/x86/kvm',
  'arch/x86/include',
  'virt/kvm',
  'include/linux',
  'include/uapi/linux/kvm*',
  'include/kvm',
]);

/** Name of the marker file written inside every complete tree. */
export const TREE_MARKER = '.callorder-tree.json';

export interface TreeMarker {
  version: string;
  debianVersion: string;
  full: boolean;
  parts: string[];
}

const PREFIX = 'callorder fetch-kernel: ';
const TMP_PREFIX = '.callorder-tmp-';
/** Temp dirs left behind by a killed run are removed once older than this. */
const STALE_TMP_MS = 6 * 60 * 60 * 1000;

/** Name of the env var that points at an existing tree, e.g. CALLORDER_KERNEL_6_12. */
export function kernelEnvVar(version: string): string {
  return 'CALLORDER_KERNEL_' + version.replace(/\./g, '_');
}

/**
 * Returns the absolute path of an extracted kernel tree for `version`,
 * downloading and extracting Debian's linux-source package if needed.
 */
export function fetchKernel(release: string, opts: FetchOptions = {}): string {
  const version = kernelVersionOf(String(release));
  if (!version) {
    throw new FetchError(`${PREFIX}'${String(release)}' is not a kernel version: name one as N.M (e.g. ${KERNEL_VERSIONS.join(', ')}) or newest`);
  }
  const log = opts.log ?? (() => undefined);
  const full = opts.full === true;

  // 1. An explicit tree from the environment wins.
  const envName = kernelEnvVar(version);
  const envPath = process.env[envName];
  if (envPath) {
    const p = path.resolve(envPath);
    if (!isDir(p)) {
      throw new FetchError(`${PREFIX}${envName}=${envPath} is not a directory`);
    }
    return p;
  }

  // 2. A complete tree already in the cache: no apt at all.
  const dir = path.resolve(opts.dir ?? kernelCacheRoot());
  const cached = findCachedTree(dir, version, full);
  if (cached) return cached;

  // 3. Download and extract.
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new FetchError(`${PREFIX}cannot create cache directory ${dir}: ${errText(e)}`);
  }
  removeStaleTemps(dir);

  const pkg = `linux-source-${version}`;
  let work: string | undefined;
  let staging: string | undefined;
  try {
    work = mkTemp(dir, 'dl-');
    const deb = downloadDeb(pkg, work, dir, opts, log);
    const debianVersion = debVersion(deb, log);
    const finalName = `linux-${version}-${safeName(debianVersion)}${full ? '-full' : ''}`;
    const finalPath = path.join(dir, finalName);

    // Another run may have finished the same tree meanwhile.
    if (readMarker(finalPath)) return finalPath;

    staging = mkTemp(dir, 'tree-');
    extract(deb, version, staging, full, work, log);
    fs.rmSync(deb, { force: true }); // free the space before the final move

    const marker: TreeMarker = {
      version,
      debianVersion,
      full,
      parts: full ? ['*'] : [...KERNEL_PARTS],
    };
    fs.writeFileSync(path.join(staging, TREE_MARKER), JSON.stringify(marker, null, 2) + '\n');
    fs.chmodSync(staging, 0o755); // mkdtemp made it 0700

    if (fs.existsSync(finalPath)) {
      if (readMarker(finalPath)) return finalPath; // a concurrent run won
      // Something without a marker under the final name is not ours to trust.
      fs.rmSync(finalPath, { recursive: true, force: true });
    }
    try {
      fs.renameSync(staging, finalPath);
    } catch (e) {
      if (readMarker(finalPath)) return finalPath;
      throw new FetchError(`${PREFIX}cannot move the extracted tree to ${finalPath}: ${errText(e)}`);
    }
    staging = undefined;
    log(`kernel ${version} tree ready: ${finalPath}`);
    return finalPath;
  } catch (e) {
    if (e instanceof FetchError) throw e;
    throw new FetchError(`${PREFIX}${errText(e)}`);
  } finally {
    for (const p of [staging, work]) {
      if (p) {
        try {
          fs.rmSync(p, { recursive: true, force: true });
        } catch {
          /* best effort */
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// cache lookup

function findCachedTree(dir: string, version: string, full: boolean): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  let best: { path: string; marker: TreeMarker } | undefined;
  for (const name of names) {
    if (!name.startsWith(`linux-${version}-`)) continue;
    const p = path.join(dir, name);
    const m = readMarker(p);
    if (!m || m.version !== version) continue;
    if (full && !m.full) continue;
    if (!best) {
      best = { path: p, marker: m };
      continue;
    }
    const c = compareDebianVersions(m.debianVersion, best.marker.debianVersion);
    // Newest Debian version first; on a tie prefer the tree that matches the request exactly.
    if (c > 0 || (c === 0 && m.full === full && best.marker.full !== full)) {
      best = { path: p, marker: m };
    }
  }
  return best?.path;
}

function readMarker(treeDir: string): TreeMarker | undefined {
  try {
    const raw: unknown = JSON.parse(fs.readFileSync(path.join(treeDir, TREE_MARKER), 'utf8'));
    if (typeof raw !== 'object' || raw === null) return undefined;
    const r = raw as Record<string, unknown>;
    if (typeof r.version !== 'string' || typeof r.debianVersion !== 'string' || typeof r.full !== 'boolean') {
      return undefined;
    }
    const parts = Array.isArray(r.parts) ? r.parts.filter((x): x is string => typeof x === 'string') : [];
    return { version: r.version, debianVersion: r.debianVersion, full: r.full, parts };
  } catch {
    return undefined;
  }
}

/**
 * Debian's version ordering, as `dpkg --compare-versions` answers it. Only on a
 * machine without dpkg (or for a version dpkg refuses) does the same ordering
 * written out here decide (dpkgOrder).
 */
export function compareDebianVersions(a: string, b: string): number {
  if (a === b) return 0;
  return askDpkg(a, b) ?? dpkgOrder(a, b);
}

/** -1, 0 or 1 from dpkg; null when it is not installed or takes a version for invalid. */
function askDpkg(a: string, b: string): number | null {
  const ask = (op: 'lt' | 'gt') => spawnSync('dpkg', ['--compare-versions', a, op, b], { stdio: 'ignore', env: { ...process.env, LC_ALL: 'C' } });
  const lt = ask('lt');
  if (lt.error || (lt.status !== 0 && lt.status !== 1)) return null;
  if (lt.status === 0) return -1;
  const gt = ask('gt');
  if (gt.error || (gt.status !== 0 && gt.status !== 1)) return null;
  return gt.status === 0 ? 1 : 0;
}

/** dpkg's ordering written out (epoch:upstream-revision, '~' sorts before everything), for a machine without dpkg. */
export function dpkgOrder(a: string, b: string): number {
  const pa = splitVersion(a);
  const pb = splitVersion(b);
  if (pa.epoch !== pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  const u = verrevcmp(pa.upstream, pb.upstream);
  if (u !== 0) return Math.sign(u);
  return Math.sign(verrevcmp(pa.revision, pb.revision));
}

function splitVersion(v: string): { epoch: number; upstream: string; revision: string } {
  let epoch = 0;
  let rest = v;
  const m = /^(\d+):/.exec(v);
  if (m) {
    epoch = Number(m[1]);
    rest = v.slice(m[0].length);
  }
  const dash = rest.lastIndexOf('-');
  return dash >= 0
    ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) }
    : { epoch, upstream: rest, revision: '' };
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// download and extraction

function downloadDeb(pkg: string, work: string, dir: string, opts: FetchOptions, log: (l: string) => void): string {
  log(`fetching ${pkg} with apt-get download ...`);
  const t0 = Date.now();
  // 1. the machine's own suites, as it has them
  let r = run('apt-get', ['download', pkg], { cwd: work });
  let asked = '';
  if (r.status !== 0 && isUnknownPackage(r)) {
    // 2. unstable on the machine's own mirror, with an apt state of our own
    const archives = debianArchives(readAptSources(opts.aptEtc), osCodename(opts.osRelease));
    if (archives.length) {
      asked = `, nor in ${FALLBACK_SUITE} at ${archives.map((a) => a.uri).join(' ')}`;
      const own = privateApt(path.join(dir, 'apt'), archives);
      log(`this machine's apt sources have no ${pkg}; asking ${FALLBACK_SUITE} at ${archives.map((a) => a.uri).join(' ')} (apt state in ${own.dir}) ...`);
      const u = updateLists(own.options);
      if (u.status !== 0) throw new FetchError(`${PREFIX}apt-get update of ${FALLBACK_SUITE} (${own.list}) failed: ${lastError(u)}`);
      r = run('apt-get', [...own.options, 'download', pkg], { cwd: work });
    } else {
      asked = `, and they name no Debian archive to ask ${FALLBACK_SUITE} of`;
    }
  }
  if (r.status !== 0 && isUnknownPackage(r)) {
    // 3. the machine's own lists may be out of date: as before, refresh them once
    log(`apt-get does not know ${pkg} yet; running apt-get update ...`);
    const u = run('apt-get', ['update'], {});
    if (u.status !== 0) {
      throw new FetchError(
        `${PREFIX}apt-get update failed${process.getuid?.() === 0 ? '' : ' (it needs root)'}: ${lastError(u)}`,
      );
    }
    log(`fetching ${pkg} with apt-get download ...`);
    r = run('apt-get', ['download', pkg], { cwd: work });
  }
  if (r.status !== 0) {
    if (isUnknownPackage(r)) {
      throw new FetchError(
        `${PREFIX}Debian serves no ${pkg}: it is not in this machine's apt sources${asked}. ` +
          'Pass your own kernel checkout instead: callorder check /path/to/linux',
      );
    }
    throw new FetchError(`${PREFIX}apt-get download ${pkg} failed: ${lastError(r)}`);
  }
  const debs = fs.readdirSync(work).filter((n) => n.endsWith('.deb'));
  if (debs.length !== 1) {
    throw new FetchError(`${PREFIX}apt-get download ${pkg} produced ${debs.length} .deb files, expected 1`);
  }
  const deb = path.join(work, debs[0]!);
  const mb = fs.statSync(deb).size / (1024 * 1024);
  log(`downloaded ${debs[0]} (${mb.toFixed(0)} MiB) in ${secs(t0)}`);
  return deb;
}

/**
 * Our own apt state under `dir`: a sources list naming the fallback suite on
 * each Debian archive of the machine, with the key its entries name, and the
 * lists and package cache apt keeps for it. Returns the options that point
 * apt-get at it and at nothing of the system's sources.
 */
export function privateApt(dir: string, archives: DebianArchive[]): { dir: string; list: string; options: string[] } {
  const lists = path.join(dir, 'lists');
  const cache = path.join(dir, 'cache');
  const list = path.join(dir, 'sources.list');
  try {
    fs.mkdirSync(path.join(lists, 'partial'), { recursive: true });
    fs.mkdirSync(path.join(cache, 'archives', 'partial'), { recursive: true });
    const lines = archives.map((a, i) => {
      let key = a.signedBy;
      // a deb822 entry may hold its key inline: one-line entries name a file
      if (key && key.includes('\n')) {
        const file = path.join(dir, `key-${i}.asc`);
        fs.writeFileSync(file, `${key.trim()}\n`);
        key = file;
      }
      const opts = key ? `[signed-by=${key}] ` : '';
      return `deb ${opts}${a.uri} ${FALLBACK_SUITE} ${a.components.join(' ')}`;
    });
    const text = `# written by callorder fetch-kernel: ${FALLBACK_SUITE} on this machine's Debian mirror\n${lines.join('\n')}\n`;
    const tmp = `${list}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, list);
  } catch (e) {
    throw new FetchError(`${PREFIX}cannot write the apt state in ${dir}: ${errText(e)}`);
  }
  const options = [
    '-o', `Dir::Etc::sourcelist=${list}`,
    '-o', 'Dir::Etc::sourceparts=-',
    '-o', `Dir::State::lists=${lists}`,
    '-o', `Dir::Cache=${cache}`,
  ];
  return { dir, list, options };
}

/** apt-get update of our own lists; another fetch holding their lock is waited for (up to 2 minutes). */
function updateLists(options: string[]): SpawnSyncReturns<string> {
  const until = Date.now() + 120_000;
  for (;;) {
    const u = run('apt-get', [...options, 'update'], {});
    if (u.status === 0 || !/Could not get lock/i.test(u.stderr) || Date.now() > until) return u;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  }
}

function isUnknownPackage(r: SpawnSyncReturns<string>): boolean {
  const text = `${r.stdout}\n${r.stderr}`;
  return /Unable to locate package|Can't select|has no installation candidate|No packages found/i.test(text);
}

function debVersion(deb: string, log: (l: string) => void): string {
  const r = run('dpkg-deb', ['-f', deb, 'Version'], {});
  let v = r.status === 0 ? r.stdout.trim() : '';
  if (!v) {
    // Fall back to the file name: <pkg>_<version>_<arch>.deb (':' is %3a there).
    const parts = path.basename(deb, '.deb').split('_');
    v = parts.length >= 3 ? decodeURIComponent(parts[1]!) : '';
  }
  if (!v) throw new FetchError(`${PREFIX}cannot tell the Debian version of ${path.basename(deb)}`);
  log(`Debian package version ${v}`);
  return v;
}

/** Extracts the kernel sources from the .deb into `dest` (tree root, no top dir). */
function extract(
  deb: string,
  version: string,
  dest: string,
  full: boolean,
  work: string,
  log: (l: string) => void,
): void {
  const t0 = Date.now();
  // Step 1: the inner tarball out of the .deb (dpkg-deb --fsys-tarfile | tar -x).
  // spawnSync cannot connect two processes, so the data tar goes through a file.
  const inner = `usr/src/linux-source-${version}.tar.xz`;
  const dataTar = path.join(work, 'data.tar');
  const fd = fs.openSync(dataTar, 'w');
  let r: SpawnSyncReturns<string>;
  try {
    r = run('dpkg-deb', ['--fsys-tarfile', deb], { stdout: fd });
  } finally {
    fs.closeSync(fd);
  }
  if (r.status !== 0) throw new FetchError(`${PREFIX}dpkg-deb could not read ${path.basename(deb)}: ${lastError(r)}`);
  fs.rmSync(deb, { force: true });
  const unpacked = path.join(work, 'data');
  fs.mkdirSync(unpacked);
  r = run('tar', ['-x', '-f', dataTar, '-C', unpacked, '--no-same-owner', `./${inner}`], {});
  fs.rmSync(dataTar, { force: true });
  const tarXz = path.join(unpacked, inner);
  if (r.status !== 0 || !fs.existsSync(tarXz)) {
    throw new FetchError(`${PREFIX}the package has no ${inner}: ${lastError(r)}`);
  }

  // Step 2: xz -dc -T2 | tar -x, done by tar itself with xz as its decompressor.
  // The tarball's single top directory (linux-source-X/) is stripped; the member
  // patterns use '*' for it, and '*' does not cross '/'.
  log(full ? `extracting the whole kernel ${version} ...` : `extracting the KVM parts of kernel ${version} ...`);
  const args = [
    '-x',
    '-f',
    tarXz,
    '--use-compress-program=xz -T2',
    '-C',
    dest,
    '--strip-components=1',
    '--no-same-owner',
  ];
  if (!full) {
    // bounded spread: the seven fixed KERNEL_PARTS
    args.push('--wildcards', '--no-wildcards-match-slash', '--anchored', ...KERNEL_PARTS.map((p) => `*/${p}`));
  }
  r = run('tar', args, {});
  fs.rmSync(unpacked, { recursive: true, force: true });
  if (r.status !== 0) throw new FetchError(`${PREFIX}extracting ${inner} failed: ${lastError(r)}`);
  for (const must of ['Makefile', 'arch/x86/kvm', 'virt/kvm']) {
    if (!fs.existsSync(path.join(dest, must))) {
      throw new FetchError(`${PREFIX}${inner} has an unexpected layout (no ${must})`);
    }
  }
  log(`extracted in ${secs(t0)}`);
}

// ---------------------------------------------------------------------------
// helpers

const INSTALL_HINT: Record<string, string> = {
  'apt-get':
    'apt-get not found; this command needs Debian\'s package tools. Pass your own kernel checkout instead: callorder check /path/to/linux',
  'dpkg-deb': 'dpkg-deb not found; install it with: apt-get install dpkg',
  tar: 'tar not found; install it with: apt-get install tar',
  xz: 'xz not found; install it with: apt-get install xz-utils',
};

function run(
  cmd: string,
  args: string[],
  o: { cwd?: string; stdout?: number },
): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd: o.cwd,
    env: { ...process.env, LC_ALL: 'C', LANGUAGE: '', DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', o.stdout ?? 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FetchError(PREFIX + (INSTALL_HINT[cmd] ?? `${cmd} not found`));
    throw new FetchError(`${PREFIX}cannot run ${cmd}: ${r.error.message}`);
  }
  // tar runs xz itself; a missing xz shows up in tar's stderr.
  if (cmd === 'tar' && r.status !== 0 && /xz[^:\n]*: Cannot exec/.test(r.stderr ?? '')) {
    throw new FetchError(PREFIX + INSTALL_HINT.xz);
  }
  return { ...r, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The most telling single line of a failed command's output. */
function lastError(r: SpawnSyncReturns<string>): string {
  const split = (t: string) =>
    t
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  const err = split(r.stderr).filter((l) => !/^[WN]:/.test(l));
  const line = err.find((l) => /^E:/.test(l)) ?? err[0] ?? split(r.stdout).pop();
  if (line) return line.length > 300 ? line.slice(0, 300) + '...' : line;
  return r.signal ? `killed by ${r.signal}` : `exit status ${String(r.status)}`;
}

function mkTemp(dir: string, kind: string): string {
  try {
    return fs.mkdtempSync(path.join(dir, TMP_PREFIX + kind));
  } catch (e) {
    throw new FetchError(`${PREFIX}cannot create a temporary directory in ${dir}: ${errText(e)}`);
  }
}

/** Removes temp dirs left behind by runs that were killed (not by running ones). */
function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const n of names) {
    if (!n.startsWith(TMP_PREFIX)) continue;
    const p = path.join(dir, n);
    try {
      if (now - fs.statSync(p).mtimeMs > STALE_TMP_MS) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

function safeName(v: string): string {
  return v.replace(/[^A-Za-z0-9.+~-]/g, '_');
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function secs(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)}s`;
}

function errText(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? String(e);
  return String(e);
}
