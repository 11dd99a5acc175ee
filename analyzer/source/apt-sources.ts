/**
 * The machine's own apt sources, read (never written) to find the Debian
 * archive it uses: the mirror's URI and the keyring its entries are signed
 * by. fetch-kernel asks that same mirror for suites the machine does not
 * follow (unstable), through an apt state of its own.
 *
 * Both formats apt reads: one-line (`deb [signed-by=K] URI SUITE COMP...`,
 * sources.list and sources.list.d/*.list) and deb822 (sources.list.d/*.sources).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface AptEntry {
  /** the file it is read from, for messages */
  file: string;
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** a keyring file, or an inline key block (deb822 only) */
  signedBy?: string;
}

/** An archive to ask for another suite: its URI, components and key. */
export interface DebianArchive {
  uri: string;
  components: string[];
  signedBy?: string;
}

/** Every enabled entry of the apt configuration under `etc` (default /etc/apt), in apt's reading order. */
export function readAptSources(etc = '/etc/apt'): AptEntry[] {
  const out: AptEntry[] = [];
  const main = path.join(etc, 'sources.list');
  const text = readText(main);
  if (text !== null) for (const e of parseOneLine(text, main)) out.push(e);
  const parts = path.join(etc, 'sources.list.d');
  let names: string[] = [];
  try {
    names = fs.readdirSync(parts).sort();
  } catch {
    /* no directory: sources.list alone */
  }
  for (const n of names) {
    const file = path.join(parts, n);
    const t = n.endsWith('.list') || n.endsWith('.sources') ? readText(file) : null;
    if (t === null) continue;
    for (const e of n.endsWith('.list') ? parseOneLine(t, file) : parseDeb822(t, file)) out.push(e);
  }
  return out;
}

/** `deb [opt=v ...] URI SUITE [COMPONENT...]` lines; comments and deb-src skipped later by type. */
export function parseOneLine(text: string, file: string): AptEntry[] {
  const out: AptEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(\S+)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(.*)$/.exec(line);
    if (!m) continue;
    const e: AptEntry = { file, types: [m[1]!], uris: [m[3]!], suites: [m[4]!], components: m[5]!.trim().split(/\s+/).filter(Boolean) };
    for (const opt of (m[2] ?? '').trim().split(/\s+/)) {
      const o = /^([\w-]+)=(.*)$/.exec(opt);
      if (o && o[1]!.toLowerCase() === 'signed-by') e.signedBy = o[2];
    }
    out.push(e);
  }
  return out;
}

/** deb822 paragraphs: `Field: value`, continuation lines indented, ` .` an empty line of a multi-line value. */
export function parseDeb822(text: string, file: string): AptEntry[] {
  const out: AptEntry[] = [];
  for (const para of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let last: string | null = null;
    for (const raw of para.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^[ \t]/.test(raw) && last) {
        const cont = raw.trim();
        fields.set(last, `${fields.get(last)}\n${cont === '.' ? '' : cont}`);
        continue;
      }
      const m = /^([\w-]+):\s*(.*)$/.exec(raw);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
    const list = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!fields.has('uris') || /^(no|false|0)$/i.test(fields.get('enabled') ?? '')) continue;
    const e: AptEntry = { file, types: list('types'), uris: list('uris'), suites: list('suites'), components: list('components') };
    const signedBy = fields.get('signed-by')?.trim();
    if (signedBy) e.signedBy = signedBy;
    out.push(e);
  }
  return out;
}

/** Suite names the Debian archive itself has, besides the codenames. */
const ARCHIVE_SUITES = new Set(['oldoldstable', 'oldstable', 'stable', 'testing', 'unstable', 'sid']);

/**
 * The Debian archives among the entries: `deb` entries with a suite of the
 * distribution itself (its codename, or stable, testing, unstable...), not
 * only an add-on suite of it (bookworm-security, bookworm-updates), which
 * lives elsewhere or has no unstable beside it. One per URI, first first.
 */
export function debianArchives(entries: AptEntry[], codename: string | undefined): DebianArchive[] {
  const out: DebianArchive[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.types.includes('deb')) continue;
    if (!e.suites.some((s) => s === codename || ARCHIVE_SUITES.has(s))) continue;
    for (const uri of e.uris) {
      const key = uri.replace(/\/+$/, '');
      if (seen.has(key)) continue;
      seen.add(key);
      const a: DebianArchive = { uri, components: e.components.length ? e.components : ['main'] };
      if (e.signedBy) a.signedBy = e.signedBy;
      out.push(a);
    }
  }
  return out;
}

/** The distribution's codename from os-release (VERSION_CODENAME, else the word in VERSION's parentheses). */
export function osCodename(file = '/etc/os-release'): string | undefined {
  const text = readText(file) ?? '';
  const field = (k: string) => {
    const m = new RegExp(`^${k}=(.*)$`, 'm').exec(text);
    return m ? m[1]!.trim().replace(/^(["'])(.*)\1$/, '$2') : undefined;
  };
  const c = field('VERSION_CODENAME');
  if (c) return c;
  const m = /\(([a-z]+)\)/.exec(field('VERSION') ?? '');
  return m ? m[1] : undefined;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
