// The service's notion of "now" for images, shares, instances and their history: a share's end time is
// compared with it on every read, list and launch (no job ends a share), and every image, share and history
// timestamp the services write is read from it, so tests that move a share across its end replace this clock
// instead of sleeping, and the history agrees with the rules. Sessions, tokens, signatures, login limits and
// blob ages keep the system clock (they are not sharing rules).

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The clock's instant in the one stored form (ISO-8601 UTC with milliseconds, which sorts as text). */
export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
