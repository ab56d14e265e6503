// Test-only stopping points for the crash tests (test/blob/sigkill-upload.test.ts,
// test/ops/crash-safety.test.ts): with
// IMAGESHARE_TEST_PAUSE_AT=<name> in its environment, a server stops at that point of its work for good and
// says so on stderr, and the test SIGKILLs it there. Unset (always, outside those tests) it does nothing.
const pauseAt = process.env.IMAGESHARE_TEST_PAUSE_AT ?? '';

export async function pausePoint(name: string): Promise<void> {
  if (pauseAt === '' || pauseAt !== name) return;
  process.stderr.write(`paused at ${name}\n`);
  await new Promise<never>(() => undefined);
}
