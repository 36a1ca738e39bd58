/**
 * The layer rules of eslint.config.js fail on a deliberately wrong import in each direction of
 * DESIGN.md's arrows (and on a cycle), and accept the right ones: each probe is linted as if it were
 * a file at that place in the tree.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return r!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const refused = async (filePath: string, spec: string, rule: RegExp) => {
  const p = await problems(filePath, `import { x } from '${spec}';\nexport const y = x;\n`);
  expect(
    p.some((m) => rule.test(m)),
    `${filePath} importing ${spec}: ${p.join(' | ')}`,
  ).toBe(true);
};
const accepted = async (filePath: string, spec: string) => {
  const p = await problems(filePath, `import { x } from '${spec}';\nexport const y = x;\n`);
  expect(
    p.filter((m) => /no-restricted|no-nodejs|no-cycle/.test(m)),
    `${filePath} importing ${spec}`,
  ).toEqual([]);
};

describe('lint enforces the layer arrows', () => {
  it('the engine never imports app or renderer code, and Node only at its doors', async () => {
    await refused('engine/nn/probe.ts', '../../app/host/session.js', /no-restricted-paths.*never imports app/);
    await refused('engine/nn/probe.ts', '../../renderer/src/App.js', /no-restricted-paths/);
    await refused('engine/nn/probe.ts', 'node:fs', /import-x\/no-nodejs-modules/);
    await refused('engine/tensor/probe.ts', 'fs', /import-x\/no-nodejs-modules/);
    await accepted('engine/io/fileAdapter.ts', 'node:fs');
    await refused('engine/nn/layerSpec.ts', './module.js', /no-restricted-syntax.*dependency-free/);
  });

  it('the app reaches the engine through engine/index.ts only (tests also engine/testing.ts)', async () => {
    await refused('app/host/probe.ts', '../../engine/tensor/tensor.js', /no-restricted-paths.*engine\/index\.ts/);
    await refused('app/cli/probe.ts', '../../engine/io/index.js', /no-restricted-paths/);
    await accepted('app/host/probe.ts', '../../engine/index.js');
    await refused('app/host/probe.ts', '../../engine/testing.js', /no-restricted-paths/);
    await accepted('app/host/probe.test.ts', '../../engine/testing.js');
    await accepted('app/shared/probe.ts', '../../engine/nn/layerSpec.js');
    await refused('app/shared/probe.ts', '../../engine/index.js', /no-restricted-paths/);
  });

  it('app/shared is the contract: no Node, no Electron, no host', async () => {
    await refused('app/shared/probe.ts', 'node:path', /import-x\/no-nodejs-modules/);
    await refused('app/shared/probe.ts', 'electron', /no-restricted-imports/);
    await refused('app/shared/probe.ts', '../host/session.js', /no-restricted-paths.*contract/);
  });

  it('the host never imports Electron or app/main', async () => {
    await refused('app/host/probe.ts', 'electron', /no-restricted-imports.*runtime-agnostic/);
    await refused('app/host/probe.ts', '../main/persist.js', /no-restricted-paths.*Electron main/);
    await accepted('app/main/probe.ts', '../host/handlers.js');
  });

  it('the window talks only to app/shared', async () => {
    await refused('renderer/src/probe.ts', '../../engine/index.js', /no-restricted/);
    await refused('renderer/src/probe.ts', '../../app/host/handlers.js', /no-restricted/);
    await refused('renderer/src/probe.ts', 'node:fs', /no-restricted-imports/);
    await accepted('renderer/src/probe.ts', '../../app/shared/contract.js');
  });

  describe('no import cycles', () => {
    const dir = join(process.cwd(), 'tools', `lint-cycle-probe-${process.pid}`);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses two modules importing each other', async () => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = () => b;\n");
      writeFileSync(join(dir, 'b.ts'), "import { a } from './a.js';\nexport const b = () => a;\n");
      const [r] = await eslint.lintFiles([join(dir, 'a.ts')]);
      expect(r!.messages.map((m) => m.ruleId)).toContain('import-x/no-cycle');
    });
  });
});
