// `imageshare images verify [--all | ID...] [--mark]`: re-reads stored image data (local folder or S3) and
// compares size, MD5 and SHA-512 with what was recorded at upload. Exit code 0 when every image checked is
// whole, 4 when some image's data changed or went missing, 2 on a usage error.
// `imageshare images purge-bin`: purges now the recycle bin's images whose retention ended (every node does
// it every 10 minutes anyway; safe beside them).
import type { Command } from 'commander';
import type { IntegrityReport } from '../services/integrity.service.js';
import { openForCommand, withConnectionFlags, type ConnectionFlags } from './connection.js';

/** Lines an operator reads: one per finding, then the totals. */
export function formatIntegrityReport(report: IntegrityReport, mark: boolean): string[] {
  const lines = report.findings.map((f) => {
    const detail = f.expected !== undefined ? ` expected=${f.expected} actual=${f.actual ?? ''}` : '';
    const marked = mark ? (f.marked ? ' marked=killed' : ' marked=no') : '';
    return `${f.problem.toUpperCase()} ${f.imageId} owner=${f.ownerId} region=${f.region} status=${f.status} blob=${f.blobKey}${detail}${marked}`;
  });
  for (const id of report.notFound) lines.push(`NO-DATA ${id} (no such image, deleted, or no data uploaded)`);
  lines.push(
    `checked: ${report.checked} images, ${report.bytesRead} bytes; ok: ${report.ok}; ` +
      `changed or missing: ${report.findings.length}`,
  );
  return lines;
}

export function registerImageCommands(program: Command): void {
  const images = program.command('images').description('operator checks on image data');
  withConnectionFlags(
    images
      .command('verify')
      .description('re-read stored image data and compare its MD5 and SHA-512 with those recorded at upload')
      .argument('[ids...]', 'image IDs to verify')
      .option('--all', 'verify every image that holds data')
      .option('--mark', 'move images whose data changed or went missing to status "killed"'),
  ).action(async (ids: string[], opts: ConnectionFlags & { all?: boolean; mark?: boolean }) => {
    if ((opts.all === true) === ids.length > 0) {
      console.error('error: give either --all or one or more image IDs');
      process.exitCode = 2;
      return;
    }
    const { services, close } = await openForCommand(opts);
    try {
      const mark = opts.mark === true;
      const report = await services.integrity.verify({ ...(opts.all ? {} : { ids }), mark });
      if (opts.json) console.log(JSON.stringify(report));
      else for (const line of formatIntegrityReport(report, mark)) console.log(line);
      if (report.findings.length > 0) process.exitCode = 4;
      else if (report.notFound.length > 0) process.exitCode = 3;
    } finally {
      await close();
    }
  });
  withConnectionFlags(
    images
      .command('purge-bin')
      .description("delete for good the recycle bin's images whose retention ended, and free their data"),
  ).action(async (opts: ConnectionFlags) => {
    const { services, close } = await openForCommand(opts);
    try {
      let purged = 0;
      for (let batch = await services.images.purgeRecycleBin(); batch > 0;) {
        purged += batch;
        batch = await services.images.purgeRecycleBin();
      }
      console.log(opts.json ? JSON.stringify({ purged }) : `purged: ${purged} images`);
    } finally {
      await close();
    }
  });
}
