/**
 * `normscope ranks --world W --stack STACK.json --input X.npy [--shards 5,0,3,8] [--backend gloo|ipc]
 *  --steps N [--json] [--timeout MS] [--lr LR] [--seed S] [--fault RANK:KIND[:LAYER[:MS]]]`
 *
 * Runs the stack as W rank processes (every BatchNorm becomes a SyncBatchNorm of the world group),
 * feeds each rank its shard of the .npy batch every step (forward, backward of L = mean(y²)/2 per
 * shard, gradients averaged over the ranks, SGD) and prints per-step statistics: with --json one line
 * per step {step, ranks: [{rank, count}], layers: [{name, runningMean, runningVar, numBatchesTracked}]}.
 * Several machines (gloo): run the same command on each with --nodes M --node-rank K --master HOST:PORT
 * (node 0 serves the rendezvous store at HOST:PORT; --hostname is the address other nodes reach this
 * one at); node K hosts ranks K·W/M .. (K+1)·W/M − 1 and prints the stats its ranks saw.
 * Exit codes: 0 success; 2 refused or malformed input (message on stderr); 3 a step failed on the
 * ranks (the error names the rank and the layer; the state was rolled back).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  DEFAULT_LR,
  DEFAULT_STACK_BUDGET,
  stackSpecProblem,
  type StackBudget,
  type StackSpec,
} from '../../engine/index.js';
import { RankCoordinator } from '../ranks/coordinator.js';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import { evenShards, splitRows } from '../ranks/shards.js';
import { glooAvailability } from '../ranks/glooAddon.js';
import { NpyError, readNpy, type NpyArray } from '../ranks/npy.js';
import type { FaultPlan, WireState } from '../ranks/protocol.js';

export interface RanksArgs {
  world: number;
  stack: string;
  input: string;
  shards: number[] | null;
  backend: 'ipc' | 'gloo';
  steps: number;
  json: boolean;
  timeoutMs: number;
  lr: number;
  seed: number;
  fault: FaultPlan | null;
  /** Several machines (gloo): this machine is node `nodeRank` of `nodes`, meeting at `master`. */
  nodes: number;
  nodeRank: number;
  master: { host: string; port: number } | null;
  hostname: string | undefined;
  /** The largest stack the ranks on this machine may build together (--max-parameters, --max-activation-mib). */
  stackBudget: StackBudget;
}

const USAGE =
  'usage: normscope ranks --world W --stack STACK.json --input X.npy [--shards 5,0,3,8] [--backend gloo|ipc] --steps N [--json] ' +
  '[--timeout MS] [--lr LR] [--seed S] [--fault RANK:crash|exit|sleep|skip[:LAYER[:MS]]] ' +
  '[--nodes M --node-rank K --master HOST:PORT [--hostname THIS_HOST]] [--max-parameters N] [--max-activation-mib N]';

/** Integer options: name, least value, where the value goes. */
const INT_OPTIONS: [string, number, (a: Partial<RanksArgs>, n: number) => void][] = [
  ['world', 1, (a, n) => (a.world = n)],
  ['steps', 1, (a, n) => (a.steps = n)],
  ['timeout', 1, (a, n) => (a.timeoutMs = n)],
  ['nodes', 1, (a, n) => (a.nodes = n)],
  ['node-rank', 0, (a, n) => (a.nodeRank = n)],
  ['max-parameters', 1, (a, n) => (a.stackBudget = { ...a.stackBudget!, maxParameters: n })],
  ['max-activation-mib', 1, (a, n) => (a.stackBudget = { ...a.stackBudget!, maxActivationBytes: n * 2 ** 20 })],
  ['seed', 0, (a, n) => (a.seed = n)],
];
const RANKS_OPTIONS = [
  ...INT_OPTIONS.map(([name]) => name),
  'master',
  'hostname',
  'lr',
  'stack',
  'input',
  'backend',
  'shards',
  'fault',
];

export function parseRanksArgs(argv: readonly string[]): RanksArgs | { error: string } {
  const a: Partial<RanksArgs> & { json: boolean } = {
    json: false,
    backend: 'ipc',
    shards: null,
    timeoutMs: 10_000,
    lr: DEFAULT_LR,
    seed: 0,
    fault: null,
    nodes: 1,
    nodeRank: 0,
    master: null,
    hostname: undefined,
    stackBudget: { ...DEFAULT_STACK_BUDGET },
  };
  const int = (name: string, v: string | undefined, min: number): number | { error: string } => {
    const n = Number(v);
    return v !== undefined && Number.isInteger(n) && n >= min
      ? n
      : { error: `${name} must be an integer >= ${min} (got ${JSON.stringify(v)})` };
  };
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv, ['json'], RANKS_OPTIONS);
  } catch (e) {
    if (e instanceof UsageError) return { error: `${e.message}\n${USAGE}` };
    throw e;
  }
  if (parsed.positionals.length)
    return { error: `unexpected argument ${JSON.stringify(parsed.positionals[0])}\n${USAGE}` };
  a.json = parsed.flags.has('json');
  const o = (name: string): string | undefined => parsed.options.get(name);
  let r: number | { error: string };
  for (const [name, min, set] of INT_OPTIONS) {
    if (o(name) === undefined) continue;
    if (typeof (r = int(`--${name}`, o(name), min)) !== 'number') return r;
    set(a, r);
  }
  if (o('master') !== undefined) {
    const v = o('master')!;
    const m = /^(.+):(\d+)$/.exec(v);
    if (!m || Number(m[2]) > 65535) return { error: `--master must be HOST:PORT (got ${JSON.stringify(v)})` };
    a.master = { host: m[1]!, port: Number(m[2]) };
  }
  if (o('hostname') !== undefined) {
    a.hostname = o('hostname');
    if (!a.hostname) return { error: '--hostname needs an address' };
  }
  if (o('lr') !== undefined) {
    const v = o('lr')!;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) return { error: `--lr must be a number (got ${JSON.stringify(v)})` };
    a.lr = n;
  }
  for (const name of ['stack', 'input'] as const) {
    const v = o(name);
    if (v === undefined) continue;
    if (!v) return { error: `--${name} needs a file` };
    a[name] = v;
  }
  if (o('backend') !== undefined) {
    const v = o('backend');
    if (v !== 'ipc' && v !== 'gloo') return { error: `--backend must be gloo or ipc (got ${JSON.stringify(v)})` };
    a.backend = v;
  }
  if (o('shards') !== undefined) {
    const v = o('shards')!;
    const parts = v.split(',').map((x) => Number(x.trim()));
    if (!v || parts.some((n) => !Number.isInteger(n) || n < 0))
      return { error: `--shards must be comma-separated counts >= 0 (got ${JSON.stringify(v)})` };
    a.shards = parts;
  }
  if (o('fault') !== undefined) {
    const v = o('fault')!;
    const [rank, kind, layer, ms] = v.split(':');
    if (!['crash', 'exit', 'sleep', 'skip'].includes(kind ?? '') || !Number.isInteger(Number(rank))) {
      return { error: `--fault must be RANK:crash|exit|sleep|skip[:LAYER[:MS]] (got ${JSON.stringify(v)})` };
    }
    a.fault = {
      rank: Number(rank),
      kind: kind as FaultPlan['kind'],
      layer: layer || undefined,
      ms: ms ? Number(ms) : undefined,
    };
  }
  for (const k of ['world', 'stack', 'input', 'steps'] as const)
    if (a[k] === undefined) return { error: `--${k} is required\n${USAGE}` };
  if (a.shards && a.shards.length !== a.world)
    return { error: `--shards has ${a.shards.length} counts but --world is ${a.world}` };
  if (a.fault && a.fault.rank >= a.world!)
    return { error: `--fault rank ${a.fault.rank} is outside 0..${a.world! - 1}` };
  if (a.nodes! > 1) {
    if (a.backend !== 'gloo') return { error: 'several nodes need --backend gloo (ipc works on one machine only)' };
    if (!a.master) return { error: '--nodes > 1 needs --master HOST:PORT (node 0 serves the rendezvous store there)' };
    if (a.world! % a.nodes! !== 0) return { error: `--world ${a.world} is not divisible by --nodes ${a.nodes}` };
    if (a.nodeRank! >= a.nodes!) return { error: `--node-rank ${a.nodeRank} is outside 0..${a.nodes! - 1}` };
  }
  return a as RanksArgs;
}

/** Even split with the remainder going to the first ranks (like torch's DistributedSampler without padding). */

function layerStats(state: WireState, names: string[]) {
  const m = new Map(state.entries);
  const arr = (k: string) => (m.has(k) ? [...m.get(k)!.data].map(Number) : null);
  return names.map((name) => ({
    name,
    runningMean: arr(`${name}.running_mean`),
    runningVar: arr(`${name}.running_var`),
    numBatchesTracked: arr(`${name}.num_batches_tracked`)?.[0] ?? null,
  }));
}

interface Sink {
  write(s: string): unknown;
}

export async function runRanks(
  argv: readonly string[],
  out: Sink = process.stdout,
  err: Sink = process.stderr,
): Promise<number> {
  const args = parseRanksArgs(argv);
  if ('error' in args) {
    err.write(`normscope ranks: ${args.error}\n`);
    return 2;
  }
  let spec: StackSpec;
  let x: NpyArray;
  try {
    const parsed: unknown = JSON.parse(readFileSync(args.stack, 'utf8'));
    const problem = stackSpecProblem(parsed);
    if (problem) throw new Error(problem);
    spec = parsed as StackSpec;
  } catch (e) {
    err.write(`normscope ranks: cannot read the stack spec ${args.stack}: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    x = readNpy(readFileSync(args.input), args.input);
  } catch (e) {
    err.write(
      `normscope ranks: ${e instanceof NpyError ? e.message : `cannot read ${args.input}: ${(e as Error).message}`}\n`,
    );
    return 2;
  }
  if (x.shape.length < 2) {
    err.write(
      `normscope ranks: the input must be a batch with at least 2 dimensions (N, C, ...), got shape (${x.shape.join(', ')})\n`,
    );
    return 2;
  }
  const counts = args.shards ?? evenShards(x.shape[0]!, args.world);
  const total = counts.reduce((p, n) => p + n, 0);
  if (total !== x.shape[0]) {
    err.write(`normscope ranks: --shards add up to ${total} but the input batch has ${x.shape[0]} samples\n`);
    return 2;
  }
  if (args.backend === 'gloo' && !glooAvailability().available) {
    err.write(`normscope ranks: the gloo backend is unavailable: ${glooAvailability().reason}\n`);
    return 2;
  }
  const dtype = spec.dtype === 'float64' ? 'float64' : 'float32';
  // With several nodes every node reads the same batch and feeds only the ranks it hosts.
  const perNode = args.world / args.nodes;
  const firstRank = args.nodeRank * perNode;
  const inputs = splitRows(x.data, x.shape, counts, dtype).slice(firstRank, firstRank + perNode);
  const multi = args.nodes > 1 && args.master;
  const c = new RankCoordinator({
    world: args.world,
    backend: args.backend,
    timeoutMs: args.timeoutMs,
    stackBudget: args.stackBudget,
    budgetHint: 'raise it with --max-parameters N or --max-activation-mib N',
    ...(multi
      ? {
          rendezvous: 'tcp' as const,
          storeHost: args.master!.host,
          storePort: args.master!.port,
          firstRank,
          localRanks: perNode,
          serveStore: args.nodeRank === 0,
          hostname: args.hostname,
        }
      : {}),
  });
  try {
    await c.start();
    let layers: string[];
    try {
      layers = await c.build(spec, { seed: args.seed, lr: args.lr });
    } catch (e) {
      err.write(`normscope ranks: ${(e as Error).message}\n`);
      return 2;
    }
    if (!args.json) {
      const where = multi
        ? `, node ${args.nodeRank}/${args.nodes} hosting ranks ${firstRank}..${firstRank + perNode - 1}`
        : '';
      out.write(
        `ranks: world ${args.world} (${args.backend}${where}), shards [${counts.join(', ')}], SyncBatchNorm layers: ${layers.join(', ') || 'none'}\n`,
      );
    }
    for (let step = 1; step <= args.steps; step++) {
      const fault =
        step === 1 && args.fault && args.fault.rank >= firstRank && args.fault.rank < firstRank + perNode
          ? args.fault
          : undefined;
      const rep = await c.step({ step, inputs, fault });
      if (!rep.ok) {
        err.write(`normscope ranks: ${rep.error}\n`);
        return 3;
      }
      const stats = layerStats(c.hostState!, layers);
      if (args.json) {
        out.write(
          JSON.stringify({ step, ranks: rep.ranks.map((r) => ({ rank: r.rank, count: r.count })), layers: stats }) +
            '\n',
        );
      } else {
        const ms = Math.max(...rep.ranks.map((r) => r.telemetry?.stepMs ?? 0));
        out.write(`step ${step} (${ms.toFixed(1)} ms)\n`);
        for (const l of stats) {
          const fmt = (v: number[] | null) => (v ? `[${v.map((n) => n.toPrecision(5)).join(', ')}]` : 'none');
          out.write(
            `  ${l.name}: running_mean ${fmt(l.runningMean)} running_var ${fmt(l.runningVar)} num_batches_tracked ${l.numBatchesTracked}\n`,
          );
        }
      }
    }
    return 0;
  } catch (e) {
    err.write(`normscope ranks: ${(e as Error).message}\n`);
    return 2;
  } finally {
    await c.stop();
  }
}

export const ranksCommand = {
  name: 'ranks',
  summary: 'run a stack as W SyncBatchNorm rank processes on a .npy batch and print per-step stats',
  usage: USAGE.replace(/^usage: /, ''),
  run: (argv: readonly string[]): Promise<number> => runRanks(argv),
};

export default ranksCommand;

// Run directly (`tsx app/cli/ranks.ts …`, `node dist/app/cli/ranks.js …`) as well as through the dispatcher.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void ranksCommand.run(process.argv.slice(2)).then((code) => process.exit(code));
}
