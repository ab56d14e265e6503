// Action parameters for the Tencent APIs: a small declarative schema per action, one validator for every way
// parameters arrive. JSON bodies (TC3 POST) must carry the right JSON types; query strings and form bodies
// (GET, v1 and legacy) arrive flattened as strings (`AccountIds.0=…`, `Filters.1.Values.0=…`) and are
// unflattened and coerced here. Errors use Tencent's codes: MissingParameter, UnknownParameter,
// InvalidParameter (wrong type or shape) and InvalidParameterValue[.LimitExceeded] (out of range).
import { TencentError } from './error-codes.js';

export type Field =
  | {
      type: 'string';
      required?: boolean;
      minLength?: number;
      maxLength?: number;
      pattern?: RegExp;
      /** Shown in the error message when `pattern` does not match. */
      patternHint?: string;
      /** The error code when `pattern` does not match (default InvalidParameterValue). */
      patternCode?: string;
      enum?: readonly string[];
    }
  | {
      type: 'integer';
      required?: boolean;
      min?: number;
      max?: number;
      /** The error code for an out-of-range value (default InvalidParameterValue). */
      rangeCode?: string;
    }
  | { type: 'boolean'; required?: boolean }
  | { type: 'array'; required?: boolean; items: Field; minItems?: number; maxItems?: number }
  | { type: 'object'; required?: boolean; fields: Record<string, Field> }
  /** Accepted and not interpreted: Tencent parameters that have no meaning here (RunInstances' Placement, ...). */
  | { type: 'ignored'; required?: boolean };

export type Schema = Record<string, Field>;

type InferField<F> = F extends { type: 'string'; enum: readonly (infer E)[] }
  ? E
  : F extends { type: 'string' }
    ? string
    : F extends { type: 'integer' }
      ? number
      : F extends { type: 'boolean' }
        ? boolean
        : F extends { type: 'array'; items: infer I }
          ? InferField<I>[]
          : F extends { type: 'object'; fields: infer O }
            ? Infer<O>
            : F extends { type: 'ignored' }
              ? unknown
              : never;

/** The parsed parameters of a schema: required fields present, others optional. */
export type Infer<S> = { [K in keyof S as S[K] extends { required: true } ? K : never]: InferField<S[K]> } & {
  [K in keyof S as S[K] extends { required: true } ? never : K]?: InferField<S[K]>;
};

export type Source = 'json' | 'strings';

type Tree = string | TreeNode;
type TreeNode = { [key: string]: Tree };

const MAX_INDEX = 10_000;

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
  // Unsafe names first, before anything is built (see UNSAFE_NAMES).
  for (const key of Object.keys(flat)) {
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

function checkField(field: Field, value: unknown, path: string, source: Source): unknown {
  switch (field.type) {
    case 'string': {
      if (typeof value !== 'string') {
        throw new TencentError(
          'InvalidParameter',
          `The parameter ${path} must be a string, not ${typeName(value)}.`,
        );
      }
      if (field.minLength !== undefined && value.length < field.minLength) {
        throw new TencentError(
          'InvalidParameterValue',
          `The parameter ${path} must be at least ${field.minLength} characters.`,
        );
      }
      if (field.maxLength !== undefined && value.length > field.maxLength) {
        throw new TencentError(
          'InvalidParameterValue.TooLarge',
          `The parameter ${path} must be at most ${field.maxLength} characters.`,
        );
      }
      if (field.enum && !field.enum.includes(value)) {
        throw new TencentError(
          'InvalidParameterValue',
          `The parameter ${path} must be one of ${field.enum.join(', ')}.`,
        );
      }
      if (field.pattern && !field.pattern.test(value)) {
        throw new TencentError(
          field.patternCode ?? 'InvalidParameterValue',
          `The parameter ${path} is malformed${field.patternHint ? `: ${field.patternHint}` : ''}.`,
        );
      }
      return value;
    }
    case 'integer': {
      let n: number;
      if (source === 'strings' && typeof value === 'string' && /^-?\d{1,15}$/.test(value)) n = Number(value);
      else if (typeof value === 'number' && Number.isSafeInteger(value)) n = value;
      else throw new TencentError('InvalidParameter', `The parameter ${path} must be an integer.`);
      if ((field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max)) {
        throw new TencentError(
          field.rangeCode ?? 'InvalidParameterValue',
          `The parameter ${path} must be between ${field.min ?? '-∞'} and ${field.max ?? '∞'}.`,
        );
      }
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (source === 'strings' && (value === 'true' || value === 'false')) return value === 'true';
      throw new TencentError('InvalidParameter', `The parameter ${path} must be a boolean (true or false).`);
    }
    case 'array': {
      if (!Array.isArray(value)) {
        throw new TencentError(
          'InvalidParameter',
          `The parameter ${path} must be an array, not ${typeName(value)}.`,
        );
      }
      if (field.maxItems !== undefined && value.length > field.maxItems) {
        throw new TencentError(
          'InvalidParameterValue.LimitExceeded',
          `The parameter ${path} takes at most ${field.maxItems} values.`,
        );
      }
      if (field.minItems !== undefined && value.length < field.minItems) {
        throw new TencentError(
          'InvalidParameterValue',
          `The parameter ${path} needs at least ${field.minItems} value(s).`,
        );
      }
      return value.map((item, i) => checkField(field.items, item, `${path}.${i}`, source));
    }
    case 'ignored':
      return value;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new TencentError(
          'InvalidParameter',
          `The parameter ${path} must be an object, not ${typeName(value)}.`,
        );
      }
      return checkObject(field.fields, value as Record<string, unknown>, `${path}.`, source);
    }
  }
}

function checkObject(
  schema: Schema,
  input: Record<string, unknown>,
  prefix: string,
  source: Source,
): unknown {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(schema, key)) {
      throw new TencentError('UnknownParameter', `The parameter ${prefix}${key} is not recognized.`);
    }
  }
  for (const [key, field] of Object.entries(schema)) {
    // Own properties only: an inherited value (a polluted Object.prototype) is never a parameter.
    const value = Object.hasOwn(input, key) ? input[key] : undefined;
    // JSON clients may send null for "absent" (the Node SDK strips nulls; others may not).
    if (value === undefined || value === null) {
      if (field.required) {
        throw new TencentError(
          'MissingParameter',
          `The request is missing a required parameter ${prefix}${key}.`,
        );
      }
      continue;
    }
    out[key] = checkField(field, value, `${prefix}${key}`, source);
  }
  return out;
}

/** Validates action parameters: unknown names, types, ranges, required fields. */
export function parseParams<S extends Schema>(
  schema: S,
  input: Record<string, unknown>,
  source: Source,
): Infer<S> {
  return checkObject(schema, input, '', source) as Infer<S>;
}
