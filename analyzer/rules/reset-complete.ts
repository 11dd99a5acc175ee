// reset-complete: a reset function writes every field of a set on every
// path, through whatever it calls (each implementation of an ops hook counts
// as a path of its own).

import { FIELDS, type RuleOf } from '../pack/rule-schema';
import type { RuleKind } from './context';

const schema = { properties: { fields: FIELDS }, required: ['fields'] } as const;
export type ResetCompleteRule = RuleOf<'reset-complete', typeof schema>;

const kind: RuleKind<ResetCompleteRule> = {
  kind: 'reset-complete',
  schema,
  create(rule, ctx) {
    const fields = new Set(rule.fields);
    const written = ctx.facts('written');
    return {
      events: { fields },
      onWrite(q, st) {
        written.set(st, q, 1);
      },
      onEntryReturn(st, at) {
        for (const f of rule.fields) {
          const v = written.get(st, f);
          if (v === 1) continue;
          ctx.report({
            at,
            note: `returns without writing ${f}${v === 2 ? ' on every path' : ''}`,
            vars: { field: f },
            field: f,
            key: f,
          });
        }
      },
    };
  },
};
export default kind;
