// Glance's words for a request that does not match its schema: a 400 whose text names the field and what it
// takes ("Invalid value for 'min_ram': expected an integer."), or the text a schema gives for a keyword in its
// `messages` annotation (member bodies and list queries, whose texts Glance fixes: "Member can't be empty").
import type { ValidateFunction } from 'ajv';
import { issueOf, typesOf, type Issue } from '../validation.js';
import { badRequest, type GlanceHttpError } from './errors.js';

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** What a schema takes, in words: "a string of at most 255 characters or null", "one of raw, qcow2, ...". */
export function expectation(schema: Record<string, unknown>): string {
  const types = typesOf(schema);
  const nullable = types.includes('null') ? ' or null' : '';
  const type = types.find((t) => t !== 'null');
  if (Array.isArray(schema.enum)) {
    return `one of ${schema.enum.filter((v) => v !== null).join(', ')}${nullable}`;
  }
  const maxLength = typeof schema.maxLength === 'number' ? ` of at most ${schema.maxLength} characters` : '';
  switch (type) {
    case 'string':
      return `a string${maxLength}${typeof schema.pattern === 'string' ? ` matching ${schema.pattern}` : ''}${nullable}`;
    case 'integer':
      return `an integer${nullable}`;
    case 'boolean':
      return `a boolean${nullable}`;
    case 'array': {
      const items = record(schema.items);
      const itemLength =
        typeof items.maxLength === 'number' ? ` of at most ${items.maxLength} characters` : '';
      return `an array of ${typesOf(items)[0] ?? 'value'}s${itemLength}${nullable}`;
    }
    default:
      return `${type === 'object' ? 'an object' : `a ${type ?? 'value'}`}${nullable}`;
  }
}

/**
 * A refused value as a message shows it: bounded, and never by calling the value's own methods (a JSON
 * object such as {"toString": false} cannot be turned into a string by String(), which threw: a 500 the
 * fuzzer found).
 */
function shownValue(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? typeof value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

/** The 400 for `issue`, found validating a body against `root`. */
export function glanceValidationError(issue: Issue, root: Record<string, unknown>): GlanceHttpError {
  const messages = record(issue.schema.messages);
  if (issue.value === null && typeof messages.null === 'string') return badRequest(messages.null);
  const own = messages[issue.keyword];
  // `{value}` in a message stands for the value refused (Glance's "Invalid visibility value: x").
  if (typeof own === 'string') {
    return badRequest(own.includes('{value}') ? own.replace('{value}', shownValue(issue.value)) : own);
  }
  const name = issue.path[0];
  if (name === undefined) return badRequest(`Invalid request body: expected ${expectation(root)}.`);
  const properties = record(root.properties);
  if (!Object.hasOwn(properties, name)) {
    if (issue.keyword === 'additionalProperties' && root.additionalProperties === false) {
      return badRequest(`Attribute '${name}' is not allowed here.`);
    }
    return badRequest(
      `Invalid value for '${name}': expected ${expectation(record(root.additionalProperties))} (extra properties are strings).`,
    );
  }
  return badRequest(`Invalid value for '${name}': expected ${expectation(record(properties[name]))}.`);
}

/** Throws the Glance 400 unless `value` passes `validate` (compiled from `root`). */
export function assertValid(validate: ValidateFunction, root: object, value: unknown): void {
  if (!validate(value))
    throw glanceValidationError(issueOf(validate.errors), root as Record<string, unknown>);
}
