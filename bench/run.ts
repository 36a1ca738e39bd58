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
 *   npm run bench -- all                every suite with its defaults
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, runBatchNormBench, type BenchOptions } from './batchnorm.bench.js';

function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = {};
  const shapes: number[][] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--dtype') {
      const v = next();
      if (v !== 'float32' && v !== 'float64') throw new Error('--dtype must be float32 or float64');
      o.dtype = v;
    } else if (a === '--threads') o.threads = Number(next());
    else if (a === '--seconds') o.minSeconds = Number(next());
    else if (a === '--shape') shapes.push(next().split(',').map(Number));
    else if (a === '--no-torch') o.noTorch = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (shapes.length) {
    if (shapes.some((s) => s.length < 2 || s.some((d) => !Number.isInteger(d) || d < 1)))
      throw new Error('--shape takes positive integers, at least two');
    o.shapes = shapes;
  }
  return o;
}

const SUITES = ['module', 'checkpoint', 'ranks', 'models'] as const;
const here = dirname(fileURLToPath(import.meta.url));

/** Runs bench/<suite>.bench.ts in its own process (they parse their own arguments). */
function runSuite(suite: string, args: string[]): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${suite}.bench.ts`), ...args], {
    stdio: 'inherit',
  });
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
  process.exit(runSuite(argv[0]!, argv.slice(1)));
} else if (argv[0] === 'batchnorm') {
  argv.shift();
}

let opts: BenchOptions;
try {
  opts = parseArgs(argv);
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(2);
}
const result = runBatchNormBench(opts);
console.log(`\n${formatTable(result)}`);
const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `batchnorm-${result.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(dir, 'batchnorm-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nwrote ${file}`);
