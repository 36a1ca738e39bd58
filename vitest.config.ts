import { defineConfig } from 'vitest/config';

// Unit and parity tests sit next to the code they test (`*.test.ts`).
// e2e/ has its own runner (Playwright through playwright-core), started by tools/run-tests.mjs.
// `*.emu.test.ts` run only in the emulated-CUDA stage of tools/run-tests.mjs (NORMSCOPE_CUDA_EMU_STAGE=1,
// with the emulator's addon loaded).
const emuStage = !!process.env.NORMSCOPE_CUDA_EMU_STAGE;
export default defineConfig({
  test: {
    include: [
      'engine/**/*.test.ts',
      'app/**/*.test.ts',
      'renderer/**/*.test.ts',
      'renderer/**/*.test.tsx',
      'bench/**/*.test.ts',
      'tools/**/*.test.ts',
      'native/gpu-check/*.test.ts',
      'native/cuda-emu/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**', ...(emuStage ? [] : ['**/*.emu.test.ts'])],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
