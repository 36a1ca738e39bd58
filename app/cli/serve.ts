/**
 * `normscope serve [--port N]`: browser mode. Starts the engine worker, serves the built renderer and
 * the contract on 127.0.0.1, prints the URL (with its token) and runs until Ctrl-C / SIGTERM.
 * The CLI dispatcher (app/cli/main.ts) loads this command object by dynamic import.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHostWorker } from '../host/hostWorker.js';
import { startServer } from '../server/server.js';

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

export function parseServeArgs(argv: readonly string[]): { port: number } | { error: string } {
  let port = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a.startsWith('--port=') ? a.slice(7) : a === '--port' ? argv[++i] : undefined;
    if (v !== undefined) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535)
        return { error: `--port must be an integer 0–65535 (got ${JSON.stringify(v)})` };
      port = n;
    } else return { error: `unknown option ${JSON.stringify(a)} (usage: normscope serve [--port N])` };
  }
  return { port };
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
    const connection = await startHostWorker('browser');
    let server;
    try {
      server = await startServer({ connection, rendererDir, port: args.port });
    } catch (e) {
      await connection.close();
      process.stderr.write(`normscope serve: cannot listen on 127.0.0.1:${args.port}: ${(e as Error).message}\n`);
      return 2;
    }
    process.stdout.write(
      `NormScope is serving at ${server.url}\n(open it in a browser on this machine, or forward the port over SSH; Ctrl-C stops)\n`,
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
