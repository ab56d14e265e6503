// The semi-space size cluster workers start with (src/worker-heap.ts): added to the primary's own node
// options, unless the operator set one on node's command line or in NODE_OPTIONS. workers.test.ts checks
// that real workers carry it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WORKER_SEMI_SPACE_MIB, workerExecArgv } from '../../src/worker-heap.js';

const flag = `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`;

describe('workerExecArgv', () => {
  it("adds the semi-space size after the primary's own options (a loader keeps working)", () => {
    assert.deepEqual(workerExecArgv(['--import', 'tsx'], undefined), ['--import', 'tsx', flag]);
    assert.deepEqual(workerExecArgv([], ''), [flag]);
    assert.deepEqual(workerExecArgv([], '--enable-source-maps'), [flag]);
  });

  it("leaves the operator's own size alone, on the command line or in NODE_OPTIONS, in either spelling", () => {
    assert.deepEqual(workerExecArgv(['--max-semi-space-size=16'], undefined), ['--max-semi-space-size=16']);
    assert.deepEqual(workerExecArgv(['--max_semi_space_size=2'], undefined), ['--max_semi_space_size=2']);
    assert.deepEqual(workerExecArgv(['--import', 'tsx'], ' --max-semi-space-size=32  '), ['--import', 'tsx']);
    assert.deepEqual(workerExecArgv([], '--enable-source-maps --max_semi_space_size=1'), []);
  });

  it('does not take a similar option for the semi-space size', () => {
    assert.deepEqual(workerExecArgv(['--max-old-space-size=512'], '--min-semi-space-size=1'), [
      '--max-old-space-size=512',
      flag,
    ]);
  });
});
