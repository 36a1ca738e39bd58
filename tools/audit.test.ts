/**
 * The audit catches what it is there to catch (an insecure BrowserWindow, a missing navigation guard),
 * only an allow-list entry with a reason explains a finding, and the project's allow-list is well formed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ALLOWLIST_PATH, classify, readAllowlist, scan, stageSources, type Finding } from './audit.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'normscope-audit-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function finding(check: string, severity: Finding['severity'], file: string, sample = ''): Finding {
  return {
    check,
    severity,
    confidence: 'CERTAIN',
    file,
    line: 1,
    column: 0,
    sample,
    description: '',
    manualReview: false,
  };
}

describe('electronegativity scan', () => {
  it('flags an insecure window, an http:// load and missing navigation limits, and parses TypeScript', async () => {
    const dir = join(scratch, 'insecure');
    mkdirSync(join(dir, 'app', 'main'), { recursive: true });
    writeFileSync(
      join(dir, 'app', 'main', 'window.ts'),
      [
        "import { BrowserWindow } from 'electron';",
        'type Opts = { width: number };',
        'export function open(o: Opts): BrowserWindow {',
        '  const w = new BrowserWindow({ width: o.width, webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });',
        "  w.loadURL('http://example.com/');",
        '  return w;',
        '}',
        '',
      ].join('\n'),
    );
    const { findings, errors } = await scan(dir, '41.7.2');
    expect(errors.filter((e) => !e.tolerable)).toEqual([]);
    const checks = new Set(findings.map((f) => f.check));
    for (const c of [
      'CONTEXT_ISOLATION_JS_CHECK',
      'SANDBOX_JS_CHECK',
      'HTTP_RESOURCES_JS_CHECK',
      'LIMIT_NAVIGATION_GLOBAL_CHECK',
    ]) {
      expect(checks, c).toContain(c);
    }
    const isolation = findings.find((f) => f.check === 'CONTEXT_ISOLATION_JS_CHECK');
    expect(isolation).toMatchObject({ file: 'app/main/window.ts', line: 4, severity: 'HIGH' });
    expect(classify(findings, []).blocking.length).toBeGreaterThanOrEqual(4);
  }, 60_000);
});

describe("the project's app sources", () => {
  it('have no unexplained HIGH or MEDIUM finding and no file the scanner cannot parse (= npm run audit)', async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const { stage, files } = stageSources(root);
    try {
      expect(files.some((f) => f.startsWith('app/main/'))).toBe(true);
      const version = (
        JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }
      ).version;
      const { findings, errors } = await scan(stage, version);
      const { blocking, stale } = classify(findings, readAllowlist());
      expect(blocking.map((f) => `${f.severity} ${f.check} ${f.file}:${f.line}`)).toEqual([]);
      // No entry for a check the code satisfies: every entry explains a finding at its line.
      expect(stale.map((e) => `${e.check} ${e.file}:${e.line}`)).toEqual([]);
      // The window's webPreferences are literal and complete: nothing about them is left to explain.
      const windowChecks = /^(NODE_INTEGRATION|CONTEXT_ISOLATION|SANDBOX|AUXCLICK|REMOTE_MODULE)/;
      expect(findings.filter((f) => windowChecks.test(f.check)).map((f) => `${f.check} ${f.file}:${f.line}`)).toEqual(
        [],
      );
      expect(errors.filter((e) => !e.tolerable).map((e) => `${e.file}: ${e.message}`)).toEqual([]);
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('allow-list', () => {
  it('explains a finding only by check, file, line and (when given) sample text', () => {
    const findings = [
      finding('CSP_GLOBAL_CHECK', 'LOW', 'app/server/server.ts'),
      finding('OPEN_EXTERNAL_JS_CHECK', 'MEDIUM', 'app/main/links.ts', 'shell.openExternal(url)'),
      finding('OPEN_EXTERNAL_JS_CHECK', 'MEDIUM', 'app/main/other.ts', 'shell.openExternal(x)'),
      finding('SANDBOX_JS_CHECK', 'HIGH', 'app/main/window.ts', 'sandbox: false'),
    ];
    const allow = [
      {
        check: 'OPEN_EXTERNAL_JS_CHECK',
        file: 'app/main/links.ts',
        line: 1,
        contains: 'openExternal(url)',
        reason: 'url is checked against https:// allow-list first',
      },
      {
        check: 'SANDBOX_JS_CHECK',
        file: 'app/main/window.ts',
        line: 1,
        contains: 'sandbox: true',
        reason: 'text does not match, must not explain',
      },
      {
        check: 'NODE_INTEGRATION_JS_CHECK',
        file: 'app/main/gone.ts',
        line: 1,
        reason: 'a finding that no longer exists',
      },
      {
        check: 'OPEN_EXTERNAL_JS_CHECK',
        file: 'app/main/other.ts',
        line: 7,
        reason: 'right check and file, wrong line',
      },
    ];
    const r = classify(findings, allow);
    expect(r.explained.map((f) => f.file)).toEqual(['app/main/links.ts']);
    expect(r.blocking.map((f) => f.file)).toEqual(['app/main/other.ts', 'app/main/window.ts']);
    expect(r.unexplained).toHaveLength(3);
    expect(r.stale.map((e) => e.file)).toEqual(['app/main/window.ts', 'app/main/gone.ts', 'app/main/other.ts']);
  });

  it('rejects entries without a real reason', () => {
    const bad = join(scratch, 'bad-allowlist.json');
    writeFileSync(bad, JSON.stringify({ entries: [{ check: 'X', file: 'a.ts', line: 3, reason: 'ok' }] }));
    expect(() => readAllowlist(bad)).toThrow(/needs a real reason/);
    writeFileSync(bad, JSON.stringify({ entries: [{ check: 'X', reason: 'a perfectly long reason here' }] }));
    expect(() => readAllowlist(bad)).toThrow(/needs a non-empty "file"/);
    writeFileSync(
      bad,
      JSON.stringify({ entries: [{ check: 'X', file: 'a.ts', reason: 'a perfectly long reason here' }] }),
    );
    expect(() => readAllowlist(bad)).toThrow(/needs the "line" of the finding/);
  });

  it("the project's allow-list is well formed", () => {
    expect(() => readAllowlist(ALLOWLIST_PATH)).not.toThrow();
  });
});

describe('staging', () => {
  it('scans sources and leaves tests and build output out', () => {
    const proj = join(scratch, 'proj');
    for (const f of [
      'app/main/main.ts',
      'app/main/main.test.ts',
      'renderer/index.html',
      'renderer/src/App.tsx',
      'renderer/dist/x.js',
      'app/ranks/fixtures/a.json',
    ]) {
      mkdirSync(join(proj, f, '..'), { recursive: true });
      writeFileSync(join(proj, f), '// x\n');
    }
    const { stage, files } = stageSources(proj);
    rmSync(stage, { recursive: true, force: true });
    expect(files.sort()).toEqual(['app/main/main.ts', 'renderer/index.html', 'renderer/src/App.tsx']);
  });
});
