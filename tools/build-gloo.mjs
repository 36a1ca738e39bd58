#!/usr/bin/env node
// Builds native/gloo (normscope_gloo.node, the `gloo` process-group backend) with node-gyp.
// Exits non-zero with the reason when libgloo (Debian libgloo-dev), a C++ compiler or the Node
// headers are missing; the `ipc` backend works without it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'native', 'gloo');
const fail = (why) => {
  console.error(`build-gloo: ${why}`);
  process.exit(1);
};

const cxx = process.env.CXX || 'g++';
if (spawnSync(cxx, ['--version']).status !== 0) fail(`no C++ compiler (${cxx}); install g++ (apt-get install g++)`);
const headers = ['/usr/include/gloo/allgather.h', '/usr/local/include/gloo/allgather.h'];
if (!headers.some((h) => existsSync(h))) fail('libgloo headers not found (apt-get install libgloo-dev)');
// Link check: a tiny program against -lgloo proves the library is there before node-gyp runs.
const probe = spawnSync(cxx, ['-x', 'c++', '-', '-lgloo', '-o', '/dev/null'], {
  input: '#include <gloo/rendezvous/context.h>\nint main(){ gloo::rendezvous::Context c(0, 1); return c.size - 1; }\n',
});
if (probe.status !== 0) fail(`cannot link against libgloo (-lgloo): ${String(probe.stderr).trim().split('\n').slice(-3).join(' ')}`);

const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  fail('node-gyp is not installed (npm ci)');
}
const args = [gyp, 'rebuild', '--directory', dir];
// Offline machines: use the system's Node headers when node-gyp has none cached.
if (existsSync('/usr/include/node/node_api.h') && existsSync('/usr/include/node/common.gypi')) args.push('--nodedir=/usr');
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (r.status !== 0) fail(`node-gyp failed (exit ${r.status})`);
const out = path.join(dir, 'build', 'Release', 'normscope_gloo.node');
if (!existsSync(out)) fail(`node-gyp finished but ${out} is missing`);
console.log(`build-gloo: built ${path.relative(root, out)}`);
