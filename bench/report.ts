// Renders the benchmark results as Markdown into bench/RESULTS.md. Only the text between a section's
// `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->` markers is replaced, so the hand-written reading
// around them survives a re-run, and `npm run bench -- data` leaves the listing tables alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataBenchResult } from './data.bench.js';
import type { PeerResult, VsGlanceResult } from './glance.bench.js';
import type { DescribeBenchResult } from './describe.bench.js';
import type { ListBenchResult } from './list.bench.js';
import type { ScaleBenchResult } from './scale.bench.js';
import type { LoadResult } from './lib/load.js';
import { repoRoot } from './lib/server-process.js';
import type { Machine } from './run.js';

export interface Report {
  machine: Machine;
  wallSeconds: number;
  data?: DataBenchResult;
  /** The same data benchmark with the blob store in S3 (`npm run bench -- s3`). */
  s3?: DataBenchResult;
  lists: ListBenchResult[];
  /** `--vs-glance`: the harness's bench.py against Glance and imageshare in one run. */
  vsGlance?: VsGlanceResult;
  describe?: DescribeBenchResult;
  /** `npm run bench -- scale`: lists at 1,000,000 images (one section per database). */
  scale?: ScaleBenchResult;
}

const mib = (kb: number) => (kb / 1024).toFixed(1);

function machineLines(r: Report): string[] {
  return [
    `Produced by \`${r.machine.command}\` on ${r.machine.date} (git ${r.machine.git}), ${r.wallSeconds} s wall time.`,
    `Machine: ${r.machine.nproc} cores (\`nproc\`), ${r.machine.cpuModel}, ${r.machine.memTotalGiB} GiB RAM, ` +
      `Node ${r.machine.node}, Linux ${r.machine.kernel}, ${r.machine.wrk}; load average before: ` +
      `\`${r.machine.loadBefore}\`, after: \`${r.machine.loadAfter ?? '?'}\`. Client and server share the same cores.`,
    '',
    '```',
    `$ free -h`,
    r.machine.freeH,
    '```',
  ];
}

function dataSection(r: Report, d: DataBenchResult, title = 'Image data'): string[] {
  const lines = [`### ${title}`, '', ...machineLines(r), ''];
  if (!d.upload) {
    lines.push(`Not measured: ${d.note ?? 'no upload'}.`);
    return lines;
  }
  const u = d.upload;
  lines.push(
    `One ${(d.sizeBytes / 1024 ** 3).toFixed(2)} GiB image (${d.sizeBytes} bytes), streamed from a generator in ` +
      `${d.chunkBytes / 1024} KiB chunks (chunked transfer encoding), hashed by the client on the way up and ` +
      `down. Server: \`node bin/imageshare.js serve\` as its own process, ${d.store ?? 'SQLite + local blob folder'}.`,
    '',
    '| step | HTTP | seconds | MB/s | MiB/s | server peak VmRSS (MiB) | server VmHWM after (MiB) | client peak RSS (MiB) | CPU s server / client | check |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| upload (PUT /file) | ${u.http} | ${u.seconds} | ${u.MBps} | ${u.MiBps} | ${mib(u.serverPeakRssKb)} | ` +
      `${mib(u.serverHwmKbAfter)} | ${mib(u.clientPeakRssKb)} | ${u.serverCpuSeconds} / ${u.clientCpuSeconds} | status ${String(u.statusAfter)}, size and ` +
      `checksum/os_hash_value equal the client's: ${u.checksumMatches} |`,
  );
  d.downloads.forEach((dl, i) =>
    lines.push(
      `| download #${i + 1} (GET /file) | ${dl.http} | ${dl.seconds} | ${dl.MBps} | ${dl.MiBps} | ` +
        `${mib(dl.serverPeakRssKb)} | ${mib(dl.serverHwmKbAfter)} | ${mib(dl.clientPeakRssKb)} | ` +
        `${dl.serverCpuSeconds} / ${dl.clientCpuSeconds} | ` +
        `MD5 + SHA-512 equal the upload's: ${dl.hashesMatch} |`,
    ),
  );
  lines.push(
    '',
    `Server memory: idle VmRSS ${mib(d.serverRssKb.idle)} MiB; VmHWM ${mib(d.serverRssKb.hwmBeforeUpload)} MiB ` +
      `before the upload, ${mib(d.serverRssKb.hwmAfterUpload)} MiB after it, ` +
      `${mib(d.serverRssKb.hwmAfterDownloads)} MiB after the downloads.`,
  );
  if (d.range) {
    const g = d.range;
    lines.push(
      '',
      `Range: ${g.requests} sequential \`Range: bytes=a-b\` requests of ${g.bytesEach / 1024} KiB at random ` +
        `offsets: p50 ${g.latencyMs.p50} ms, p95 ${g.latencyMs.p95} ms, p99 ${g.latencyMs.p99} ms ` +
        `(statuses ${g.status.join(', ')}; every body byte-equal to the uploaded bytes and Content-Range ` +
        `right: ${g.allCorrect}; suffix range \`bytes=-100\`: ${g.suffixOk}).`,
    );
  }
  return lines;
}

function loadRow(size: number, l: LoadResult): string {
  return (
    `| ${size.toLocaleString('en')} | ${l.name} | ${l.connections} | ${l.requestsPerSecond} | ${l.latencyMs.p50} | ` +
    `${l.latencyMs.p95} | ${l.latencyMs.p99} | ${l.latencyMs.max} | ${l.errors} | ${l.serverCpuUsPerRequest} |`
  );
}

function listSection(r: Report): string[] {
  const lines = ['### Listing as a receiver', '', ...machineLines(r), ''];
  lines.push(
    'Cases (receiver token, default region): **default** `GET /v2/images?limit=25` (own + public + accepted ' +
      'shares); **shared** `GET /v2/images?visibility=shared&member_status=all&limit=25`; **page30** the same ' +
      'with `marker=` the last image of page 29 (found by walking the `next` links over HTTP).',
    '',
  );
  for (const res of r.lists) {
    lines.push(`#### ${res.database === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`, '', res.databaseNote + '.', '');
    for (const s of res.sizes) {
      const m = s.seed.receiverMembers;
      lines.push(
        `- ${s.images.toLocaleString('en')} images: ${s.seed.owners} owners, ${s.seed.members} member rows ` +
          `(receiver: ${m.accepted} accepted, ${m.pending} pending, ${m.rejected} rejected), ` +
          `${s.seed.imageProperties} properties, ${s.seed.imageTags} tags; seeded in ${s.seed.seconds} s. ` +
          (s.http
            ? `HTTP checks: ${JSON.stringify(s.checks)}. Server VmRSS ${mib(s.serverRssKb.afterStart)} MiB ` +
              `after start, ${mib(s.serverRssKb.afterLoad)} MiB after the load (VmHWM ${mib(s.serverRssKb.hwm)} MiB).`
            : `HTTP not measured: ${s.httpNote ?? '?'}.`),
      );
    }
    lines.push(
      '',
      'In-process (`ImageService.list`, no HTTP; milliseconds per call, sequential):',
      '',
      '| images | case | rows | p50 | p95 | p99 | max |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const s of res.sizes) {
      for (const [name, t] of Object.entries(s.inProcess)) {
        lines.push(
          `| ${s.images.toLocaleString('en')} | ${name} | ${t.rows} | ${t.p50} | ${t.p95} | ${t.p99} | ${t.max} |`,
        );
      }
    }
    if (res.sizes.some((s) => s.load.length)) {
      lines.push(
        '',
        'Over HTTP (fixed-duration load; latency in ms; server CPU = CPU time of the server process per request):',
        '',
        '| images | case | connections | req/s | p50 | p95 | p99 | max | errors | server CPU µs/req |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      );
      for (const s of res.sizes) for (const l of s.load) lines.push(loadRow(s.images, l));
    }
    const biggest = res.sizes[res.sizes.length - 1];
    if (biggest) {
      lines.push(
        '',
        `<details><summary>Query plans at ${biggest.images.toLocaleString('en')} images (${res.database})</summary>`,
        '',
      );
      for (const [name, plan] of Object.entries(biggest.plans)) {
        lines.push(`**${name}**`, '', '```', ...plan, '```', '');
      }
      lines.push('</details>', '');
    }
  }
  return lines;
}

function replaceSection(text: string, name: string, body: string[]): string {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${begin}\n${body.join('\n')}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) return text.slice(0, i) + block + text.slice(j + end.length);
  return `${text.trimEnd()}\n\n${block}\n`;
}

export function updateResults(r: Report): string {
  const path = join(repoRoot, 'bench', 'RESULTS.md');
  let text = existsSync(path)
    ? readFileSync(path, 'utf8')
    : '# Benchmark results\n\nGenerated tables sit between the `bench:*` markers; `npm run bench` rewrites them.\n';
  if (r.data) text = replaceSection(text, 'data', dataSection(r, r.data));
  if (r.s3) text = replaceSection(text, 's3', dataSection(r, r.s3, 'Image data through S3'));
  if (r.lists.length) text = replaceSection(text, 'list', listSection(r));
  if (r.describe) text = replaceSection(text, 'describe', describeSection(r, r.describe));
  if (r.vsGlance) text = replaceSection(text, 'vs-glance', vsGlanceSection(r, r.vsGlance));
  if (r.scale) text = replaceSection(text, `scale-${r.scale.database}`, scaleSection(r, r.scale));
  writeFileSync(path, text);
  return path;
}

const RUN_TITLES: Record<string, string> = {
  list20_owner: 'list 20, owner (`GET /v2/images?limit=20`)',
  list20_member: 'list 20, receiver of the shares',
  show_image: 'show one image (`GET /v2/images/{id}`)',
  member_create: 'add a member (`POST /v2/images/{id}/members`, a fresh pair each)',
};

const cpuTotal = (run: { server_cpu_s: Record<string, number> }) =>
  Object.values(run.server_cpu_s)
    .reduce((a, b) => a + b, 0)
    .toFixed(1);

function peerLine(label: string, p: PeerResult): string {
  return (
    `${label}: ${p.wallSeconds} s, load average before \`${p.loadBefore}\` after \`${p.loadAfter}\`, ` +
    `server processes ${p.pids.length} (idle RSS of the tree ${mib(p.idleRssKb)} MiB), prepare ` +
    `${JSON.stringify(p.prepare)}, first pages ${JSON.stringify(p.sanity)}`
  );
}

export function vsGlanceSection(r: Report, v: VsGlanceResult): string[] {
  const o = v.options;
  const lines = ['### Side by side with Glance', '', ...machineLines(r), ''];
  lines.push(
    `Client: the peer harness's own \`lib/bench.py\` (../shared/peers/glance) for both, back to back: ` +
      `${o.images} images of 1 KiB owned by \`bench\`, the first ${o.shared} shared with and accepted by ` +
      `\`demo\`; wrk, 1 thread, ${o.durationSeconds} s per run after a warm-up, at ${o.connections.join(' and ')} ` +
      `connections; curl for ${o.transferMiB} MiB up and ${o.downloads} downloads. Glance ${v.glanceVersion} ` +
      `(eventlet, 2 workers, SQLite, keystonemiddleware token cache); imageshare: compiled server, SQLite, ` +
      `local blob folder, \`server.workers\` ${v.workers}. imageshare takes only real accounts as members ` +
      `(\`MEMBER_ACCOUNTS_FILE\`, 50 accounts, a fresh pair per request).`,
    '',
    `- ${peerLine('Glance', v.glance)}`,
    `- ${peerLine('imageshare', v.imageshare)}`,
    '',
    '| workload | conns | Glance req/s | imageshare req/s | ratio | Glance p99 ms | imageshare p99 ms | errors G / i | server CPU s G / i |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const g of v.glance.runs) {
    const i = v.imageshare.runs.find((x) => x.name === g.name && x.conns === g.conns);
    if (!i) continue;
    lines.push(
      `| ${RUN_TITLES[g.name] ?? g.name} | ${g.conns} | ${g.rps.toFixed(1)} | ${i.rps.toFixed(1)} | ` +
        `**${(i.rps / g.rps).toFixed(1)}x** | ${(g.p99 / 1000).toFixed(1)} | ${(i.p99 / 1000).toFixed(1)} | ` +
        `${g.errors} / ${i.errors} | ${cpuTotal(g)} / ${cpuTotal(i)} |`,
    );
  }
  const gt = v.glance.transfer;
  const it = v.imageshare.transfer;
  if (gt && it) {
    lines.push(
      '',
      '| transfer | Glance MB/s | imageshare MB/s | ratio | Glance peak RSS (tree, MiB) | imageshare peak RSS (tree, MiB) |',
      '| --- | --- | --- | --- | --- | --- |',
      `| upload (PUT /file, MD5 + SHA-512), HTTP ${gt.upload.http} / ${it.upload.http}, status after ` +
        `${gt.upload.status_after} / ${it.upload.status_after} | ${gt.upload.MBps} | ${it.upload.MBps} | ` +
        `**${(it.upload.MBps / gt.upload.MBps).toFixed(2)}x** | ${mib(gt.upload.peak_rss_kb_total)} | ` +
        `${mib(it.upload.peak_rss_kb_total)} |`,
    );
    gt.download.forEach((g, k) => {
      const i = it.download[k];
      if (!i) return;
      lines.push(
        `| download #${k + 1} (GET /file), HTTP ${g.http} / ${i.http} | ${g.MBps} | ${i.MBps} | ` +
          `**${(i.MBps / g.MBps).toFixed(2)}x** | ${mib(g.peak_rss_kb_total)} | ${mib(i.peak_rss_kb_total)} |`,
      );
    });
  }
  lines.push('', 'Raw JSON: `bench/out/vs-glance-glance.json`, `bench/out/vs-glance-imageshare.json`.');
  return lines;
}

function describeSection(r: Report, d: DescribeBenchResult): string[] {
  return [
    '### Tencent DescribeImages, TC3-signed',
    '',
    ...machineLines(r),
    '',
    `\`POST /\` with \`X-TC-Action: DescribeImages\`, \`{"Limit":20}\` (the owner has 20 images), every request ` +
      `TC3-HMAC-SHA256 signed by a Node client (node:http, keep-alive, ${d.connections} connections, one new ` +
      `signature per second); every answer checked (HTTP 200, 20 images, no Error). Server: compiled, SQLite, ` +
      `\`server.workers\` ${d.workers}. Load average before \`${d.loadBefore}\`, after \`${d.loadAfter}\`.`,
    '',
    '| connections | seconds | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${d.connections} | ${d.seconds} | ${d.requests} | **${d.rps}** | ${d.latencyMs.p50} | ${d.latencyMs.p90} | ` +
      `${d.latencyMs.p99} | ${d.latencyMs.max} | ${d.errors} |`,
  ];
}

function scaleSection(r: Report, s: ScaleBenchResult): string[] {
  const db = s.database === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const n = (x: number) => x.toLocaleString('en');
  const lines = [`### Lists at scale, ${db}`, '', ...machineLines(r), ''];
  lines.push(
    `Generated in the database (${s.database === 'postgres' ? 'INSERT ... SELECT over generate_series, then ANALYZE' : 'a recursive CTE; no ANALYZE, as the service never runs it'}), ` +
      `${s.sharesPerImage} shares per image, one account per 200 images, so the measured account (the first) ` +
      `has the same images and shares at every size. Cases, first page of 20 as that account: **default** ` +
      '`GET /v2/images?limit=20` (own + public + accepted shares), **owner** `...&visibility=private` (own images), ' +
      '**receiver** `...&visibility=shared&member_status=all` (shares of every status).',
    '',
  );
  for (const z of s.sizes) {
    lines.push(
      `- ${n(z.images)} images, ${n(z.shares)} shares, ${n(z.accounts)} accounts, ${n(z.properties)} properties, ` +
        `${n(z.tags)} tags: generated in ${z.generateSeconds} s. Account ${z.account.id}: ${z.account.ownListed} own ` +
        `images listed, shares ${JSON.stringify(z.account.shares)}.`,
    );
  }
  lines.push(
    '',
    'In-process (`ImageService.list`, one statement per page; ms per call, sequential):',
    '',
    '| images | case | rows | p50 | p95 | p99 | max |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const z of s.sizes)
    for (const [name, t] of Object.entries(z.inProcess))
      lines.push(`| ${n(z.images)} | ${name} | ${t.rows} | ${t.p50} | ${t.p95} | ${t.p99} | ${t.max} |`);
  const base = s.sizes[0];
  const top = s.sizes[s.sizes.length - 1];
  if (base && top && base !== top) {
    lines.push(
      '',
      `p99 at ${n(top.images)} over p99 at ${n(base.images)} (target: at most 1.5x, and under 20 ms):`,
      '',
    );
    for (const name of Object.keys(top.inProcess)) {
      const a = base.inProcess[name]?.p99 ?? 0;
      const b = top.inProcess[name]?.p99 ?? 0;
      lines.push(`- ${name}: ${a} -> ${b} ms (**${a ? (b / a).toFixed(2) : '?'}x**)`);
    }
  }
  lines.push(
    '',
    'Before / after in the same run (calls alternating, same data; ms):',
    '',
    '| images | comparison | p50 before | p50 after | p99 before | p99 after |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const z of s.sizes)
    for (const a of z.ab)
      lines.push(
        `| ${n(z.images)} | ${a.name} | ${a.before.p50} | ${a.after.p50} | ${a.before.p99} | ${a.after.p99} |`,
      );
  if (s.database === 'postgres') {
    // Load-independent: what EXPLAIN (ANALYZE, BUFFERS) says the statement touched, at each size.
    lines.push(
      '',
      'The statement itself (EXPLAIN ANALYZE of one run; buffers touched do not depend on the machine load):',
      '',
      '| images | case | buffers (shared hit + read) | execution ms | planning ms |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const z of s.sizes)
      for (const [name, plan] of Object.entries(z.plans)) {
        const text = plan.join('\n');
        const buffers = /Buffers: shared hit=(\d+)(?: read=(\d+))?/.exec(text);
        const exec = /Execution Time: ([\d.]+)/.exec(text)?.[1] ?? '?';
        const planning = /Planning Time: ([\d.]+)/.exec(text)?.[1] ?? '?';
        const touched = buffers ? Number(buffers[1]) + Number(buffers[2] ?? 0) : '?';
        lines.push(`| ${n(z.images)} | ${name} | ${touched} | ${exec} | ${planning} |`);
      }
  }
  if (s.database === 'sqlite' && s.sizes.some((z) => Object.keys(z.sqliteStatementsMs ?? {}).length)) {
    lines.push(
      '',
      "SQLite's own time for a page's statements (each run directly, median of 300, summed; ms):",
      '',
      `| case | ${s.sizes.map((z) => n(z.images)).join(' | ')} |`,
      `| --- | ${s.sizes.map(() => '---').join(' | ')} |`,
    );
    for (const name of Object.keys(s.sizes[0]?.sqliteStatementsMs ?? {}))
      lines.push(`| ${name} | ${s.sizes.map((z) => z.sqliteStatementsMs?.[name] ?? '?').join(' | ')} |`);
  }
  if (s.sizes.some((z) => z.load.length)) {
    lines.push(
      '',
      'Over HTTP (the server as its own process, one worker; wrk; ms):',
      '',
      '| images | case | connections | req/s | p50 | p95 | p99 | max | errors | server CPU µs/req |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const z of s.sizes) for (const l of z.load) lines.push(loadRow(z.images, l));
  }
  if (top) {
    lines.push('', `<details><summary>Query plans at ${n(top.images)} images (${s.database})</summary>`, '');
    for (const [name, plan] of Object.entries(top.plans))
      lines.push(`**${name}**`, '', '```', ...plan, '```', '');
    lines.push('</details>');
  }
  return lines;
}
