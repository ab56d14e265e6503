// Reads the account IDs typed or pasted into the Share dialog and judges each one as the user types, with the
// same rules the service applies (so the dialog can say why before anything is sent).
export type EntryProblem = 'notDigits' | 'tooLong' | 'self' | 'duplicate' | 'alreadyShared' | 'noPlaceLeft';

export interface ShareEntry {
  accountId: string;
  problem: EntryProblem | null;
}

const MAX_ID_LENGTH = 20;

/** Splits on whitespace, commas and semicolons (ASCII and full-width), as lists are pasted from anywhere. */
export function splitAccountIds(text: string): string[] {
  return text
    .split(/[\s,;，；、]+/u)
    .map((part) => part.trim())
    .filter(Boolean);
}

export function judgeEntries(
  text: string,
  context: { selfId: string; alreadyShared: ReadonlySet<string>; placesLeft: number },
): ShareEntry[] {
  const seen = new Set<string>();
  let places = context.placesLeft;
  return splitAccountIds(text).map((accountId) => {
    let problem: EntryProblem | null = null;
    if (!/^\d+$/.test(accountId)) problem = 'notDigits';
    else if (accountId.length > MAX_ID_LENGTH) problem = 'tooLong';
    else if (accountId === context.selfId) problem = 'self';
    else if (seen.has(accountId)) problem = 'duplicate';
    else if (context.alreadyShared.has(accountId)) problem = 'alreadyShared';
    else if (places <= 0) problem = 'noPlaceLeft';
    seen.add(accountId);
    if (!problem) places -= 1;
    return { accountId, problem };
  });
}
