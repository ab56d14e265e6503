// A clock a test moves by hand (services.clock): a share crosses its end time between two requests without
// sleeping. Only the sharing rules read it; sessions and tokens keep the system clock.
import type { Clock } from '../../src/services/clock.js';

export class ManualClock implements Clock {
  private ms: number;

  constructor(start: string | Date = new Date()) {
    this.ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  iso(): string {
    return this.now().toISOString();
  }

  set(at: string | Date): void {
    this.ms = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  /** An instant `ms` from now, as the API takes it. */
  later(ms: number): string {
    return new Date(this.ms + ms).toISOString();
  }
}
