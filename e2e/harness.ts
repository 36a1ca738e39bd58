/**
 * A minimal e2e runner on playwright-core (no @playwright/test): starts `normscope serve` from the
 * build, launches Debian's Chromium headless, runs specs in order, saves a screenshot per spec (and on
 * failure) under e2e/artifacts/, and ends with `N passed, N failed`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ARTIFACTS = join(process.cwd(), 'e2e', 'artifacts');
export const CHROMIUM = process.env.NORMSCOPE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export interface Served {
  url: string;
  /** When the URL line appeared (performance.now()). */
  urlAt: number;
  proc: ChildProcess;
  startedAt: number;
  stop(): Promise<void>;
}

/** Starts the built `normscope serve --port 0` (with `env` added) and resolves when it prints its URL. */
export function startServe(env: Record<string, string> = {}): Promise<Served> {
  const startedAt = performance.now();
  const proc = spawn(process.execPath, [join('dist', 'app', 'cli', 'serve.js'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`normscope serve printed no URL in 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /serving at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          urlAt: performance.now(),
          proc,
          startedAt,
          stop: () =>
            new Promise<void>((r) => {
              if (proc.exitCode !== null) return r();
              proc.once('exit', () => r());
              proc.kill('SIGTERM');
            }),
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`normscope serve exited with ${code}:\n${out}`)));
  });
}

export interface World {
  served: Served;
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
  metrics: Record<string, string>;
  skipped: string[];
  userDataDir: string;
}

export async function launchWorld(): Promise<World> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Failure screenshots describe this run only.
  for (const f of readdirSync(ARTIFACTS)) if (f.startsWith('FAILED-')) rmSync(join(ARTIFACTS, f));
  // The browser is up first, so the startup metric measures the server and the window, not Chromium's launch.
  const userDataDir = mkdtempSync(join(tmpdir(), 'normscope-e2e-'));
  // A fresh --user-data-dir per run (playwright passes it through launchPersistentContext).
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
    colorScheme: 'dark',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const served = await startServe();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error' || isTokenPageRefusal(m.text(), m.location().url, served.url)) return;
    problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { served, context, page, problems, metrics: {}, skipped: [], userDataDir };
}

/**
 * A reload arrives without ?token= (the page took it out of the address bar), so the server answers the
 * document with its 403 token page, whose script retries with the token the tab keeps (app/server/pages.ts).
 * Chromium logs every non-2xx document as a console error; that one refusal of the token-less page itself
 * is the design, not a problem. Any other 403 (a resource, a wrong token) still counts.
 */
function isTokenPageRefusal(text: string, resourceUrl: string, servedUrl: string): boolean {
  if (!text.includes('status of 403')) return false;
  const page = new URL(servedUrl);
  const res = new URL(resourceUrl, page);
  return res.origin === page.origin && res.pathname === page.pathname && !res.searchParams.has('token');
}

export async function closeWorld(w: World): Promise<void> {
  await w.context.close().catch(() => undefined);
  await w.served.stop();
  rmSync(w.userDataDir, { recursive: true, force: true });
}

export interface Spec {
  name: string;
  run(w: World): Promise<void>;
}

export class SkipError extends Error {}

/** Marks the running spec as skipped, with the reason printed. */
export function skip(reason: string): never {
  throw new SkipError(reason);
}

export function expectTrue(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`expected: ${what}`);
}

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

export async function runSpecs(w: World, specs: Spec[]): Promise<{ passed: number; failed: number; skipped: number }> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const spec of specs) {
    const t0 = performance.now();
    try {
      await spec.run(w);
      passed++;
      console.log(`  ✓ ${spec.name} (${Math.round(performance.now() - t0)} ms)`);
    } catch (e) {
      if (e instanceof SkipError) {
        skipped++;
        console.log(`  - ${spec.name}: skipped: ${e.message}`);
        continue;
      }
      failed++;
      console.log(`  ✗ ${spec.name}\n    ${(e as Error).message.split('\n').join('\n    ')}`);
      await w.page.screenshot({ path: join(ARTIFACTS, `FAILED-${slug(spec.name)}.png`) }).catch(() => undefined);
    }
  }
  return { passed, failed, skipped };
}
