// What only the local folder does; the behaviour every store shares is in test/blob/blob-store-contract.test.ts.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalBlobStore } from './local-blob-store.js';

describe('LocalBlobStore start-up clean-up', () => {
  let dir: string;
  const temps = () => readdirSync(join(dir, '.tmp')).sort();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'blobs-'));
    await new LocalBlobStore(dir, { nodeId: 'node-a' }).init();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("removes only this node's temporary files older than the stale-upload time", async () => {
    const old = new Date(Date.now() - 10 * 60_000);
    const write = (name: string, mtime?: Date) => {
      writeFileSync(join(dir, '.tmp', name), 'partial');
      if (mtime) utimesSync(join(dir, '.tmp', name), mtime, mtime);
    };
    write('img-aaaaaaaa-1.node-a', old); // this node's, from before a crash: removed
    write('img-aaaaaaaa-2.node-a'); // this node's, but recent: left for the sweep
    write('img-aaaaaaaa-3.node-b', old); // another node's: never touched here
    write('img-aaaaaaaa-4.node-b'); // another node's live upload
    await new LocalBlobStore(dir, { nodeId: 'Node-A', staleAfterMs: 5 * 60_000 }).init();
    assert.deepEqual(temps(), ['img-aaaaaaaa-2.node-a', 'img-aaaaaaaa-3.node-b', 'img-aaaaaaaa-4.node-b']);
  });
});
