// requires-before: operations that need an event earlier on every path (a
// loaded vCPU, an initialised VMCS) and not undone since by a release.

import type { State } from '../flow/state';
import { GLOBS, type RuleOf } from '../pack/rule-schema';
import { globMatcher, Later, type RuleKind } from './context';

const schema = {
  properties: { operations: GLOBS, acquire: GLOBS, release: GLOBS, region: { type: 'string' } },
  required: ['operations', 'acquire'],
} as const;
export type RequiresBeforeRule = RuleOf<'requires-before', typeof schema>;

const kind: RuleKind<RequiresBeforeRule> = {
  kind: 'requires-before',
  schema,
  create(rule, ctx) {
    const isOp = globMatcher(rule.operations);
    const isAcq = globMatcher(rule.acquire);
    const isRel = globMatcher(rule.release);
    const region = ctx.fact('region');
    // set by a release, so that an operation after it is not said to come "before" the acquire
    const released = ctx.fact('released');
    const acquire = rule.acquire.join('/');
    const later = new Later(ctx.fact('later'));
    const outside = (st: State): string => {
      const r = released.get(st);
      const after = `after ${(rule.release ?? []).join('/')}`;
      return r === 0 ? `before ${acquire}` : r === 1 ? after : `before ${acquire} or ${after}`;
    };
    return {
      events: { calls: (n) => isAcq(n) || isOp(n) || isRel(n) },
      // held on every path (so not released) with nothing waiting: an operation or an acquire inside changes nothing and reports nothing
      settled: { events: { calls: isRel }, holds: (st) => region.get(st) === 1 && !later.pending(st) },
      onRunEnd: () => later.clear(),
      onCall(call, st, at) {
        // the acquiring function's own work happens inside the region
        const acq = isAcq(call.name) ? call.name : call.info.targets.find((t) => isAcq(t.fn.name))?.fn.name;
        if (acq) {
          region.set(st, 1);
          released.set(st, 0);
          later.happened(() => true, at, `calls ${acq}(): ${acquire} comes only here`, st);
          return;
        }
        if (!isOp(call.name)) return;
        // report the outermost operation only: vmcs_readl() inside vmcs_read32()
        if (at.stack.some((f) => isOp(f.fn.name) || isAcq(f.fn.name))) return;
        const v = region.get(st);
        if (v === 1) return;
        const add = ctx.report({
          at,
          note: `calls ${call.name}()${v === 2 ? ` on a path without ${acquire}` : ` ${outside(st)}`}`,
          vars: { op: call.name ?? '?', acquire, region: rule.region ?? acquire },
          key: call.name ?? '?',
        });
        later.wait(call.name ?? '?', add, st);
      },
      onCallReturn(call, st) {
        if (isRel(call.name) || call.info.targets.some((t) => isRel(t.fn.name))) {
          region.set(st, 0);
          released.set(st, 1);
        }
      },
    };
  },
};
export default kind;
