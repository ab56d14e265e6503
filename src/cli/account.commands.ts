// `imageshare account create|list|disable|enable|passwd|unlock`: administers accounts by opening the configured
// database directly (same config loading as `serve`), so it works before any server runs.
import type { Command } from 'commander';
import { fail, isDomainError } from '../domain/errors.js';
import type { Account } from '../domain/types.js';
import type { Services } from '../services/container.js';
import { withCommandServices, withConnectionFlags, type ConnectionFlags } from './connection.js';
import { passwordFrom } from './password-input.js';

interface PasswordFlags {
  password?: string;
  passwordStdin?: boolean;
  promptPassword?: boolean;
}

function withPasswordFlags(command: Command, what: string): Command {
  return command
    .option('--password-stdin', `read ${what} from the first line of standard input`)
    .option('--prompt-password', `ask for ${what} on the terminal (not echoed)`)
    .option('--password <password>', `${what} on the command line (visible to other users; avoid)`);
}

async function withServices<T>(opts: ConnectionFlags, body: (services: Services) => Promise<T>): Promise<T> {
  try {
    return await withCommandServices(opts, body);
  } catch (err) {
    // Domain errors carry messages written for the user; anything else is reported by the caller.
    if (isDomainError(err)) {
      console.error(`error: ${err.message}`);
      process.exitCode = err.code === 'AccountNotFound' ? 3 : 2;
      return undefined as T;
    }
    throw err;
  }
}

function accountJson(account: Account) {
  return {
    id: account.id,
    name: account.name,
    admin: account.isAdmin,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
    disabledAt: account.disabledAt,
  };
}

export function registerAccountCommands(program: Command): void {
  const account = program.command('account').description('create, list, disable accounts and set passwords');

  withConnectionFlags(
    withPasswordFlags(
      account
        .command('create')
        .description('create an account; prints its ID, and its password when generated')
        .requiredOption('--name <name>', 'display name (also the Keystone user and project name)')
        .option('--id <id>', 'numeric account ID (generated when absent)')
        .option('--admin', 'make it an administrator'),
      'the password (generated when none is given)',
    ),
  ).action(async (opts: ConnectionFlags & PasswordFlags & { name: string; id?: string; admin?: boolean }) => {
    const given = await passwordFrom(opts);
    await withServices(opts, async (services) => {
      const created = await services.accounts.create({
        name: opts.name,
        ...(opts.id !== undefined ? { id: opts.id } : {}),
        ...(given !== undefined ? { password: given } : {}),
        isAdmin: opts.admin === true,
      });
      // A password the operator chose is never echoed back; a generated one is shown this once.
      const password = created.generatedPassword;
      if (opts.json) {
        console.log(JSON.stringify({ ...accountJson(created.account), ...(password ? { password } : {}) }));
      } else {
        const shown = password ? ` password=${password}` : '';
        console.log(`id=${created.account.id} name=${created.account.name}${shown}`);
      }
    });
  });

  withConnectionFlags(
    account.command('list').description('list accounts').option('--active', 'leave out disabled accounts'),
  ).action(async (opts: ConnectionFlags & { active?: boolean }) => {
    await withServices(opts, async (services) => {
      const accounts = await services.accounts.list({ includeDisabled: opts.active !== true, limit: 10000 });
      if (opts.json) {
        console.log(JSON.stringify(accounts.map(accountJson)));
        return;
      }
      const rows = [['ID', 'NAME', 'ADMIN', 'CREATED', 'DISABLED']];
      for (const a of accounts) {
        rows.push([a.id, a.name, a.isAdmin ? 'yes' : 'no', a.createdAt, a.disabledAt ?? '-']);
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const row of rows)
        console.log(
          row
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join('  ')
            .trimEnd(),
        );
    });
  });

  withConnectionFlags(
    account.command('disable').description('disable an account and revoke its tokens').argument('<id>'),
  ).action(async (id: string, opts: ConnectionFlags) => {
    await withServices(opts, async (services) => {
      const disabled = await services.accounts.disable(id);
      if (opts.json) console.log(JSON.stringify(accountJson(disabled)));
      else console.log(`disabled id=${disabled.id} name=${disabled.name}`);
    });
  });

  withConnectionFlags(
    account.command('enable').description('enable a disabled account').argument('<id>'),
  ).action(async (id: string, opts: ConnectionFlags) => {
    await withServices(opts, async (services) => {
      const enabled = await services.accounts.enable(id);
      if (opts.json) console.log(JSON.stringify(accountJson(enabled)));
      else console.log(`enabled id=${enabled.id} name=${enabled.name}`);
    });
  });

  withConnectionFlags(
    withPasswordFlags(
      account
        .command('passwd')
        .alias('password')
        .description("set an account's password (generated when none is given); revokes its tokens")
        .argument('<id>'),
      'the new password',
    ),
  ).action(async (id: string, opts: ConnectionFlags & PasswordFlags) => {
    const given = await passwordFrom(opts);
    await withServices(opts, async (services) => {
      const { generatedPassword } = await services.accounts.setPassword(id, given);
      const password = generatedPassword;
      if (opts.json) console.log(JSON.stringify({ id, ...(password ? { password } : {}) }));
      else console.log(password ? `id=${id} password=${password}` : `id=${id} password changed`);
    });
  });

  withConnectionFlags(
    account
      .command('unlock')
      .description("clear an account's failed-login counters (its own and those of each address)")
      .argument('<id>'),
  ).action(async (id: string, opts: ConnectionFlags) => {
    await withServices(opts, async (services) => {
      const found = await services.accounts.get(id);
      if (!found) throw fail('AccountNotFound', `no account with ID ${id}`);
      const { addressPairs } = await services.auth.unlock(found.id);
      if (opts.json) console.log(JSON.stringify({ id: found.id, unlocked: true, addressPairs }));
      else
        console.log(`unlocked id=${found.id} name=${found.name} (cleared ${addressPairs} address counters)`);
    });
  });
}
