// What a rule kind gets to work with, and the registry of kinds. A kind is a
// module that turns one rule spec into engine hooks (ESLint's create()).

import picomatch from 'picomatch';
import type { Program } from '../program/program';
import type { KindHooks, Site } from '../flow/hooks';
import type { Fact, Facts } from '../flow/facts';
import type { EntrySpec } from '../pack/rule-spec';
import type { KindSchema, RuleBase } from '../pack/rule-schema';
import type { TraceStep } from '../flow/finding';
import type { State } from '../flow/state';

export interface Report {
  at: Site;
  /** the event, as the last trace step says it: "reads kvm_vcpu_arch.cr0" */
  note: string;
  /** values for the rule message's {placeholders} */
  vars: Record<string, string>;
  field?: string;
  /** what makes two reports the same finding, besides rule, entry and site */
  key: string;
  /** steps appended after the trace (where the missing event happens instead) */
  extra?: TraceStep[];
}

export interface RuleContext {
  program: Program;
  entry: EntrySpec;
  /** Records a finding; the returned function appends a step to it (where the missing event happens after all). */
  report(r: Report): (step: TraceStep) => void;
  /** The rule's own fact `name` on the path (as Smatch's my_id): no other rule's has its key. */
  fact(name: string): Fact;
  /** The rule's own facts `name`, one per subject (a field). */
  facts(name: string): Facts;
}

/**
 * Findings waiting for the event whose absence they report: when it does
 * happen later in the entry's run, each gets one last step saying where.
 */
export class Later {
  private waiting: { key: string; add: (step: TraceStep) => void }[] = [];

  /**
   * `fact`: set on the path of a finding that waits, so that only an event
   * on a path that went through it closes it: in an ioctl dispatcher the
   * next case's acquire is no later step of this case's finding.
   */
  constructor(private fact: Fact) {}

  wait(key: string, add: (step: TraceStep) => void, st: State): void {
    this.waiting.push({ key, add });
    this.fact.set(st, 1);
  }

  /** Whether a finding on the path of `st` may wait for the event. */
  pending(st: State): boolean {
    return this.waiting.length > 0 && this.fact.get(st) !== 0;
  }

  /** A run ended: what it did not do, a later run does not do for it. */
  clear(): void {
    this.waiting = [];
  }

  /** The event happened at `at` on a path in state `st`: close every finding of this path waiting on one of `keys`. */
  happened(keys: (k: string) => boolean, at: Site, note: string, st: State): void {
    if (!this.waiting.length || this.fact.get(st) === 0) return;
    const step: TraceStep = { function: at.fn.name, file: at.fn.file, line: at.line, note };
    this.waiting = this.waiting.filter((w) => {
      if (!keys(w.key)) return true;
      w.add(step);
      return false;
    });
  }
}

export interface RuleKind<R extends RuleBase = RuleBase> {
  kind: R['kind'];
  /** the kind's own keys (ESLint's meta.schema): rules/schema.json and the kind's spec type come from it */
  schema: KindSchema;
  /** entries to analyse when the rule lists none */
  entries?(rule: R, p: Program): EntrySpec[];
  /**
   * keys that name forms of one thing, any of which will do (must-follow's
   * `follow` and `deferredBy`): rules/names.ts checks them as one
   */
  alternatives?: readonly (readonly string[])[];
  /**
   * keys whose items are forms of one thing across kernels (guarded's
   * `predicate`: kvm_vcpu_has_run() in 6.12, the field test in 6.1): a name
   * of one the tree lacks is noted only when it has none of them
   */
  forms?: readonly string[];
  create(rule: R, ctx: RuleContext): KindHooks;
}

/** `vmcs_read*` style globs on function names (picomatch, as the pack's file globs; the schema allows `*` alone). */
export function globMatcher(globs: string[] | undefined): (name: string | undefined) => boolean {
  if (!globs || globs.length === 0) return () => false;
  const match = picomatch(globs);
  return (name) => !!name && match(name);
}

export function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? vars[k] : m));
}

export function siteName(at: Site): string {
  return `${at.fn.name}() at ${at.fn.file}:${at.line}`;
}

/** Function names a rule exempts: plain names, and every implementation of a `struct.member` hook. */
export function exemptSet(exempt: string[] | undefined, p: Program): Set<string> {
  const out = new Set<string>();
  for (const x of exempt ?? []) {
    if (x.includes('.')) for (const i of p.hookImpls.get(x) ?? []) out.add(i.fn);
    else out.add(x);
  }
  return out;
}
