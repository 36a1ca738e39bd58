/**
 * The e2e suite: browser mode against the built app in Debian's Chromium, then the Electron project.
 * Prints the measured numbers and a closing `N passed, N failed` line; exits non-zero on any failure.
 */
import { closeWorld, launchWorld, runSpecs, type World } from './harness.js';
import { coreSpecs } from './specs/core.js';
import { moreSpecs } from './specs/more.js';
import { fileSpecs } from './specs/files.js';
import { emulatedCudaSpecs } from './specs/emulatedCuda.js';
import { workbenchSpecs } from './specs/workbench.js';
import { modelSpecs } from './specs/models.js';
import { electronSpecs } from './electron.js';
import { closeDesktop, desktopSpecs } from './specs/desktop.js';
import { quitDesktop } from './standIn/desktop.js';

// `node e2e/run.mjs --only TEXT` runs the specs whose name contains TEXT (all projects).
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '') : null;
const pick = <T extends { name: string }>(specs: T[]): T[] =>
  only === null ? specs : specs.filter((s) => s.name.includes(only));

const t0 = performance.now();
let world: World | null = null;
let result = { passed: 0, failed: 0, skipped: 0 };
try {
  console.log('e2e — browser mode (Chromium, headless)');
  world = await launchWorld();
  // Specs after the first expect the window loaded; a filtered run loads it first.
  if (only !== null) await world.page.goto(world.served.url, { waitUntil: 'domcontentloaded' });
  const r1 = await runSpecs(
    world,
    pick([...coreSpecs, ...fileSpecs, ...moreSpecs, ...emulatedCudaSpecs, ...workbenchSpecs, ...modelSpecs]),
  );
  console.log('e2e — Electron');
  const r2 = await runSpecs(world, pick(electronSpecs));
  console.log('e2e — desktop app with Electron stood in (built main, preload and renderer)');
  const r3 = await runSpecs(world, pick(desktopSpecs));
  await closeDesktop();
  result = {
    passed: r1.passed + r2.passed + r3.passed,
    failed: r1.failed + r2.failed + r3.failed,
    skipped: r1.skipped + r2.skipped + r3.skipped,
  };
  console.log('\nmeasured:');
  for (const [k, v] of Object.entries(world.metrics)) console.log(`  ${k}: ${v}`);
} catch (e) {
  console.error(`e2e: could not run the suite: ${(e as Error).stack ?? e}`);
  result.failed++;
} finally {
  quitDesktop();
  if (world) await closeWorld(world);
}
console.log(
  `\nscreenshots: e2e/artifacts/ · ${result.skipped} skipped · ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
console.log(`${result.passed} passed, ${result.failed} failed`);
process.exit(result.failed > 0 ? 1 : 0);
