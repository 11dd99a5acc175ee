// mark-without-write: a cached register is marked available or dirty while
// its cached value was not written first on every path from the entry.

import { FIELD, IDENT, TEXTS, type RuleOf } from '../pack/rule-schema';
import { exemptSet, type RuleKind } from './context';
import { testBit } from '../flow/state';

const schema = {
  properties: {
    marks: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', additionalProperties: false, required: ['call', 'regArg'],
        properties: { call: IDENT, regArg: { type: 'integer', minimum: 0 } },
      },
    },
    registers: { type: 'object', propertyNames: IDENT, additionalProperties: FIELD },
    available: FIELD,
    exempt: TEXTS,
  },
  required: ['marks', 'registers'],
} as const;
export type MarkWithoutWriteRule = RuleOf<'mark-without-write', typeof schema>;

const kind: RuleKind<MarkWithoutWriteRule> = {
  kind: 'mark-without-write',
  schema,
  // each kernel's names of the cached registers (VCPU_EXREG_* up to 6.12, VCPU_REG_* since)
  forms: ['registers'],
  create(rule, ctx) {
    const fields = new Set(Object.values(rule.registers));
    const marks = new Map(rule.marks.map((m) => [m.call, m.regArg]));
    const exempt = exemptSet(rule.exempt, ctx.program);
    const watched = new Set([...fields, ...(rule.available ? [rule.available] : [])]);
    const written = ctx.facts('written');
    return {
      events: { fields: watched, calls: (n) => marks.has(n) },
      onWrite(q, st) {
        if (fields.has(q)) written.set(st, q, 1);
      },
      onCall(call, st, at) {
        if (!call.name || !marks.has(call.name)) return;
        // the marking helper's own body is not a second mark
        if (at.stack.some((f) => marks.has(f.fn.name) || exempt.has(f.fn.name))) return;
        const v = call.args[marks.get(call.name)!];
        if (typeof v !== 'string') return;
        const reg = v.slice(4);
        const field = rule.registers[reg];
        if (!field) return;
        const w = written.get(st, field);
        if (w === 1) return;
        // already available on every path: the cache holds a current value
        if (rule.available && testBit(st.bits.get(rule.available), reg) === 1) return;
        ctx.report({
          at,
          note: `${call.name}(${reg}) while ${field} was ${w === 2 ? 'written on some paths only' : 'not written'}`,
          vars: { reg, field, mark: call.name },
          field,
          key: `${call.name}:${reg}`,
        });
      },
    };
  },
};
export default kind;
