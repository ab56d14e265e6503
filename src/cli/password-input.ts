// Passwords for the CLI come from standard input (--password-stdin: the first line, as `docker login` does)
// or from a prompt on the terminal that does not echo, never only from the command line, where any local
// user can read them in the process list and they land in the shell's history.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Longest password accepted on stdin; the account rules allow at most 4096 characters. */
const MAX_STDIN_BYTES = 64 * 1024;

/** The first line of `input` (without its line ending); the rest is ignored. */
export async function readPasswordFromStdin(input: Readable = process.stdin): Promise<string> {
  let text = '';
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n') || text.length > MAX_STDIN_BYTES) break;
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line.length === 0) throw new Error('no password on standard input');
  return line;
}

/** Asks twice on the terminal without echoing; both answers must match. */
export async function promptPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new Error('--prompt-password needs a terminal; use --password-stdin to pipe the password in');
  }
  const first = await askHidden('New password: ');
  const second = await askHidden('Repeat the password: ');
  if (first !== second) throw new Error('the two passwords differ');
  if (first.length === 0) throw new Error('empty password');
  return first;
}

function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    // Echo nothing the user types; only the question itself is written.
    const output = rl as unknown as { _writeToOutput: (text: string) => void };
    let asked = false;
    output._writeToOutput = (text: string) => {
      if (!asked) {
        process.stderr.write(text);
        asked = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/**
 * The password a command was given: --password-stdin, --prompt-password, or --password (still accepted for
 * scripts, with a warning); undefined when none, so the service generates one.
 */
export async function passwordFrom(opts: {
  password?: string;
  passwordStdin?: boolean;
  promptPassword?: boolean;
}): Promise<string | undefined> {
  const chosen = [opts.password !== undefined, opts.passwordStdin, opts.promptPassword].filter(Boolean);
  if (chosen.length > 1) {
    throw new Error('give at most one of --password, --password-stdin and --prompt-password');
  }
  if (opts.passwordStdin) return readPasswordFromStdin();
  if (opts.promptPassword) return promptPassword();
  if (opts.password !== undefined) {
    console.error(
      'warning: --password is visible to other local users and kept in shell history; ' +
        'prefer --password-stdin or --prompt-password',
    );
  }
  return opts.password;
}
