// init-before-read: a field of zero-allocated state is read before anything
// wrote it, on some path from the entry. Only fields the rule lists are
// tracked: for most fields zero is a fine value, for these it is not.

import { FIELDS, NAMES, type RuleOf } from '../pack/rule-schema';
import { Later, type RuleKind } from './context';

const schema = {
  properties: { fields: FIELDS, initializers: NAMES },
  required: ['fields'],
} as const;
export type InitBeforeReadRule = RuleOf<'init-before-read', typeof schema>;

const kind: RuleKind<InitBeforeReadRule> = {
  kind: 'init-before-read',
  schema,
  create(rule, ctx) {
    const fields = new Set(rule.fields);
    const inits = new Set(rule.initializers ?? []);
    const written = ctx.facts('written');
    const later = new Later(ctx.fact('later'));
    return {
      events: { fields, calls: (n) => inits.has(n) },
      onRunEnd: () => later.clear(),
      onWrite(q, st, at) {
        written.set(st, q, 1);
        later.happened((k) => k === q, at, `writes ${q}: the initialisation comes only here`, st);
      },
      onCallReturn(call, st, at) {
        if (!call.name || !inits.has(call.name)) return;
        for (const f of fields) written.set(st, f, 1);
        later.happened(() => true, at, `calls ${call.name}(): the initialisation comes only here`, st);
      },
      onRead(q, st, at) {
        const w = written.get(st, q);
        if (w === 1) return;
        const add = ctx.report({
          at,
          note: `reads ${q}${w === 2 ? ', written on some paths only' : ', never written yet'}`,
          vars: { field: q },
          field: q,
          key: q,
        });
        later.wait(q, add, st);
      },
    };
  },
};
export default kind;
