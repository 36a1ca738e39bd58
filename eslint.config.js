// ESLint flat config: TypeScript everywhere, with the layering rules of DESIGN.md, both ways:
//   renderer → app/shared ← app/{host,main,server,cli,ranks} → engine (through engine/index.ts only)
// The engine never imports app or renderer code and reaches Node only in its file adapters and backend
// loaders; app/shared reaches no Node module and, of the engine, only its dependency-free modules; the
// host never imports Electron or app/main; nothing imports in a cycle. tools/lintLayers.test.ts proves
// each rule fails on a deliberately wrong import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/** Engine modules that import nothing, which app/shared (and so the window) may re-export. */
const DEPENDENCY_FREE = [
  'engine/nn/layerSpec.ts',
  'engine/nn/bnDecision.ts',
  'engine/inspect/summaryTypes.ts',
  'engine/optim/defaults.ts',
];
/** The engine's only doors to Node: file adapters and native/wasm loaders. */
const ENGINE_NODE_DOORS = ['engine/io/fileAdapter.ts', 'engine/backend/nativeLoader.ts', 'engine/backend/wasmLoader.ts'];
/** Test-only code (tests and their helpers) may read fixtures from disk and reach internals. */
const TEST_ONLY = [
  '**/*.test.ts',
  '**/*.test.tsx',
  'engine/**/testing/**',
  'engine/io/testUtil.ts',
  'engine/nn/functional/opCases.ts',
  'engine/testing.ts',
];
const APP_OUTSIDE_SHARED = ['./app/host', './app/main', './app/server', './app/cli', './app/ranks', './app/preload'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', 'native/build/', 'native/gloo/build/', 'native/gpu-check/carry/', 'release/', 'coverage/', 'bench/results/', 'e2e/artifacts/', 'renderer/dist/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/app/**', 'electron', 'react', '**/renderer/**'], message: 'engine/ must not depend on app, renderer or electron code' }] }],
    },
  },
  // The layer arrows, checked on resolved paths (relative specifiers of any depth, .js for .ts).
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'], extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './engine', from: ['./app', './renderer'], message: 'the engine never imports app or renderer code' },
            { target: './app', from: './engine', except: ['./index.ts', ...DEPENDENCY_FREE.map((f) => './' + f.slice('engine/'.length))], message: 'the app reaches the engine through engine/index.ts (tests: engine/testing.ts)' },
            { target: './app/shared', from: APP_OUTSIDE_SHARED, message: 'app/shared is the contract: it imports no host, main, server, CLI or rank code' },
            { target: './app/shared', from: './engine', except: DEPENDENCY_FREE.map((f) => './' + f.slice('engine/'.length)), message: 'app/shared re-exports only the engine\'s dependency-free modules (the window loads it)' },
            { target: './app/host', from: './app/main', message: 'the host is runtime-agnostic: it never imports Electron main code' },
            { target: './renderer', from: ['./engine', ...APP_OUTSIDE_SHARED], message: 'the window talks only to app/shared' },
          ],
        },
      ],
    },
  },
  {
    files: TEST_ONLY.filter((g) => !g.startsWith('engine/')),
    rules: {
      // Tests reach internals through engine/testing.ts as well as engine/index.ts.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './engine', from: ['./app', './renderer'], message: 'the engine never imports app or renderer code' },
            { target: './app', from: './engine', except: ['./index.ts', './testing.ts', ...DEPENDENCY_FREE.map((f) => './' + f.slice('engine/'.length))], message: 'app tests reach the engine through engine/index.ts and engine/testing.ts' },
            { target: './app/host', from: './app/main', message: 'the host never imports Electron main code' },
            { target: './renderer', from: ['./engine', ...APP_OUTSIDE_SHARED], message: 'the window talks only to app/shared' },
          ],
        },
      ],
    },
  },
  {
    files: ['engine/**/*.ts'],
    ignores: [...ENGINE_NODE_DOORS, ...TEST_ONLY],
    plugins: { 'import-x': importX },
    rules: { 'import-x/no-nodejs-modules': ['error'] },
  },
  {
    files: DEPENDENCY_FREE,
    rules: {
      'no-restricted-syntax': ['error', { selector: 'ImportDeclaration, ExportAllDeclaration, ExportNamedDeclaration[source]', message: 'a dependency-free module (app/shared re-exports it to the window) imports nothing' }],
    },
  },
  {
    files: ['app/shared/**/*.ts'],
    plugins: { 'import-x': importX },
    rules: { 'import-x/no-nodejs-modules': ['error'], 'no-restricted-imports': ['error', { patterns: [{ group: ['electron'], message: 'app/shared is plain TypeScript the window can load' }] }] },
  },
  {
    files: ['app/host/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['electron', 'electron/*'], message: 'the host is runtime-agnostic: Electron belongs to app/main' }] }] },
  },
  {
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/**', 'node:*', 'electron', '**/app/host/**', '**/app/main/**', '**/app/server/**'], message: 'the renderer talks only to app/shared through its client module' }] }],
    },
  },
);
