// Action parameters for the Tencent APIs (API 3.0 and legacy): each action declares its parameters as a TypeBox
// schema (param-types.ts has the shared pieces), and validateParams checks them for every way parameters
// arrive. JSON bodies (TC3 POST) must carry the right JSON types; query strings and form bodies (GET, v1 and
// legacy) arrive flattened as strings (`AccountIds.0=…`, `Filters.1.Values.0=…`) and are unflattened and
// coerced here. The check itself is Ajv's (../validation.ts); this file maps its first error to Tencent's
// codes: MissingParameter, UnknownParameter, InvalidParameter (wrong type or shape) and
// InvalidParameterValue[.TooLarge|.LimitExceeded] (out of range), or the code a schema names (`tencentCodes`).
import type { Static, TObject } from '@sinclair/typebox';
import { check, typesOf, type Issue } from '../validation.js';
import { TencentError } from './error-codes.js';

export type Source = 'json' | 'strings';

type Tree = string | TreeNode;
type TreeNode = { [key: string]: Tree };

const MAX_INDEX = 10_000;

/** Nesting deeper than this is refused (the deepest parameter, RunInstances' TagSpecification, has 4). */
export const MAX_PARAM_DEPTH = 10;

/** The longest flattened name (`TagSpecification.0.Tags.0.Value` is 32 characters). */
export const MAX_PARAM_NAME_LENGTH = 256;

/** True when the dotted name has more than `max` segments; stops counting there. */
function segmentsOver(name: string, max: number): boolean {
  let dots = 0;
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
    if (++dots >= max) return true;
  }
  return false;
}

/**
 * Names that would walk into Object.prototype (`__proto__`, `constructor.prototype`) if used as a property
 * path. No Tencent parameter has these names. Security: unflatten runs on query strings and form bodies
 * *before* authentication; without this, `?__proto__.visibility=community` set Object.prototype.visibility
 * for the whole process (every later Glance image inherited it).
 */
const UNSAFE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function unsafeName(key: string): TencentError {
  return new TencentError('InvalidParameter', `The parameter name "${key}" is not allowed.`);
}

/**
 * Turns `{ "Filters.1.Name": "x", "Filters.1.Values.0": "y" }` into `{ Filters: [{ Name: "x", Values: ["y"] }] }`.
 * Numeric segments become array positions ordered by value (0- or 1-based, gaps closed; spec §1.1).
 */
export function unflatten(flat: Record<string, string>): Record<string, unknown> {
  // Names first, before anything is built: too long or too deep (a name of 10,000 segments, `a.0.0.0...`, sent
  // before authentication, overflowed the stack in toArrays and cost 0.2 s of event loop), then unsafe ones.
  for (const key of Object.keys(flat)) {
    if (key.length > MAX_PARAM_NAME_LENGTH) {
      throw new TencentError(
        'InvalidParameter',
        `A parameter name is longer than ${MAX_PARAM_NAME_LENGTH} characters.`,
      );
    }
    if (segmentsOver(key, MAX_PARAM_DEPTH)) {
      throw new TencentError(
        'InvalidParameter',
        `The parameter "${key.slice(0, 64)}..." is nested deeper than ${MAX_PARAM_DEPTH} levels.`,
      );
    }
    if (key.split('.').some((p) => UNSAFE_NAMES.has(p))) throw unsafeName(key);
  }
  // Prototype-less nodes and own-property tests: a name can only ever reach a node this function made.
  const root: TreeNode = Object.create(null) as TreeNode;
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    if (parts.some((p) => p === ''))
      throw new TencentError('InvalidParameter', `The parameter name "${key}" is malformed.`);
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const last = i === parts.length - 1;
      const existing = Object.hasOwn(node, part) ? node[part] : undefined;
      if (last) {
        if (existing !== undefined) {
          throw new TencentError(
            'InvalidParameter',
            `The parameter "${key}" is given more than once or conflicts.`,
          );
        }
        node[part] = value;
      } else {
        if (typeof existing === 'string') {
          throw new TencentError(
            'InvalidParameter',
            `The parameter "${parts.slice(0, i + 1).join('.')}" conflicts.`,
          );
        }
        node = existing ?? (node[part] = Object.create(null) as TreeNode);
      }
    }
  }
  return toArrays(root) as Record<string, unknown>;
}

function toArrays(tree: Tree): unknown {
  if (typeof tree === 'string') return tree;
  const keys = Object.keys(tree);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    if (keys.some((k) => Number(k) > MAX_INDEX))
      throw new TencentError('InvalidParameter', 'An array index is too large.');
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => toArrays(tree[k] as Tree));
  }
  // Object.fromEntries defines own data properties (it never calls the __proto__ setter), and unsafe names
  // were refused above, so the plain objects handed on are safe.
  return Object.fromEntries(keys.map((k) => [k, toArrays(tree[k] as Tree)]));
}

/**
 * JSON.parse reviver for request bodies: refuses the UNSAFE_NAMES at any depth, as unflatten does for flat
 * parameters. JSON.parse itself only makes an own `__proto__` key, harmless until something merges or walks it.
 */
export function refuseUnsafeJsonKeys(key: string, value: unknown): unknown {
  if (UNSAFE_NAMES.has(key)) throw unsafeName(key);
  return value;
}

/** Reads a query string or form body; a key given twice is an error, not a silent choice. */
export function parseFlat(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(out, key))
      throw new TencentError('InvalidParameter', `The parameter "${key}" is given more than once.`);
    out[key] = value;
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function asSchema(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/**
 * The input as the schema will see it: own properties only (an inherited value, e.g. from a polluted
 * Object.prototype, is never a parameter), null properties dropped (JSON clients may send null for "absent";
 * the Node SDK strips them, others may not), and for flattened strings the integers and booleans the schema
 * asks for converted. Guided by the schema, so values it leaves open (`Type.Unknown()`) are passed as sent.
 */
function normalize(schema: Record<string, unknown>, value: unknown, source: Source): unknown {
  const types = typesOf(schema);
  if (types.includes('object') && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const properties = asSchema(schema.properties);
    const entries: Array<[string, unknown]> = [];
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      if (child === null || child === undefined) continue;
      const childSchema = Object.hasOwn(properties, key) ? asSchema(properties[key]) : {};
      entries.push([key, normalize(childSchema, child, source)]);
    }
    // fromEntries defines own properties: a `__proto__` key stays a key (and is then an unknown parameter).
    return Object.fromEntries(entries);
  }
  if (types.includes('array') && Array.isArray(value)) {
    return value.map((item: unknown) => normalize(asSchema(schema.items), item, source));
  }
  if (source === 'strings' && typeof value === 'string') {
    if (types.includes('integer') && /^-?\d{1,15}$/.test(value)) return Number(value);
    if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  }
  return value;
}

/** Tencent's words for the first problem Ajv found. */
function tencentError(issue: Issue): TencentError {
  const name = issue.path.join('.');
  const { schema, params } = issue;
  const override = asSchema(schema.tencentCodes)[issue.keyword];
  const code = (fallback: string) => (typeof override === 'string' ? override : fallback);
  switch (issue.keyword) {
    case 'required':
      return new TencentError('MissingParameter', `The request is missing a required parameter ${name}.`);
    case 'additionalProperties':
      return new TencentError('UnknownParameter', `The parameter ${name} is not recognized.`);
    case 'type': {
      const expected = typesOf(schema)[0];
      const what =
        expected === 'integer'
          ? 'an integer'
          : expected === 'boolean'
            ? 'a boolean (true or false)'
            : `${expected === 'array' || expected === 'object' ? 'an' : 'a'} ${expected}, not ${typeName(issue.value)}`;
      return new TencentError(code('InvalidParameter'), `The parameter ${name} must be ${what}.`);
    }
    case 'minLength':
      return new TencentError(
        code('InvalidParameterValue'),
        `The parameter ${name} must be at least ${String(params.limit)} characters.`,
      );
    case 'maxLength':
      return new TencentError(
        code('InvalidParameterValue.TooLarge'),
        `The parameter ${name} must be at most ${String(params.limit)} characters.`,
      );
    case 'enum':
      return new TencentError(
        code('InvalidParameterValue'),
        `The parameter ${name} must be one of ${(schema.enum as unknown[]).join(', ')}.`,
      );
    case 'pattern': {
      const hint = typeof schema.hint === 'string' ? `: ${schema.hint}` : '';
      return new TencentError(code('InvalidParameterValue'), `The parameter ${name} is malformed${hint}.`);
    }
    case 'minimum':
    case 'maximum': {
      const bound = (value: unknown, none: string) => (typeof value === 'number' ? String(value) : none);
      return new TencentError(
        code('InvalidParameterValue'),
        `The parameter ${name} must be between ${bound(schema.minimum, '-∞')} and ${bound(schema.maximum, '∞')}.`,
      );
    }
    case 'maxItems':
      return new TencentError(
        code('InvalidParameterValue.LimitExceeded'),
        `The parameter ${name} takes at most ${String(params.limit)} values.`,
      );
    case 'minItems':
      return new TencentError(
        code('InvalidParameterValue'),
        `The parameter ${name} needs at least ${String(params.limit)} value(s).`,
      );
    default:
      return new TencentError(code('InvalidParameterValue'), `The parameter ${name} is invalid.`);
  }
}

/**
 * Names and string values with a NUL character, and nesting deeper than MAX_PARAM_DEPTH, at any depth (values
 * a schema leaves open included). PostgreSQL text cannot store or even compare a NUL, so such a value reaching
 * a query (an image-name filter, a new image or instance name) failed there as an internal error.
 */
function refuseNulAndDepth(params: unknown): void {
  // Iterative: a deeply nested open value cannot exhaust the stack.
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: params, path: '', depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === 'string') {
      if (value.includes('\u0000')) {
        throw new TencentError(
          'InvalidParameterValue',
          `The parameter ${path} must not contain NUL characters (\\u0000).`,
        );
      }
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= MAX_PARAM_DEPTH) {
        throw new TencentError('InvalidParameter', `The parameter ${path} is nested too deeply.`);
      }
      for (const [key, child] of Object.entries(value)) {
        if (key.includes('\u0000')) {
          throw new TencentError('InvalidParameter', 'A parameter name must not contain NUL characters.');
        }
        stack.push({ value: child, path: path === '' ? key : `${path}.${key}`, depth: depth + 1 });
      }
    }
  }
}

/**
 * Validates an action's parameters against its schema: unknown names, types, ranges, required fields, then
 * NUL characters and depth. Returns them typed, integers and booleans of flattened strings converted.
 */
export function validateParams<S extends TObject>(
  schema: S,
  input: Record<string, unknown>,
  source: Source,
): Static<S> {
  const params = normalize(schema, input, source);
  const issue = check(schema, params);
  if (issue) throw tencentError(issue);
  refuseNulAndDepth(params);
  return params as Static<S>;
}
