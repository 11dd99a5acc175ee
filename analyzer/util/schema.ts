// The subset of JSON Schema that rules/schema.json uses. A bad rule file must
// stop the run with the file, the key and the reason, so errors carry a JSON
// pointer-like path ("rules[3].entries") rather than a generic failure.

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  minItems?: number;
  minLength?: number;
  oneOf?: Schema[];
  $ref?: string;
  definitions?: Record<string, Schema>;
  description?: string;
  minimum?: number;
  maximum?: number;
  const?: unknown;
  if?: Schema;
  then?: Schema;
}

export interface SchemaError {
  path: string;
  message: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

export function validate(value: unknown, schema: Schema, root: Schema = schema, path = ''): SchemaError | null {
  if (schema.$ref) {
    const name = schema.$ref.replace(/^#\/definitions\//, '');
    const target = root.definitions?.[name];
    if (!target) return { path, message: `schema refers to unknown definition ${schema.$ref}` };
    return validate(value, target, root, path);
  }
  const got = typeOf(value);
  if (schema.type) {
    const wants = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!wants.some((w) => typeMatches(w, got))) return { path, message: `expected ${wants.join(' or ')}, found ${got}` };
  }
  if (schema.const !== undefined && value !== schema.const) return { path, message: `must be ${JSON.stringify(schema.const)}` };
  if (schema.enum && !schema.enum.includes(value)) {
    return { path, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, found ${JSON.stringify(value)}` };
  }
  if (got === 'string') {
    const s = value as string;
    if (schema.minLength !== undefined && s.length < schema.minLength) return { path, message: 'must not be empty' };
    if (schema.pattern && !new RegExp(schema.pattern).test(s)) return { path, message: `${JSON.stringify(s)} does not match ${schema.pattern}` };
  }
  if ((got === 'number' || got === 'integer') && typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return { path, message: `must be at least ${schema.minimum}` };
    if (schema.maximum !== undefined && value > schema.maximum) return { path, message: `must be at most ${schema.maximum}` };
  }
  if (got === 'array') {
    const a = value as unknown[];
    if (schema.minItems !== undefined && a.length < schema.minItems) return { path, message: `needs at least ${schema.minItems} item(s)` };
    if (schema.items) {
      for (let i = 0; i < a.length; i++) {
        const e = validate(a[i], schema.items, root, `${path}[${i}]`);
        if (e) return e;
      }
    }
  }
  if (got === 'object') {
    const o = value as Record<string, unknown>;
    for (const r of schema.required ?? []) {
      if (!(r in o)) return { path: join(path, r), message: 'is required' };
    }
    for (const [k, v] of Object.entries(o)) {
      const ps = schema.properties?.[k];
      if (ps) {
        const e = validate(v, ps, root, join(path, k));
        if (e) return e;
      } else if (schema.additionalProperties === false) {
        return { path: join(path, k), message: 'is not a known key' };
      } else if (typeof schema.additionalProperties === 'object') {
        const e = validate(v, schema.additionalProperties, root, join(path, k));
        if (e) return e;
      }
    }
  }
  if (schema.if && schema.then && !validate(value, schema.if, root, path)) {
    const e = validate(value, schema.then, root, path);
    if (e) return e;
  }
  if (schema.oneOf) {
    const errs = schema.oneOf.map((s) => validate(value, s, root, path));
    if (!errs.some((e) => e === null)) {
      // the deepest error is the most useful one to show
      return errs.reduce((a, b) => ((b?.path.length ?? 0) > (a?.path.length ?? 0) ? b : a));
    }
  }
  return null;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
