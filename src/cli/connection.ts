// How the administrative commands open the service's database: the same config loading as `serve` (file,
// environment, flags). They say on stderr which database they opened, and refuse to create a new, empty one
// unless asked with --init: run from the wrong folder, `./data` would otherwise silently become a second,
// empty service (an account created there would never reach the real one).
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { databaseUrl, openServices } from '../main.js';
import { databaseExists, describeDatabase } from '../repositories/db/database.js';
import type { Services } from '../services/container.js';

export interface ConnectionFlags {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  databaseSchema?: string;
  init?: boolean;
  json?: boolean;
}

export function withConnectionFlags(command: Command): Command {
  return command
    .option('--config <file>', 'JSON config file')
    .option('--data-dir <dir>', 'folder for the SQLite file and image data')
    .option('--database-url <url>', 'postgres:// URL (default: SQLite in the data folder)')
    .option('--database-schema <name>', 'PostgreSQL schema')
    .option('--init', 'create the database when it does not exist yet')
    .option('--json', 'print JSON instead of text');
}

export function configFromFlags(opts: ConnectionFlags): Config {
  const overrides: Record<string, string> = {};
  if (opts.dataDir) overrides['dataDir'] = opts.dataDir;
  if (opts.databaseUrl) overrides['database.url'] = opts.databaseUrl;
  if (opts.databaseSchema) overrides['database.schema'] = opts.databaseSchema;
  return loadConfig({ file: opts.config, overrides });
}

/** Refused: the configured database does not exist and --init was not given. Reported with exit code 2. */
export class NoDatabaseError extends Error {}

/**
 * Opens the configured database for a command, after saying which one it is (stderr, so stdout stays the
 * command's output). Throws NoDatabaseError when it does not exist and `init` is not set.
 */
export async function openForCommand(
  opts: ConnectionFlags,
): Promise<Awaited<ReturnType<typeof openServices>> & { close: () => Promise<void> }> {
  const config = configFromFlags(opts);
  const url = databaseUrl(config);
  const schema = config.database.schema || undefined;
  const where = describeDatabase(url, schema);
  if (!(await databaseExists(url, schema))) {
    if (!opts.init) {
      throw new NoDatabaseError(
        `no imageshare database at ${where}. Run the command from the service's folder, or point at its ` +
          `database with --config, --data-dir or --database-url (or IMAGESHARE_CONFIG); ` +
          `add --init to create a new, empty database there.`,
      );
    }
    console.error(`database: ${where} (created)`);
  } else {
    console.error(`database: ${where}`);
  }
  const opened = await openServices(config);
  return {
    ...opened,
    close: async () => {
      await opened.db.close();
      await opened.blobs.close();
    },
  };
}

/** Runs a command's body over the opened services, closing them afterwards. */
export async function withCommandServices<T>(
  opts: ConnectionFlags,
  body: (services: Services) => Promise<T>,
): Promise<T> {
  const opened = await openForCommand(opts);
  try {
    return await body(opened.services);
  } finally {
    await opened.close();
  }
}
