// `imageshare blobs check|sweep`: finds image data that no image refers to (check: report only) and removes
// it (sweep), as every server also does in the background. Same config flags as `serve`; the blob store
// (folder or S3 bucket) comes from the configuration.
import type { Command } from 'commander';
import { openForCommand } from './connection.js';
import type { SweepReport } from '../services/blob-sweep.service.js';

interface BlobsOptions {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  databaseSchema?: string;
  graceSeconds?: string;
  json?: boolean;
}

/** Lines an operator reads; keys are listed (they name the image an upload was for). */
export function formatSweepReport(report: SweepReport): string[] {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const lines = [
    `scanned: ${report.scanned.blobs} blobs, ${report.scanned.pending} pending uploads (grace ${report.graceSeconds} s)`,
    `unreferenced blobs: ${report.orphanBlobs.length} (${verb})`,
    ...report.orphanBlobs.map((key) => `  blob ${key}`),
    `abandoned uploads: ${report.abandonedUploads.length} (${verb})`,
    ...report.abandonedUploads.map((key) => `  upload ${key}`),
    `kept: ${report.kept.young} younger than the grace period, ${report.kept.liveUpload} of uploads in progress`,
  ];
  if (report.failures > 0) lines.push(`failed removals: ${report.failures} (tried again at the next sweep)`);
  return lines;
}

export function registerBlobCommands(program: Command): void {
  const blobs = program.command('blobs').description('image data that no image refers to');
  for (const [name, dryRun, description] of [
    ['check', true, 'report unreferenced blobs and abandoned uploads (removes nothing)'],
    ['sweep', false, 'remove unreferenced blobs and abandoned uploads older than the grace period'],
  ] as const) {
    blobs
      .command(name)
      .description(description)
      .option('--config <file>', 'JSON config file')
      .option('--data-dir <dir>', 'folder for the SQLite file and image data')
      .option('--database-url <url>', 'postgres:// URL (default: SQLite in the data folder)')
      .option('--database-schema <name>', 'PostgreSQL schema')
      .option('--grace-seconds <n>', 'leave data younger than this (default: blob.sweepGraceSeconds)')
      .option('--json', 'print JSON instead of text')
      .action(async (opts: BlobsOptions) => {
        const graceSeconds = opts.graceSeconds === undefined ? undefined : Number(opts.graceSeconds);
        if (graceSeconds !== undefined && !(Number.isFinite(graceSeconds) && graceSeconds >= 0)) {
          console.error('error: --grace-seconds must be a number of seconds, 0 or more');
          process.exitCode = 2;
          return;
        }
        const { services, close } = await openForCommand(opts);
        try {
          const report = await services.blobSweep.sweep({ dryRun, graceSeconds });
          if (opts.json) console.log(JSON.stringify(report));
          else for (const line of formatSweepReport(report)) console.log(line);
        } finally {
          await close();
        }
      });
  }
}
