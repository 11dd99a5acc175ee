// The JSON Schema of a rule, in the parts every kind shares: the keys of any
// rule (id, message, entries, ...) and the shapes the kinds' own keys are
// made of (a `struct.member`, a glob, an event). Each kind adds its keys with
// a KindSchema beside its module (as ESLint's meta.schema); rules/schema.json's
// definitions are generated from these and the kinds (npm run schema), and the
// TypeScript types of a rule are inferred from the same objects, so a key's
// shape is written once.

import type { FromSchema } from 'json-schema-to-ts';

export const IDENT = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } as const;
export const GLOB = { type: 'string', pattern: '^[A-Za-z_*][A-Za-z0-9_*]*$' } as const;
export const NAMES = { type: 'array', items: IDENT } as const;
export const GLOBS = { type: 'array', items: GLOB, minItems: 1 } as const;
export const FIELD = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*$' } as const;
export const FIELDS = { type: 'array', items: FIELD, minItems: 1 } as const;
/** function names, or `struct.member` hooks standing for every implementation */
export const TEXTS = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** An entry function by name, with constant arguments. */
export const FUNCTION_ENTRY = {
  type: 'object', additionalProperties: false, required: ['function'],
  properties: {
    function: IDENT,
    args: {
      type: 'object', additionalProperties: { type: ['number', 'boolean', 'string'] },
      description: 'constant arguments by parameter name: numbers, booleans, or enum/macro names',
    },
    optional: { type: 'boolean', description: 'defined only in some trees: a missing definition is a note, not an error' },
  },
} as const;

/** Every function a role of the pack (top-level `roles`) finds in the tree. */
export const ROLE_ENTRY = {
  type: 'object', additionalProperties: false, required: ['role'],
  properties: {
    role: { type: 'string', pattern: '^[a-z][a-z0-9-]*$', description: 'a role the pack defines under roles: each function its dispatchers\' cases call, run from the outermost dispatcher through the cases that reach it' },
  },
} as const;

export const ENTRY = { oneOf: [IDENT, FUNCTION_ENTRY, ROLE_ENTRY] } as const;

/** A qualified field `struct.member`, or a call by name (globs allowed). */
export const EVENT = {
  type: 'object', additionalProperties: false,
  properties: { call: GLOB, write: FIELD, read: FIELD },
} as const;

/**
 * The shared shapes rules/schema.json names under definitions (the front end's
 * sections refer to `names` and `ident` too), in the file's order. A kind's
 * schema that uses one of these very objects gets a `$ref` to it.
 */
export const DEFINITIONS = {
  ident: IDENT, glob: GLOB, names: NAMES, globs: GLOBS, field: FIELD, fields: FIELDS, entry: ENTRY, event: EVENT,
} as const;

/** Keys of every rule, whatever its kind. */
export const RULE_BASE = {
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
    seed: { type: 'array', items: { type: 'string', pattern: '^[0-9]{3}$' } },
    message: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    confidence: { enum: ['high', 'medium', 'low'] },
    severity: { enum: ['warning', 'error'] },
    entries: { type: 'array', items: ENTRY },
    /** structs zero-allocated when the entries run (a new vCPU): unwritten fields read as 0 */
    fresh: NAMES,
    examples: {
      type: 'string', minLength: 1,
      description: 'directory of the rule\'s example cases, relative to this file: valid-*.c must give no finding, invalid-*.c exactly what invalid-*.expected says',
    },
  },
  required: ['id', 'message', 'confidence'],
} as const;

/** What a kind declares about its own keys: their schemas, and which must be there. */
export interface KindSchema {
  readonly properties: { readonly [key: string]: object };
  readonly required: readonly string[];
}

type ObjectOf<S extends KindSchema> = FromSchema<{
  type: 'object'; additionalProperties: false; properties: S['properties']; required: S['required'];
}>;

export type RuleBase = ObjectOf<typeof RULE_BASE> & { kind: string };

/** The spec of a rule of kind K whose own keys are S. */
export type RuleOf<K extends string, S extends KindSchema> = ObjectOf<typeof RULE_BASE> & { kind: K } & ObjectOf<S>;

export type EntrySpec = FromSchema<typeof FUNCTION_ENTRY>;
export type RoleEntry = FromSchema<typeof ROLE_ENTRY>;
export type EventSpec = FromSchema<typeof EVENT>;
