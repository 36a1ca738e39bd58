#!/usr/bin/env node
// Checks the native addon AS PACKAGED: loads it from <resources>/app.asar.unpacked/native/... the way the
// packaged app does (process.resourcesPath), prints which backends are available, and runs BatchNorm2d
// train forward, backward and eval forward on the cpu and cuda backends against the TypeScript kernels.
//   npm run dist:dir   (or the package-content test's scratch output), then
//   node tools/packaged-addon-check.mjs release/linux-unpacked/resources
// Needs the engine built in dist/ (npm run build). Exit 1 when a native result differs from TypeScript
// by more than float32 rounding allows, or the addon was not loaded from the packaged place.
import path from 'node:path';

const resources = process.argv[2];
if (!resources) {
  console.error('usage: node tools/packaged-addon-check.mjs <app>/resources');
  process.exit(2);
}
process.resourcesPath = path.resolve(resources);
const nl = await import('../dist/engine/backend/nativeLoader.js');
const e = await import('../dist/engine/index.js');
const loaded = nl.loadAddon();
console.log(`node ${process.version}; addon: ${loaded.path ?? 'none'}${loaded.error ? ` (${loaded.error})` : ''}`);
const info = e.backendInfo();
for (const b of info.backends)
  console.log(`  ${b.name}: ${b.available ? `available ${b.device ?? ''}` : `unavailable: ${b.reason}`}`);

function run(backend) {
  e.setBackend(backend);
  e.manualSeed(0);
  const x = e.randn([64, 32, 16, 16], { requiresGrad: true });
  const bn = new e.BatchNorm2d(32);
  bn.train();
  const y = bn.forward(x);
  y.backward(e.randn([64, 32, 16, 16]));
  bn.eval();
  const z = bn.forward(x);
  return {
    y: y.data,
    runningVar: bn.runningVar.data,
    gradInput: x.grad.data,
    gradWeight: bn.weight.grad.data,
    eval: z.data,
  };
}
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

let bad = !loaded.path || !loaded.path.startsWith(path.join(process.resourcesPath, 'app.asar.unpacked'));
if (bad) console.log('FAIL: the addon was not loaded from app.asar.unpacked');
const ref = run('ts');
for (const b of info.backends.filter((s) => s.name !== 'ts' && s.available)) {
  const r = run(b.name);
  const diffs = Object.fromEntries(Object.keys(ref).map((k) => [k, maxDiff(r[k], ref[k])]));
  const ok = Object.values(diffs).every((d) => d < 1e-4);
  bad ||= !ok;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${b.name} vs ts, max |diff|: ${Object.entries(diffs)
      .map(([k, d]) => `${k} ${d.toExponential(2)}`)
      .join(', ')}`,
  );
}
process.exit(bad ? 1 : 0);
