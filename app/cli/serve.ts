/**
 * `normscope serve [--port N] [--root DIR] [limits]`: browser mode. Starts the engine worker, serves the built renderer and
 * the contract on 127.0.0.1, prints the URL (with its token) and runs until Ctrl-C / SIGTERM.
 * --root confines every file the window opens or saves; the limit flags raise the budgets (limits.ts).
 * The CLI dispatcher (app/cli/main.ts) loads this command object by dynamic import.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHostWorker } from '../host/hostWorker.js';
import { startServer } from '../server/server.js';
import { DEFAULT_LIMITS, LIMIT_FLAGS, limitMessages, type ServerLimits } from '../server/limits.js';
import { resolveRoot } from '../server/rootConfine.js';
import type { StackBudget } from '../../engine/index.js';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';

/** The package root: the nearest folder above this file with a package.json (works from dist/ and from source). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
  return dir;
}

export interface ServeArgs {
  port: number;
  /** --root DIR: every open and save stays inside DIR (null: the whole filesystem of this user). */
  root: string | null;
  limits: Omit<ServerLimits, 'stack'>;
  stack: StackBudget;
}

const USAGE =
  'usage: normscope serve [--port N] [--root DIR] [--max-connections N] [--max-message-mib N] ' +
  '[--max-in-flight N] [--max-upload-mib N] [--max-parameters N] [--max-activation-mib N]';

/** Integer options: --name → [min, max, how the value lands in ServeArgs]. */
const INT_FLAGS: Record<string, [number, number, (a: ServeArgs, n: number) => void]> = {
  '--port': [0, 65535, (a, n) => (a.port = n)],
  [LIMIT_FLAGS.maxConnections]: [1, 100_000, (a, n) => (a.limits.maxConnections = n)],
  [LIMIT_FLAGS.maxMessageBytes]: [1, 1024, (a, n) => (a.limits.maxMessageBytes = n * 2 ** 20)],
  [LIMIT_FLAGS.maxInFlight]: [1, 10_000, (a, n) => (a.limits.maxInFlight = n)],
  [LIMIT_FLAGS.maxUploadBytes]: [1, 1 << 20, (a, n) => (a.limits.maxUploadBytes = n * 2 ** 20)],
  [LIMIT_FLAGS.maxParameters]: [1, 2 ** 40, (a, n) => (a.stack = { ...a.stack, maxParameters: n })],
  [LIMIT_FLAGS.maxActivationBytes]: [1, 2 ** 20, (a, n) => (a.stack = { ...a.stack, maxActivationBytes: n * 2 ** 20 })],
};

export function parseServeArgs(argv: readonly string[]): ServeArgs | { error: string } {
  const { stack, ...limits } = DEFAULT_LIMITS;
  const args: ServeArgs = { port: 0, root: null, limits: { ...limits }, stack: { ...stack } };
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv, [], ['root', ...Object.keys(INT_FLAGS).map((f) => f.slice(2))]);
  } catch (e) {
    if (e instanceof UsageError) return { error: `${e.message} (${USAGE})` };
    throw e;
  }
  if (parsed.positionals.length)
    return { error: `unexpected argument ${JSON.stringify(parsed.positionals[0])} (${USAGE})` };
  const root = parsed.options.get('root');
  if (root !== undefined) {
    if (!root) return { error: `--root needs a folder (${USAGE})` };
    args.root = root;
  }
  for (const [flag, [min, max, set]] of Object.entries(INT_FLAGS)) {
    const v = parsed.options.get(flag.slice(2));
    if (v === undefined) continue;
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      return { error: `${flag} must be an integer ${min}–${max} (got ${JSON.stringify(v)})` };
    set(args, n);
  }
  return args;
}

/** What the start message says about files: confined to the root, or reachable by whoever holds the token. */
export function filesNotice(root: string | null): string {
  return root
    ? `Files: opens and saves are confined to ${root} (--root).`
    : 'Files: anyone with this URL (the token) can open and save files as you, anywhere your user can; ' +
        'start with --root DIR to confine them to one folder.';
}

export const serveCommand = {
  name: 'serve',
  summary: 'serve the NormScope window in a browser (127.0.0.1, random token)',
  async run(argv: readonly string[]): Promise<number> {
    const args = parseServeArgs(argv);
    if ('error' in args) {
      process.stderr.write(`normscope serve: ${args.error}\n`);
      return 2;
    }
    const rendererDir = join(packageRoot(), 'dist', 'renderer');
    if (!existsSync(join(rendererDir, 'index.html'))) {
      process.stderr.write(
        `normscope serve: the window is not built (${rendererDir}/index.html missing); run \`npm run build\` first\n`,
      );
      return 2;
    }
    let root: string | null = null;
    if (args.root !== null) {
      try {
        root = await resolveRoot(args.root);
        if (!statSync(root).isDirectory()) throw new Error('not a folder');
      } catch (e) {
        process.stderr.write(`normscope serve: --root ${args.root}: ${(e as Error).message}\n`);
        return 2;
      }
    }
    const connection = await startHostWorker('browser', {
      stackBudget: args.stack,
      budgetHint: limitMessages.stackHint(),
    });
    let server;
    try {
      server = await startServer({ connection, rendererDir, port: args.port, limits: args.limits, root });
    } catch (e) {
      await connection.close();
      process.stderr.write(`normscope serve: cannot listen on 127.0.0.1:${args.port}: ${(e as Error).message}\n`);
      return 2;
    }
    process.stdout.write(
      `NormScope is serving at ${server.url}\n(open it in a browser on this machine, or forward the port over SSH; Ctrl-C stops)\n` +
        `${filesNotice(root)}\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    await connection.close();
    return 0;
  },
};

export default serveCommand;

// Run directly (`node dist/app/cli/serve.js`, `tsx app/cli/serve.ts`) as well as through the dispatcher.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void serveCommand.run(process.argv.slice(2)).then((code) => process.exit(code));
}
