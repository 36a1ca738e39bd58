// ESLint flat config: TypeScript everywhere, with the layering rules of DESIGN.md
// (the engine never imports app code; the renderer never imports engine or Node code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
  {
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/**', 'node:*', 'electron', '**/app/host/**', '**/app/main/**', '**/app/server/**'], message: 'the renderer talks only to app/shared through its client module' }] }],
    },
  },
);
