#!/usr/bin/env node
// `npm run audit`: Electronegativity (Doyensec's Electron security scanner) over the app sources
// (app/ and renderer/, tests left out), with every HIGH or MEDIUM finding either fixed or explained in
// tools/audit-allowlist.json (check id + file + line + a reason). Exit 1 on an unexplained HIGH/MEDIUM
// finding, on a file the scanner could not parse (it would not have been audited), when nothing was
// scanned, or on an allow-list entry that matches no finding: an entry may only explain a real false
// positive at one place, never stand in for a check the code satisfies (or once failed, elsewhere).
//
// The scan is offline and deterministic: Electronegativity's network lookups (translations from GitHub,
// the list of Electron releases for AVAILABLE_SECURITY_FIXES) are cut off; the Electron version is taken
// from node_modules/electron instead of being guessed.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ALLOWLIST_PATH = join(ROOT, 'tools', 'audit-allowlist.json');
export const SCANNED_ROOTS = ['app', 'renderer'];
const SOURCE_FILE = /\.(ts|tsx|js|jsx|mjs|cjs|html|json)$/;
const SKIPPED = /(\.test\.|\.spec\.|(^|\/)(node_modules|dist|fixtures)(\/|$)|(^|\/)tsconfig[^/]*\.json$)/;
/** Needs the network and answers a release-management question (we pin one Electron version). */
const EXCLUDED_CHECKS = ['availablesecurityfixesglobalcheck'];

const require = createRequire(import.meta.url);

/** Loads Electronegativity's runner with its HTTP client replaced by one that always fails (no network). */
function loadRunner() {
  const runnerPath = require.resolve('@doyensec/electronegativity/dist/runner.js');
  const fromPkg = createRequire(runnerPath);
  const gotPath = fromPkg.resolve('got');
  const offline = () => Promise.reject(new Error('network disabled by tools/audit.mjs'));
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: offline, children: [], paths: [] };
  return require(runnerPath);
}

/** Copies the scanned sources (no tests, no build output) into a scratch folder, keeping their paths. */
export function stageSources(projectDir, roots = SCANNED_ROOTS) {
  const stage = mkdtempSync(join(tmpdir(), 'normscope-audit-'));
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const rel = relative(projectDir, abs).split(sep).join('/');
      if (SKIPPED.test(rel)) continue;
      if (statSync(abs).isDirectory()) walk(abs);
      else if (SOURCE_FILE.test(name)) {
        cpSync(abs, join(stage, rel));
        files.push(rel);
      }
    }
  };
  for (const r of roots) if (existsSync(join(projectDir, r))) walk(join(projectDir, r));
  return { stage, files };
}

/** Runs Electronegativity over `dir`; returns plain findings and parse errors. */
export async function scan(dir, electronVersion) {
  const run = loadRunner();
  const result = await run(
    {
      input: dir,
      electronVersionOverride: electronVersion,
      excludeFromScan: EXCLUDED_CHECKS,
      isRelative: true,
      parserPlugins: [],
    },
    false,
  );
  const findings = result.issues.map((i) => ({
    check: i.id,
    severity: i.severity.name,
    confidence: i.confidence.name,
    file: i.file === 'N/A' ? 'N/A' : i.file.split(sep).join('/'),
    line: i.location.line,
    column: i.location.column,
    sample: (i.sample ?? '').toString().slice(0, 160),
    description: i.description,
    manualReview: i.manualReview === true,
  }));
  const errors = result.errors.map((e) => ({
    file: relative(dir, e.file),
    message: e.message,
    tolerable: e.tolerable,
  }));
  return { findings, errors, checks: result.globalChecks + result.atomicChecks };
}

/**
 * Reads and validates the allow-list: each entry names a check, a file ('N/A' for global checks), the
 * line of the finding (0 with 'N/A') and why.
 */
export function readAllowlist(path = ALLOWLIST_PATH) {
  const data = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(data.entries)) throw new Error(`${path}: expected { "entries": [...] }`);
  data.entries.forEach((e, i) => {
    for (const k of ['check', 'file', 'reason']) {
      if (typeof e[k] !== 'string' || e[k].trim() === '')
        throw new Error(`${path}: entry ${i} needs a non-empty "${k}"`);
    }
    if (!Number.isInteger(e.line) || e.line < 0)
      throw new Error(`${path}: entry ${i} (${e.check}) needs the "line" of the finding it explains`);
    if (e.reason.trim().length < 20) throw new Error(`${path}: entry ${i} (${e.check}) needs a real reason`);
  });
  return data.entries;
}

/**
 * Splits findings into explained and unexplained ones. An entry explains a finding with the same check,
 * file and line, and (when the entry has `contains`) whose sample contains that text. Entries that
 * explain nothing are `stale` (the audit fails on them).
 */
export function classify(findings, allowlist) {
  const used = new Set();
  const explained = [];
  const unexplained = [];
  for (const f of findings) {
    const idx = allowlist.findIndex(
      (e) =>
        e.check === f.check &&
        e.file === f.file &&
        e.line === f.line &&
        (e.contains === undefined || f.sample.includes(e.contains)),
    );
    if (idx >= 0) {
      used.add(idx);
      explained.push({ ...f, reason: allowlist[idx].reason });
    } else unexplained.push(f);
  }
  const blocking = unexplained.filter((f) => f.severity === 'HIGH' || f.severity === 'MEDIUM');
  const stale = allowlist.filter((_, i) => !used.has(i));
  return { explained, unexplained, blocking, stale };
}

function electronVersion() {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
}

async function main() {
  const { stage, files } = stageSources(ROOT);
  try {
    if (files.length === 0) {
      console.error('audit: no app sources found under app/ or renderer/');
      process.exitCode = 1;
      return;
    }
    const version = electronVersion();
    const { findings, errors, checks } = await scan(stage, version);
    const { explained, unexplained, blocking, stale } = classify(findings, readAllowlist());
    console.log(
      `Electronegativity: ${checks} checks, Electron ${version}, ${files.length} files from ${SCANNED_ROOTS.join('/, ')}/`,
    );
    const show = (f) =>
      `${f.severity.padEnd(13)} ${f.check} ${f.file}:${f.line}:${f.column}${f.sample ? `  ${f.sample.split('\n')[0]}` : ''}`;
    for (const f of explained) console.log(`explained     ${show(f)}\n              -> ${f.reason}`);
    for (const f of unexplained) console.log(`${blocking.includes(f) ? 'UNEXPLAINED  ' : 'note         '} ${show(f)}`);
    for (const e of stale)
      console.log(
        `STALE allow-list entry (no such finding at ${e.file}:${e.line}; fixed, or the line moved): ${e.check}`,
      );
    const fatal = errors.filter((e) => !e.tolerable);
    for (const e of errors) console.log(`${e.tolerable ? 'parse warning' : 'NOT PARSED'}    ${e.file}: ${e.message}`);
    console.log(
      `audit: ${findings.length} findings, ${explained.length} explained, ${blocking.length} unexplained HIGH/MEDIUM, ` +
        `${unexplained.length - blocking.length} low/informational, ${fatal.length} unparsed files, ` +
        `${stale.length} stale allow-list entries`,
    );
    if (blocking.length > 0 || fatal.length > 0 || stale.length > 0) process.exitCode = 1;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
