/**
 * SyncBatchNorm ranks as real processes: the coordinator the host (app/host), the CLI and the bench
 * use, and what they need to know about the backends.
 */
export { RankCoordinator } from './coordinator.js';
export type { CoordinatorOptions, StepRequest, StepReport, RankStepReport } from './coordinator.js';
export type { RankSpawner, UtilityFork, Liveness } from './rankProcess.js';
export { glooAvailability } from './glooAddon.js';
export { TcpStoreServer } from './tcpStore.js';
export { readNpy, writeNpy, NpyError } from './npy.js';
export type { NpyArray } from './npy.js';
export { stateHash, stateToWire, stateFromWire, toWire, fromWire } from './wire.js';
export type {
  FaultPlan,
  RawOp,
  WireTensor,
  WireState,
  RankTelemetry,
  LayerTelemetry,
  CollectiveTiming,
  StepOutputs,
} from './protocol.js';
