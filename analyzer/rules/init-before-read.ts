// init-before-read: a field of zero-allocated state is read before anything
// wrote it, on some path from the entry. Only fields the rule lists are
// tracked: for most fields zero is a fine value, for these it is not.

import type { InitBeforeReadRule } from '../pack/rule-spec';
import type { RuleKind } from './context';

const kind: RuleKind<InitBeforeReadRule> = {
  kind: 'init-before-read',
  create(rule, ctx) {
    const fields = new Set(rule.fields);
    const inits = new Set(rule.initializers ?? []);
    const fact = (f: string) => `w:${f}`;
    return {
      watch: { key: rule.id, fields, calls: (n) => inits.has(n), facts: (k) => k.startsWith('w:') && fields.has(k.slice(2)) },
      onWrite(q, st) {
        if (fields.has(q)) st.set(fact(q), 1);
      },
      onCallReturn(call, st) {
        if (call.name && inits.has(call.name)) for (const f of fields) st.set(fact(f), 1);
      },
      onRead(q, st, at) {
        if (!fields.has(q)) return;
        const w = st.get(fact(q));
        if (w === 1) return;
        ctx.report({
          at,
          note: `reads ${q}${w === 2 ? ', written on some paths only' : ', never written yet'}`,
          vars: { field: q },
          field: q,
          key: q,
        });
      },
    };
  },
};
export default kind;
