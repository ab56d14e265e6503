// What of an account leaves the services: everything but its password hash. One function, so that no use
// case can hand a hash to a surface by forgetting to strip it.
import type { Account } from '../domain/types.js';

export function publicAccount(record: Account & { passwordHash?: string }): Account {
  const { passwordHash: _omit, ...account } = record;
  return account;
}
