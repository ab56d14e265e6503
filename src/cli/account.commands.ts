// `imageshare account create|list|disable|enable|passwd|unlock`: administers accounts by opening the configured
// database directly (same config loading as `serve`), so it works before any server runs.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { fail, isDomainError } from '../domain/errors.js';
import type { Account } from '../domain/types.js';
import { openServices } from '../main.js';
import type { Services } from '../services/container.js';

interface ConnectionOptions {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  databaseSchema?: string;
  profile?: string;
  json?: boolean;
}

function withConnectionOptions(command: Command): Command {
  return command
    .option('--config <file>', 'JSON config file')
    .option('--data-dir <dir>', 'folder for the SQLite file and image data')
    .option('--database-url <url>', 'postgres:// URL (default: SQLite in the data folder)')
    .option('--database-schema <name>', 'PostgreSQL schema')
    .option('--json', 'print JSON instead of text');
}

async function withServices<T>(
  opts: ConnectionOptions,
  body: (services: Services) => Promise<T>,
): Promise<T> {
  const overrides: Record<string, string> = {};
  if (opts.dataDir) overrides['dataDir'] = opts.dataDir;
  if (opts.databaseUrl) overrides['database.url'] = opts.databaseUrl;
  if (opts.databaseSchema) overrides['database.schema'] = opts.databaseSchema;
  const config = loadConfig({ file: opts.config, overrides, profile: opts.profile });
  const { db, services } = await openServices(config);
  try {
    return await body(services);
  } catch (err) {
    // Domain errors carry messages written for the user; anything else is reported by the caller.
    if (isDomainError(err)) {
      console.error(`error: ${err.message}`);
      process.exitCode = err.code === 'AccountNotFound' ? 3 : 2;
      return undefined as T;
    }
    throw err;
  } finally {
    await db.close();
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

  withConnectionOptions(
    account
      .command('create')
      .description('create an account; prints its ID and password (generated unless --password is given)')
      .requiredOption('--name <name>', 'display name (also the Keystone user and project name)')
      .option('--id <id>', 'numeric account ID (generated when absent)')
      .option('--password <password>', 'password (generated when absent)')
      .option('--admin', 'make it an administrator'),
  ).action(
    async (opts: ConnectionOptions & { name: string; id?: string; password?: string; admin?: boolean }) => {
      await withServices(opts, async (services) => {
        const created = await services.accounts.create({
          name: opts.name,
          ...(opts.id !== undefined ? { id: opts.id } : {}),
          ...(opts.password !== undefined ? { password: opts.password } : {}),
          isAdmin: opts.admin === true,
        });
        const password = created.generatedPassword ?? opts.password ?? '';
        if (opts.json) console.log(JSON.stringify({ ...accountJson(created.account), password }));
        else console.log(`id=${created.account.id} name=${created.account.name} password=${password}`);
      });
    },
  );

  withConnectionOptions(
    account.command('list').description('list accounts').option('--active', 'leave out disabled accounts'),
  ).action(async (opts: ConnectionOptions & { active?: boolean }) => {
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

  withConnectionOptions(
    account.command('disable').description('disable an account and revoke its tokens').argument('<id>'),
  ).action(async (id: string, opts: ConnectionOptions) => {
    await withServices(opts, async (services) => {
      const disabled = await services.accounts.disable(id);
      if (opts.json) console.log(JSON.stringify(accountJson(disabled)));
      else console.log(`disabled id=${disabled.id} name=${disabled.name}`);
    });
  });

  withConnectionOptions(
    account.command('enable').description('enable a disabled account').argument('<id>'),
  ).action(async (id: string, opts: ConnectionOptions) => {
    await withServices(opts, async (services) => {
      const enabled = await services.accounts.enable(id);
      if (opts.json) console.log(JSON.stringify(accountJson(enabled)));
      else console.log(`enabled id=${enabled.id} name=${enabled.name}`);
    });
  });

  withConnectionOptions(
    account
      .command('passwd')
      .description("set an account's password (generated unless --password is given); revokes its tokens")
      .argument('<id>')
      .option('--password <password>', 'the new password'),
  ).action(async (id: string, opts: ConnectionOptions & { password?: string }) => {
    await withServices(opts, async (services) => {
      const { generatedPassword } = await services.accounts.setPassword(id, opts.password);
      const password = generatedPassword ?? opts.password ?? '';
      if (opts.json) console.log(JSON.stringify({ id, password }));
      else console.log(`id=${id} password=${password}`);
    });
  });

  withConnectionOptions(
    account
      .command('unlock')
      .description("clear an account's failed-login counters (its own and those of each address)")
      .argument('<id>'),
  ).action(async (id: string, opts: ConnectionOptions) => {
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
