// For the bot's tests: a small git tree of kernel-style C (the examples of
// the default pack's cpuid-state-before-read rule), a pack of that one rule,
// series made with `git format-patch` from branches of the tree, and a real
// public-inbox v2 archive they are delivered into with public-inbox's own
// tools (public-inbox-init -V2, public-inbox-mda), installed with apt-get
// when missing.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
const EXAMPLES = path.join(ROOT, 'fixtures', 'kvm-x86', 'cpuid-state-before-read');
export const LIST = 'kvm@example.invalid';

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): string {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.error?.message ?? ''}${r.stderr}`);
  return r.stdout;
}

/** public-inbox's tools on PATH, installed from Debian when missing */
export function ensurePublicInbox(): void {
  if (spawnSync('public-inbox-init', ['--help'], { stdio: 'ignore' }).status !== null) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const apt = (args: string[]) => run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), ...args],
    { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt(['install', '-y', '-q', '--no-install-recommends', 'public-inbox']);
  } catch {
    apt(['update', '-q']);
    apt(['install', '-y', '-q', '--no-install-recommends', 'public-inbox']);
  }
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Ada Author', GIT_AUTHOR_EMAIL: 'ada@example.org', GIT_COMMITTER_NAME: 'Ada Author',
  GIT_COMMITTER_EMAIL: 'ada@example.org', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return run('git', args, { cwd, env: { ...process.env, ...GIT_ENV } });
}

/** the pack: the default pack with its cpuid-state-before-read rule alone (the tree has none of the others' entries) */
export function writePack(file: string): void {
  const p = (require('yaml') as typeof import('yaml')).parse(fs.readFileSync(path.join(ROOT, 'rules', 'kvm-x86.yaml'), 'utf8'), { merge: true }) as Record<string, unknown> & { rules: { id: string; examples?: string }[] };
  delete p.$schema;
  p.extends = [path.join(ROOT, 'rules', 'kernel-c.json')];
  p.rules = p.rules.filter((r) => r.id === 'cpuid-state-before-read').map((r) => ({ ...r, examples: undefined }));
  fs.writeFileSync(file, JSON.stringify(p, null, 1));
}

const KVM = 'arch/x86/kvm';
/** a helper that reads the derived state, called nowhere yet */
const HELPER = [
  '', 'static int __kvm_mmu_create(struct kvm_vcpu *vcpu)', '{', '\tif (cpuid_maxphyaddr(vcpu) > 48)', '\t\treturn 1;', '\treturn 0;', '}', '',
].join('\n');

function edit(file: string, from: string, to: string): void {
  const t = fs.readFileSync(file, 'utf8');
  if (!t.includes(from)) throw new Error(`${file}: no ${JSON.stringify(from)}`);
  fs.writeFileSync(file, t.replace(from, to));
}

export interface Series {
  name: string;
  /** the mails in sending order, as format-patch wrote them */
  mails: string[];
  /** Message-IDs of the mails with a diff, patch 1 first */
  patches: string[];
}

function formatPatch(tree: string, out: string, range: string, extra: string[], cover?: string): string[] {
  fs.mkdirSync(out, { recursive: true });
  git(tree, 'format-patch', '-q', '--thread=shallow', `--to=${LIST}`, '-o', out, ...extra, range);
  const files = fs.readdirSync(out).sort().map((n) => path.join(out, n));
  if (cover) edit(files[0], '*** SUBJECT HERE ***', cover);
  // format-patch's ids carry the second they were made in: two series made in one second would share a cover's
  const tag = path.basename(out);
  return files.map((f) => fs.readFileSync(f, 'utf8').replace(/\.git\.ada@example\.org>/g, `.${tag}.git.ada@example.org>`));
}

const msgid = (mail: string) => /^Message-I[dD]: (\S+)$/m.exec(mail)![1];
const hasDiff = (mail: string) => /^diff --git /m.test(mail);

/**
 * The tree (master: the helper-free base) and five things sent to the list:
 * v1 of a series (a helper, then a call to it after the state is derived),
 * v2 (the call moved before: the hazard), an unrelated documentation patch,
 * a hostile patch (it makes a symbolic link in the tree), and a reply thread.
 */
export function makeSeries(work: string): { tree: string; pack: string; series: Record<string, Series>; replies: string[] } {
  const tree = path.join(work, 'linux');
  fs.mkdirSync(path.join(tree, KVM), { recursive: true });
  fs.mkdirSync(path.join(tree, 'Documentation'), { recursive: true });
  fs.copyFileSync(path.join(EXAMPLES, 'kvm_host.h'), path.join(tree, KVM, 'kvm_host.h'));
  fs.copyFileSync(path.join(EXAMPLES, 'valid-after-set-cpuid.c'), path.join(tree, KVM, 'x86.c'));
  fs.writeFileSync(path.join(tree, 'Documentation', 'kvm.rst'), 'KVM\n===\n\nThe kernel virtual machnie.\n');
  git(tree, 'init', '-q', '-b', 'master');
  git(tree, 'add', '-A');
  git(tree, 'commit', '-q', '-m', 'base');
  const x86 = path.join(tree, KVM, 'x86.c');
  const commit = (msg: string) => {
    git(tree, 'commit', '-q', '-a', '-m', msg);
  };
  const series: Record<string, Series> = {};
  const make = (name: string, branch: string, steps: (() => void)[], extra: string[], cover?: string) => {
    git(tree, 'checkout', '-q', '-b', branch, 'master');
    for (const s of steps) s();
    const mails = formatPatch(tree, path.join(work, 'out', name), `master..${branch}`, extra, cover);
    git(tree, 'checkout', '-q', 'master');
    series[name] = { name, mails, patches: mails.filter(hasDiff).map(msgid) };
  };
  const helper = () => {
    edit(x86, '\nint kvm_arch_vcpu_create', `${HELPER}\nint kvm_arch_vcpu_create`);
    commit('KVM: x86: add a helper that sizes the MMU\n\nSized by the guest\'s physical address width.');
  };
  const call = (before: boolean) => () => {
    if (before) edit(x86, '\tr = kvm_x86_call(vcpu_create)(vcpu);', '\tr = __kvm_mmu_create(vcpu);\n\tif (r)\n\t\treturn r;\n\tr = kvm_x86_call(vcpu_create)(vcpu);');
    else edit(x86, '\tkvm_init_mmu(vcpu);', '\tkvm_init_mmu(vcpu);\n\t__kvm_mmu_create(vcpu);');
    commit('KVM: x86: size the MMU at vCPU creation');
  };
  make('v1', 'mmu-v1', [helper, call(false)], ['--cover-letter', '-v1'], 'KVM: x86: size the MMU when the vCPU is made');
  make('v2', 'mmu-v2', [helper, call(true)], ['--cover-letter', '-v2', '--base=master'], 'KVM: x86: size the MMU when the vCPU is made');
  make('docs', 'docs', [() => {
    edit(path.join(tree, 'Documentation', 'kvm.rst'), 'machnie', 'machine');
    commit('Documentation: kvm: fix a typo');
  }], []);
  make('hostile', 'hostile', [() => {
    edit(x86, '\tint r;\n', '\tint r; /* the link below is the point */\n');
    fs.symlinkSync('../../../../etc', path.join(tree, KVM, 'lnk'));
    git(tree, 'add', path.join(KVM, 'lnk'));
    commit('KVM: x86: a link out of the tree');
  }], []);
  // a base-commit the tree does not have: the bot falls back to the branch
  series.hostile.mails = series.hostile.mails.map((m) => m.replace(/\n-- \n/, '\nbase-commit: 0123456789abcdef0123456789abcdef01234567\n-- \n'));
  const v1p2 = series.v1.patches[1];
  const replies = [
    ['From: Rev Iewer <rev@example.org>', `To: ${LIST}`, 'Subject: Re: [PATCH v1 2/2] KVM: x86: size the MMU at vCPU creation',
      '<reply1@example.org>', v1p2, 'Looks fine to me.'],
    ['From: Ada Author <ada@example.org>', `To: ${LIST}`, 'Subject: Re: [PATCH v1 2/2] KVM: x86: size the MMU at vCPU creation',
      '<reply2@example.org>', '<reply1@example.org>', 'Thanks; v2 moves the call.'],
  ].map(([from, to, subject, id, parent, text]) => [from, to, subject, `Message-ID: ${id}`, `In-Reply-To: ${parent}`,
    `References: ${v1p2}${parent === v1p2 ? '' : ` ${parent}`}`, 'Date: Sun, 6 Dec 2026 10:00:00 +0000', '', text, ''].join('\n'));
  const pack = path.join(work, 'pack.json');
  writePack(pack);
  return { tree, pack, series, replies };
}

/** A v2 archive made by public-inbox-init, its config and HOME in `work`. */
export class Archive {
  readonly dir: string;
  private env: NodeJS.ProcessEnv;

  constructor(work: string, name = 'kvm') {
    this.dir = path.join(work, name);
    const home = path.join(work, `${name}-home`);
    fs.mkdirSync(home, { recursive: true });
    const config = path.join(home, 'pi-config');
    this.env = { ...process.env, HOME: home, PI_CONFIG: config, ORIGINAL_RECIPIENT: LIST };
    run('public-inbox-init', ['-V2', name, this.dir, `http://127.0.0.1/${name}`, LIST], { env: this.env });
    // no spam filter here: spamc is not part of this
    run('git', ['config', '-f', config, 'publicinboxmda.spamcheck', 'none'], { env: this.env });
  }

  /** one mail, as the list's MTA hands it to public-inbox */
  deliver(mail: string): void {
    run('public-inbox-mda', [], { env: this.env, input: mail });
  }
}
