/**
 * `npm run bench`: the BatchNorm kernels of every engine side by side with PyTorch on the same data
 * (see bench/batchnorm.bench.ts). Prints a table and writes bench/results/batchnorm-<date>.json
 * (and batchnorm-latest.json).
 *
 *   npm run bench -- [--dtype float32|float64] [--threads N] [--seconds S] [--shape 32,64,56,56]... [--no-torch]
 *
 * The other suites run as their own scripts with their own options:
 *   npm run bench -- module [...]       BatchNorm modules through the public API (bench/module.bench.ts)
 *   npm run bench -- checkpoint [...]   checkpoint reading vs torch.load (bench/checkpoint.bench.ts)
 *   npm run bench -- ranks [...]        SyncBatchNorm collective latency (bench/ranks.bench.ts)
 *   npm run bench -- models [...]       ResNet-18 eval forward and train step vs PyTorch (bench/models.bench.ts)
 *   npm run bench -- hugePages [...]    first writes into fresh buffers with and without THP advice
 *                                       (bench/hugePages.bench.ts; run under node --expose-gc)
 *   npm run bench -- all                every suite with its defaults, then the kernels
 * Each script parses its options strictly (bench/args.ts): an unknown flag or a bad value is named in
 * the error and exits with status 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgsOrExit } from './args.js';
import { formatTable, parseBatchNormArgs, runBatchNormBench } from './batchnorm.bench.js';

const SUITES = ['module', 'checkpoint', 'ranks', 'models', 'hugePages'] as const;
/** Node flags a suite needs: hugePages collects garbage before each sample so earlier buffers do not skew it. */
const NODE_FLAGS: Partial<Record<(typeof SUITES)[number], string[]>> = { hugePages: ['--expose-gc'] };
const here = dirname(fileURLToPath(import.meta.url));

/** Runs bench/<suite>.bench.ts in its own process (they parse their own arguments). */
function runSuite(suite: (typeof SUITES)[number], args: string[]): number {
  const node = [...(NODE_FLAGS[suite] ?? []), '--import', 'tsx'];
  const r = spawnSync(process.execPath, [...node, join(here, `${suite}.bench.ts`), ...args], { stdio: 'inherit' });
  return r.status ?? 1;
}

const argv = process.argv.slice(2);
if (argv[0] === 'all') {
  for (const suite of SUITES) {
    const status = runSuite(suite, []);
    if (status !== 0) process.exit(status);
  }
  argv.shift();
} else if ((SUITES as readonly string[]).includes(argv[0] ?? '')) {
  process.exit(runSuite(argv[0] as (typeof SUITES)[number], argv.slice(1)));
} else if (argv[0] === 'batchnorm') {
  argv.shift();
}

const opts = benchArgsOrExit('batchnorm', () => parseBatchNormArgs(argv));
const result = runBatchNormBench(opts);
console.log(`\n${formatTable(result)}`);
const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `batchnorm-${result.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(dir, 'batchnorm-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nwrote ${file}`);
