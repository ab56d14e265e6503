// The `imageshare` command: `serve` runs the service; the other commands administer it.
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { serve } from '../cluster.js';
import { registerAccountCommands } from './account.commands.js';
import { registerApiKeyCommands } from './apikey.commands.js';
import { registerBlobCommands } from './blobs.commands.js';
import { registerBackupCommands } from './backup.commands.js';
import { NoDatabaseError } from './connection.js';
import { registerImageCommands } from './images.commands.js';
import { packageVersion } from './version.js';

// Everything the service and its commands create (the data folder, the SQLite file and its -wal/-shm, image
// data, temporary uploads, the master key) is for this user alone: other local users must not read images or
// sealed secrets. The stores set modes too where they create files; this also covers what SQLite creates.
process.umask(0o077);

const program = new Command();
program
  .name('imageshare')
  .description('Custom machine images and cross-account image sharing')
  .version(packageVersion(), '-V, --version', 'print the version');

program
  .command('serve')
  .description('start the service (SQLite and ./data by default)')
  .option('--config <file>', 'JSON config file')
  .option('--host <host>', 'address to listen on')
  .option('--port <port>', 'port to listen on')
  .option('--data-dir <dir>', 'folder for the SQLite file and image data')
  .option('--database-url <url>', 'postgres:// URL (default: SQLite in the data folder)')
  .option('--database-schema <name>', 'PostgreSQL schema (created if missing)')
  .option('--profile <name>', 'preset: "openstack" deletes shared images as Glance does')
  .option('--workers <n>', 'processes serving the port (default: one per core; 1: no cluster)')
  .action(async (opts: Record<string, string | undefined>) => {
    const overrides: Record<string, string> = {};
    if (opts.host) overrides['server.host'] = opts.host;
    if (opts.port) overrides['server.port'] = opts.port;
    if (opts.dataDir) overrides['dataDir'] = opts.dataDir;
    if (opts.databaseUrl) overrides['database.url'] = opts.databaseUrl;
    if (opts.databaseSchema) overrides['database.schema'] = opts.databaseSchema;
    if (opts.workers) overrides['server.workers'] = opts.workers;
    const config = loadConfig({ file: opts.config, overrides, profile: opts.profile });
    // In a cluster worker this starts that worker and returns null: the primary prints for the cluster.
    const server = await serve(config);
    if (!server) return;
    // "listening on" last: whoever waits for it (scripts, tests) has every line before it.
    if (server.workers > 1) console.log(`workers: ${server.workers}`);
    if (server.publicUrl !== server.url) console.log(`public URL: ${server.publicUrl}`);
    console.log(`imageshare listening on ${server.url}`);
  });

registerAccountCommands(program);
registerApiKeyCommands(program);
registerBlobCommands(program);
registerBackupCommands(program);
registerImageCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`configuration error: ${err.message}`);
  else if (err instanceof NoDatabaseError) {
    console.error(`error: ${err.message}`);
    process.exit(2);
  } else console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
