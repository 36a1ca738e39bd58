/**
 * `normscope bench [batchnorm|checkpoint|ranks|all] [options]`: the benchmarks in bench/ (engine
 * backends, checkpoint reading, SyncBatchNorm collectives) against PyTorch, as `npm run bench` runs
 * them. Needs the source tree (bench/ and tsx), so it is a developer command.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from './command.js';
import { EXIT_REFUSED } from './command.js';

const runner = fileURLToPath(new URL('../../bench/run.ts', import.meta.url));

const bench: Command = {
  name: 'bench',
  summary: 'benchmark the engine backends, checkpoint reading and collectives against PyTorch',
  usage: 'normscope bench [batchnorm|checkpoint|ranks|all] [options]',
  run(argv) {
    if (!existsSync(runner)) {
      process.stderr.write('normscope bench: bench/ is not part of this build; run it from a source checkout (npm run bench)\n');
      return EXIT_REFUSED;
    }
    const r = spawnSync(process.execPath, ['--import', 'tsx', runner, ...argv], { stdio: 'inherit' });
    return r.status ?? 1;
  },
};

export default bench;
