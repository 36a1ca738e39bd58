/**
 * `normscope`: the command-line entry. Each subcommand lives in its own file exporting a Command
 * (default export) and is loaded lazily by dynamic import, so `normscope inspect` never loads the
 * server or the rank machinery. `serve`, `ranks` and `bench` come from other parts of the app and
 * may be absent from a build; asking for one then says so clearly.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from './command.js';

interface Entry {
  file: string;
  summary: string;
}

/** Subcommand → module file next to this one (.js when compiled, .ts when run through tsx). */
export const COMMANDS: Record<string, Entry> = {
  inspect: { file: 'inspect', summary: 'tensors, state dicts, BatchNorm layers and their health in a checkpoint' },
  diff: { file: 'diff', summary: 'compare two checkpoints (exit 1 when they differ)' },
  migrate: { file: 'migrate', summary: 'strip wrapper prefixes, migrate BatchNorm state versions' },
  convert: { file: 'convert', summary: 'convert between torch.save and safetensors' },
  serve: { file: 'serve', summary: 'serve the NormScope window in a browser (127.0.0.1)' },
  ranks: { file: 'ranks', summary: 'run SyncBatchNorm ranks as real processes' },
  model: { file: 'model', summary: 'a PyTorch model exported to ONNX: inspect, run, recalibrate BatchNorm, train' },
  bench: { file: 'bench', summary: 'benchmark the engine backends against PyTorch' },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: normscope <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([k, e]) => `  ${k.padEnd(width)}  ${e.summary}`),
    '',
    'Exit codes: 0 success, 1 differences found (diff), 2 refused or malformed input, 3 a step failed on the ranks (ranks).',
    "Run 'normscope <command> --help' for a command's options.",
    '',
  ].join('\n');
}

/** Finds the module of a subcommand, or null when this build does not include it. */
function moduleUrl(file: string): string | null {
  for (const ext of ['.js', '.ts']) {
    const url = new URL(`./${file}${ext}`, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url.href;
  }
  return null;
}

export async function loadCommand(name: string): Promise<Command | string> {
  const entry = COMMANDS[name];
  if (!entry) return `unknown command '${name}'`;
  const url = moduleUrl(entry.file);
  if (!url) return `'${name}' is not available in this build (app/cli/${entry.file}.ts is missing)`;
  const mod = (await import(url)) as { default?: Command };
  if (!mod.default || typeof mod.default.run !== 'function')
    return `'${name}' (app/cli/${entry.file}) does not export a command`;
  return mod.default;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write('normscope 0.1.0\n');
    return 0;
  }
  const cmd = await loadCommand(name);
  if (typeof cmd === 'string') {
    process.stderr.write(`normscope: ${cmd}\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.summary}\nusage: ${cmd.usage ?? `normscope ${name} …`}\n`);
    return 0;
  }
  return cmd.run(rest);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`normscope: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
