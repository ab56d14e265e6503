// The Share dialog's as-you-type checks (web/src/pages/images/shareInput.ts), case by case.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeEntries, splitAccountIds } from '../../web/src/pages/images/shareInput.js';

const context = { selfId: '100000001', alreadyShared: new Set(['100000002']), placesLeft: 2 };

describe('share dialog input', () => {
  it('splits pasted lists on spaces, commas, semicolons, new lines and their full-width forms', () => {
    assert.deepEqual(splitAccountIds(' 1, 2;3\n4\t5，6；7、8 '), ['1', '2', '3', '4', '5', '6', '7', '8']);
    assert.deepEqual(splitAccountIds(' \n ,'), []);
  });

  it('names the problem of each ID: digits only, too long, self, twice, already shared, no place left', () => {
    const judged = judgeEntries('12ab 123456789012345678901 100000001 200 200 100000002 300 400', context);
    assert.deepEqual(
      judged.map((e) => [e.accountId, e.problem]),
      [
        ['12ab', 'notDigits'],
        ['123456789012345678901', 'tooLong'],
        ['100000001', 'self'],
        ['200', null],
        ['200', 'duplicate'],
        ['100000002', 'alreadyShared'],
        ['300', null],
        ['400', 'noPlaceLeft'],
      ],
    );
  });

  it('with no place left, every new ID is refused for that reason', () => {
    assert.deepEqual(
      judgeEntries('500', { ...context, placesLeft: 0 }).map((e) => e.problem),
      ['noPlaceLeft'],
    );
  });
});
