// rules/schema.json's definitions, made from the shared shapes
// (pack/rule-schema.ts) and each kind's schema: a rule is one of the kinds,
// told apart by `kind`, each with only its own keys beside the common ones,
// so a key of another kind or a missing required key is refused by the
// schema rather than found undefined by the engine. The rest of the file
// (files, frontend, program, engine) is written by hand and kept as it is.
// `npm run schema` writes the result; schema-json.test.ts fails when the
// checked-in file differs.

import * as YAML from 'yaml';
import { DEFINITIONS, RULE_BASE } from '../pack/rule-schema';
import { KINDS } from '.';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The schema of a rule: a discriminated oneOf with a branch per kind. */
export function ruleSchema(): Json {
  const branches = KINDS.map((k) => ({
    type: 'object',
    additionalProperties: false,
    required: ['id', 'kind', ...RULE_BASE.required.filter((r) => r !== 'id'), ...k.schema.required],
    properties: { id: RULE_BASE.properties.id, kind: { const: k.kind }, ...omit(RULE_BASE.properties, 'id'), ...k.schema.properties },
  }));
  return plain({ type: 'object', required: ['kind'], discriminator: { propertyName: 'kind' }, oneOf: branches });
}

/** Every generated definition, the shared shapes referred to by `$ref` wherever a schema uses one. */
export function definitions(): Record<string, Json> {
  const shared = Object.entries(DEFINITIONS).map(([name, s]) => [name, JSON.stringify(plain(s))] as const);
  const ref = (v: Json, self?: string): Json => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => ref(x));
    const text = JSON.stringify(v);
    const hit = shared.find(([name, t]) => t === text && name !== self);
    if (hit) return { $ref: `#/definitions/${hit[0]}` };
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ref(x)]));
  };
  const out: Record<string, Json> = {};
  for (const [name, s] of Object.entries(DEFINITIONS)) out[name] = ref(plain(s), name);
  out.rule = ref(ruleSchema());
  return out;
}

/** The text of rules/schema.json: `current` with its definitions made again. */
export function schemaJsonText(current: string): string {
  const doc = YAML.parseDocument(current);
  const node = doc.get('definitions', true) as YAML.Node | undefined;
  if (!node?.range) throw new Error('rules/schema.json has no definitions object');
  const [start, end] = node.range;
  return current.slice(0, start) + print(definitions(), '  ') + current.slice(end);
}

function omit<T extends object, K extends keyof T>(o: T, key: K): Omit<T, K> {
  const { [key]: _, ...rest } = o;
  return rest;
}

function plain(v: unknown): Json {
  return JSON.parse(JSON.stringify(v)) as Json;
}

const WIDTH = 120;

/** JSON with short values on one line (`{ "type": "string" }`), as the hand-written parts are. */
function print(v: Json, indent: string, used = indent.length): string {
  const flat = oneLine(v);
  if (v === null || typeof v !== 'object' || used + flat.length <= WIDTH) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + print(x, inner)).join(',\n')}\n${indent}]`;
  const lines = Object.entries(v).map(([k, x]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + print(x, inner, inner.length + key.length);
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

function oneLine(v: Json): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(oneLine).join(', ')}]`;
  const e = Object.entries(v);
  return e.length ? `{ ${e.map(([k, x]) => `${JSON.stringify(k)}: ${oneLine(x)}`).join(', ')} }` : '{}';
}
