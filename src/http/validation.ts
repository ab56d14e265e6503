// The one way a request's shape is declared and checked on every surface: a TypeBox schema (plain JSON
// Schema underneath), compiled by one Ajv configured here, used as Fastify's validator (Glance, Keystone) or
// called directly (Tencent, whose parameters are unflattened first). Each surface only translates the first
// problem Ajv reports into its own dialect (Glance's WebOb texts, Keystone's envelope, Tencent's codes).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Annotation keywords our schemas carry and Ajv must accept without acting on them: Glance's served schemas
 * have `name`, `links` and `is_base`; `messages` gives a dialect's text for a failed keyword (Glance's member
 * bodies); Tencent parameters name the error code of a failed keyword (`tencentCodes`) and explain a pattern
 * (`hint`).
 */
const ANNOTATIONS = ['name', 'links', 'is_base', 'messages', 'tencentCodes', 'hint'];

/**
 * No coercion, no defaults, nothing removed: a value is valid as sent or refused. Strict mode catches a typo
 * in a schema at compile time. `verbose` hands each error its schema, which the dialects read hints from.
 */
const ajv = new Ajv({
  allErrors: false,
  verbose: true,
  strict: true,
  allowUnionTypes: true,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  // An inherited property (say, of a polluted Object.prototype) is never part of an input.
  ownProperties: true,
});
ajv.addVocabulary(ANNOTATIONS);

const compiled = new WeakMap<object, ValidateFunction>();

/** A fresh validator of `schema` as it is now (a surface compiles its schemas when it is built). */
export function compile(schema: object): ValidateFunction {
  // Ajv caches by schema object; a schema changed since (a test of the served Glance schema) compiles anew.
  ajv.removeSchema(schema);
  return ajv.compile(schema);
}

/** The validator of `schema`, compiled once per schema object (for schemas that never change). */
export function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Fastify's validator compiler for the surfaces that declare route schemas (`setValidatorCompiler`). */
export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema }) => compile(schema);

/** One problem with an input, in terms every dialect can phrase. */
export interface Issue {
  /** Keys from the root to the offending value (for `required` and `additionalProperties`: that key). */
  path: string[];
  /** The Ajv keyword that failed: type, required, additionalProperties, maxLength, enum, pattern, ... */
  keyword: string;
  /** The schema of the offending value (for `required`: of the missing property). */
  schema: Record<string, unknown>;
  /** The keyword's parameters as Ajv reports them (limit, allowedValues, ...). */
  params: Record<string, unknown>;
  /** The offending value (undefined for a missing property). */
  value: unknown;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** The first of Ajv's errors as an Issue. */
export function issueOf(errors: readonly ErrorObject[] | null | undefined): Issue {
  const error = errors?.[0];
  if (!error) return { path: [], keyword: 'unknown', schema: {}, params: {}, value: undefined };
  const path = decodePointer(error.instancePath);
  const parent = asRecord(error.parentSchema);
  if (error.keyword === 'required') {
    const name = String(error.params.missingProperty);
    return {
      path: [...path, name],
      keyword: 'required',
      schema: asRecord(asRecord(parent.properties)[name]),
      params: error.params,
      value: undefined,
    };
  }
  if (error.keyword === 'additionalProperties') {
    const name = String(error.params.additionalProperty);
    return {
      path: [...path, name],
      keyword: 'additionalProperties',
      schema: asRecord(parent.additionalProperties),
      params: error.params,
      value: asRecord(error.data)[name],
    };
  }
  return { path, keyword: error.keyword, schema: parent, params: error.params, value: error.data };
}

/** Validates `value` against `schema`; undefined when valid, else the first problem. */
export function check(schema: object, value: unknown): Issue | undefined {
  const validate = validatorFor(schema);
  return validate(value) ? undefined : issueOf(validate.errors);
}

/** The JSON type names a schema accepts, in the order written (`type` as a string or a list). */
export function typesOf(schema: Record<string, unknown>): string[] {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.map(String);
  return [];
}
