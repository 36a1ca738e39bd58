/**
 * The engine as tests see it: the public API (index.ts) plus the internals tests drive directly
 * (pickle assembly for hostile files, collective call counters, transfer counters, fixture paths).
 * Only tests import this file (eslint.config.js).
 */
export * from './index.js';
export { CallCounter } from './dist/collectiveCall.js';
export { DEFAULT_BUDGETS, EXPANSION_SLACK } from './io/budgets.js';
export { PickleAsm } from './io/pickleAsm.js';
export { OP } from './io/pickleOps.js';
export { corpusFile, tempDir } from './io/testUtil.js';
export { transfersBetween } from './tensor/device.js';
export type { TransferCounts } from './tensor/device.js';
