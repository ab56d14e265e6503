// `imageshare apikey create|list|disable|delete --account <id>`: Tencent API key pairs of one account.
// Works on the configured database directly (same config flags as `serve`); the SecretKey is printed once.
import type { Command } from 'commander';
import { isDomainError } from '../domain/errors.js';
import { openForCommand } from './connection.js';
import type { ApiKeyService } from '../services/api-key.service.js';

interface CommonOptions {
  account: string;
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  databaseSchema?: string;
  json?: boolean;
}

type Print = (line: string) => void;

async function withApiKeys(opts: CommonOptions, body: (keys: ApiKeyService) => Promise<void>): Promise<void> {
  const { services, close } = await openForCommand(opts);
  try {
    await body(services.apiKeys);
  } catch (err) {
    // Coded errors are for the operator; anything else propagates to main.ts's handler.
    if (isDomainError(err)) {
      process.exitCode = 1;
      console.error(`${err.code}: ${err.message}`);
    } else throw err;
  } finally {
    await close();
  }
}

/** The actions, separated from commander so tests can drive them with a service and a printer. */
export const apiKeyActions = {
  async create(keys: ApiKeyService, accountId: string, json: boolean, print: Print): Promise<void> {
    const key = await keys.create(accountId);
    if (json) print(JSON.stringify({ accountId, ...key }));
    else {
      print(`SecretId:  ${key.secretId}`);
      print(`SecretKey: ${key.secretKey}`);
      print('The SecretKey is shown only now; store it safely.');
    }
  },
  async list(keys: ApiKeyService, accountId: string, json: boolean, print: Print): Promise<void> {
    const list = await keys.list(accountId);
    if (json) print(JSON.stringify(list));
    else for (const k of list) print(`${k.secretId}  ${k.status.padEnd(8)}  created ${k.createdAt}`);
  },
  async disable(keys: ApiKeyService, accountId: string, secretId: string, print: Print): Promise<void> {
    await keys.disable(accountId, secretId);
    print(`disabled ${secretId}`);
  },
  async delete(keys: ApiKeyService, accountId: string, secretId: string, print: Print): Promise<void> {
    await keys.delete(accountId, secretId);
    print(`deleted ${secretId}`);
  },
};

function common(cmd: Command): Command {
  return cmd
    .requiredOption('--account <id>', 'numeric account ID')
    .option('--config <file>', 'JSON config file')
    .option('--data-dir <dir>', 'folder for the SQLite file and master.key')
    .option('--database-url <url>', 'postgres:// URL (default: SQLite in the data folder)')
    .option('--database-schema <name>', 'PostgreSQL schema')
    .option('--json', 'print JSON');
}

export function registerApiKeyCommands(program: Command): void {
  const print: Print = (line) => console.log(line);
  const apikey = program
    .command('apikey')
    .description('Tencent API key pairs (SecretId/SecretKey) of an account');
  common(apikey.command('create').description('create a key pair; the SecretKey is shown once')).action(
    (opts: CommonOptions) =>
      withApiKeys(opts, (keys) => apiKeyActions.create(keys, opts.account, opts.json === true, print)),
  );
  common(apikey.command('list').description("list an account's keys (never the secrets)")).action(
    (opts: CommonOptions) =>
      withApiKeys(opts, (keys) => apiKeyActions.list(keys, opts.account, opts.json === true, print)),
  );
  common(
    apikey.command('disable').argument('<secretId>').description('disable a key (it stops authenticating)'),
  ).action((secretId: string, opts: CommonOptions) =>
    withApiKeys(opts, (keys) => apiKeyActions.disable(keys, opts.account, secretId, print)),
  );
  common(apikey.command('delete').argument('<secretId>').description('delete a key')).action(
    (secretId: string, opts: CommonOptions) =>
      withApiKeys(opts, (keys) => apiKeyActions.delete(keys, opts.account, secretId, print)),
  );
}
