// One check for every Tencent action (API 3.0 and legacy): no parameter name or string value may hold a NUL
// character. PostgreSQL text cannot store or even compare one, so such a value reaching a query (an image-name
// filter, a new image or instance name) failed there as an internal error. It runs on the parameters as
// validated, before any action handler. (Its natural home is params.ts' string check; see that file.)
import { TencentError } from './error-codes.js';

/** Throws InvalidParameterValue naming the first parameter whose name or string value holds a NUL. */
export function refuseNulParams(params: unknown): void {
  // Iterative: ignored parameters (RunInstances' Placement, ...) are passed through as sent, at any depth.
  const stack: Array<{ value: unknown; path: string }> = [{ value: params, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: string };
    if (typeof value === 'string') {
      if (value.includes('\u0000')) {
        throw new TencentError(
          'InvalidParameterValue',
          `The parameter ${path} must not contain NUL characters (\\u0000).`,
        );
      }
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path === '' ? key : `${path}.${key}`;
        if (key.includes('\u0000')) {
          throw new TencentError('InvalidParameter', 'A parameter name must not contain NUL characters.');
        }
        stack.push({ value: child, path: childPath });
      }
    }
  }
}
