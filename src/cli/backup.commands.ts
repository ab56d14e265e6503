// `imageshare backup --out DIR` / `imageshare restore --from DIR`: see backup.ts for what they copy and why
// the copy is consistent while the server runs. Same config flags as `serve`.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { BackupError, backup, restore } from './backup.js';

interface Options {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  databaseSchema?: string;
  database?: boolean; // commander's --no-database
}

function configFrom(opts: Options) {
  const overrides: Record<string, string> = {};
  if (opts.dataDir) overrides['dataDir'] = opts.dataDir;
  if (opts.databaseUrl) overrides['database.url'] = opts.databaseUrl;
  if (opts.databaseSchema) overrides['database.schema'] = opts.databaseSchema;
  return loadConfig({ file: opts.config, overrides });
}

function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON config file')
    .option('--data-dir <dir>', 'folder for the SQLite file, image data and master.key')
    .option('--database-url <url>', 'postgres:// URL (default: SQLite in the data folder)')
    .option('--database-schema <name>', 'PostgreSQL schema')
    .option('--no-database', 'PostgreSQL: leave the database to pg_dump / pg_restore, copy the rest');
}

async function run(body: () => Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!(err instanceof BackupError)) throw err;
    console.error(`backup error: ${err.message}`);
    process.exitCode = 1;
  }
}

export function registerBackupCommands(program: Command): void {
  const print = (line: string) => console.log(line);
  withConfigOptions(
    program
      .command('backup')
      .description('consistent backup of a running server: database, image data, master key')
      .requiredOption('--out <dir>', 'a new or empty folder for the backup'),
  ).action((opts: Options & { out: string }) =>
    run(() => backup(configFrom(opts), opts.out, { noDatabase: opts.database === false }, print)),
  );
  withConfigOptions(
    program
      .command('restore')
      .description('restore a backup onto a fresh data folder (with the server stopped)')
      .requiredOption('--from <dir>', 'the backup folder'),
  ).action((opts: Options & { from: string }) =>
    run(() => restore(configFrom(opts), opts.from, { noDatabase: opts.database === false }, print)),
  );
}
