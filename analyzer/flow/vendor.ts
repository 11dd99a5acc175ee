// The vendor filter: a path that went through one vendor's ops table (VMX,
// SVM) stays on that vendor, and a definition under an `#if` side the run's
// build does not take is not there.

import { condLiterals } from '../program/program';
import type { Target } from '../program/callgraph';
import type { State } from './state';

/** The state's value naming the table group a path is bound to, once an ops call chose one. */
export const GROUP_KEY = '@table-group';

export class VendorFilter {
  private groupOf = new Map<string, number>();
  /** the vendor and the configuration assumed, which an ops call's targets depend on */
  private readonly groupKey: string;
  /** the configuration assumed, which any call's definitions under #if depend on */
  private readonly assumeKey: string;

  /**
   * `tableGroups`: tables that belong together (one vendor's); `group`: the
   * one this run is on, if fixed; `assume`: the configuration symbols the
   * run's build assumes on or off.
   */
  constructor(tableGroups: string[][] | undefined, private group: number | undefined, private assume: ReadonlyMap<string, boolean> | undefined) {
    (tableGroups ?? []).forEach((g, i) => g.forEach((t) => this.groupOf.set(t, i)));
    this.assumeKey = [...(assume ?? [])].map(([k, v]) => `${v ? '+' : '-'}${k}`).sort().join('');
    this.groupKey = `${group ?? ''}${this.assumeKey}`;
  }

  /** What a frame's result depends on of this run's vendor and build: the vendor only where an ops call can follow. */
  buildKey(reachesOps: boolean): string {
    return reachesOps ? this.groupKey : this.assumeKey || '*';
  }

  /** The group an ops target's table is in (undefined: not an ops call, or a table of no group). */
  groupOfTarget(t: Target): number | undefined {
    return t.kind === 'ops' && t.via ? this.groupOf.get(t.via.slice(0, t.via.indexOf('.'))) : undefined;
  }

  /**
   * Ops targets on the vendor already chosen on this path: a path that went
   * through one vendor's table does not continue in another's.
   */
  targets(targets: Target[], st: State): Target[] {
    const bound = this.group ?? st.vals.get(GROUP_KEY);
    // a definition under an #if side this build does not take is not there, ops or not
    if (bound === undefined || bound === null) return this.assume?.size ? targets.filter((t) => this.assumed(t.cond)) : targets;
    // a hook only the other vendor implements is a call that does nothing on this one
    return targets.filter((t) => {
      if (!this.assumed(t.cond)) return false;
      if (t.kind !== 'ops' || !t.via) return true;
      const g = this.groupOf.get(t.via.slice(0, t.via.indexOf('.')));
      return g === undefined || g === bound;
    });
  }

  /** Whether an `#if` side agrees with what this run assumes of the configuration. */
  private assumed(cond: string | undefined): boolean {
    const a = this.assume;
    if (!cond || !a || !a.size) return true;
    for (const l of condLiterals(cond) ?? []) {
      const v = a.get(l.name);
      if (v !== undefined && v === l.negated) return false;
    }
    return true;
  }
}
