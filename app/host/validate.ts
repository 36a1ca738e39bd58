/**
 * Payload validation for every contract method. The host never trusts what crosses the boundary:
 * Electron IPC handlers and the WebSocket server both run these before any handler sees a payload.
 * A bad payload is refused with a PayloadError naming the method and the field.
 */
import { isMethodName, unknownMethodMessage, type MethodName } from '../shared/contract.js';
import { BACKEND_CHOICES, LOSSES, stackSpecProblem } from '../../engine/index.js';
import {
  DIM_DOMAIN,
  domainProblem,
  MODEL_DOMAINS,
  RANK_DOMAINS,
  SEED_DOMAIN,
  STEP_DOMAINS,
  type NumericDomain,
} from '../shared/numeric.js';

export class PayloadError extends Error {
  override name = 'PayloadError';
}

/** Returns a problem (with the path of the field) or null. */
type Check = (v: unknown, at: string) => string | null;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

const num =
  (d: NumericDomain = {}): Check =>
  (v, at) =>
    domainProblem(v, { ...d, nullable: false }, at);
const str =
  (max = 4096): Check =>
  (v, at) =>
    typeof v !== 'string' ? `${at} must be a string` : v.length > max ? `${at} is too long` : null;
const bool: Check = (v, at) => (typeof v === 'boolean' ? null : `${at} must be true or false`);
const oneOf =
  (...vals: readonly string[]): Check =>
  (v, at) =>
    typeof v === 'string' && vals.includes(v) ? null : `${at} must be one of ${vals.join(', ')}`;
const nullable =
  (c: Check): Check =>
  (v, at) =>
    v === null ? null : c(v, at);
/** A field that may be left out (undefined); given, it must pass `c`. */
const optional =
  (c: Check): Check =>
  (v, at) =>
    v === undefined ? null : c(v, at);
const arr =
  (c: Check, max = 64): Check =>
  (v, at) => {
    if (!Array.isArray(v)) return `${at} must be a list`;
    if (v.length > max) return `${at} has more than ${max} items`;
    for (let i = 0; i < v.length; i++) {
      const p = c(v[i], `${at}[${i}]`);
      if (p) return p;
    }
    return null;
  };
const obj =
  (fields: Record<string, Check>): Check =>
  (v, at) => {
    if (!isObj(v)) return `${at} must be an object`;
    // Own keys only: `k in fields` would accept "constructor", "toString", "__proto__" (from Object.prototype).
    for (const k of Object.keys(v)) if (!Object.hasOwn(fields, k)) return `${at}.${k} is not an accepted field`;
    for (const [k, c] of Object.entries(fields)) {
      const p = c(v[k], at ? `${at}.${k}` : k);
      if (p) return p;
    }
    return null;
  };

const dim = num(DIM_DOMAIN);
const shape = arr(dim, 6);
const jobId = str(64);
const empty = obj({});

// The stack spec's one validator (engine/nn/layerSpec.ts: every layer type, option and bound).
const spec: Check = (v, at) => stackSpecProblem(v, at);

export const PAYLOAD_CHECKS: Record<MethodName, Check> = {
  'app.info': empty,
  'job.cancel': obj({ jobId }),
  'files.choose': obj({ purpose: oneOf('open', 'save') }),
  'stack.validate': obj({ spec, inputShape: shape }),
  'stack.build': obj({ spec, inputShape: shape, seed: num(SEED_DOMAIN) }),
  'stack.previewSync': obj({ spec }),
  'stack.convertSync': empty,
  'step.state': empty,
  'step.setInput': obj({
    shape,
    distribution: oneOf('normal', 'uniform'),
    mean: num(),
    std: num(STEP_DOMAINS.std),
    channelShift: num(),
    seed: num(SEED_DOMAIN),
  }),
  'step.setMode': obj({ training: bool }),
  'step.forward': empty,
  'step.train': obj({ lr: num(STEP_DOMAINS.lr) }),
  'step.run': obj({
    jobId,
    steps: num(STEP_DOMAINS.steps),
    lr: num(STEP_DOMAINS.lr),
    train: bool,
  }),
  'step.reset': obj({ what: oneOf('stats', 'params', 'all') }),
  'step.snapshot': empty,
  'step.rollback': empty,
  'step.compare': empty,
  'inspect.layer': obj({ path: str(512) }),
  'stateDict.view': empty,
  'stateDict.export': obj({ path: str(), format: oneOf('pt', 'safetensors') }),
  'stateDict.previewLoad': obj({ checkpointId: str(64), stateDictPath: str(512) }),
  'stateDict.load': obj({ checkpointId: str(64), stateDictPath: str(512), strict: bool }),
  'checkpoint.open': obj({ path: str(), jobId, tensorsOnly: bool }),
  'checkpoint.tensors': obj({
    id: str(64),
    offset: num({ int: true, min: 0 }),
    limit: num({ int: true, min: 1, max: 5000 }),
    filter: str(256),
  }),
  'checkpoint.buildStack': obj({ id: str(64) }),
  'checkpoint.close': obj({ id: str(64) }),
  'diff.run': obj({ a: str(), b: str(), stripPrefix: nullable(str(256)), jobId }),
  'ranks.start': obj({
    worldSize: num(RANK_DOMAINS.worldSize),
    shards: arr(num(RANK_DOMAINS.shard), 16),
    subgroups: arr(arr(num(RANK_DOMAINS.rank), 16), 16),
  }),
  'ranks.step': empty,
  'ranks.kill': obj({ rank: num(RANK_DOMAINS.rank) }),
  'ranks.restart': empty,
  'ranks.stop': empty,
  'ranks.state': empty,
  'backend.info': empty,
  'backend.set': obj({ name: oneOf(...BACKEND_CHOICES) }),
  'backend.bench': obj({ jobId }),
  'model.open': obj({ path: str(), jobId }),
  'model.weights': obj({ path: str() }),
  'model.setInput': obj({
    path: nullable(str()),
    batch: num(MODEL_DOMAINS.batch),
    seed: num(MODEL_DOMAINS.seed),
    input: optional(str(512)),
  }),
  'model.step': obj({ mode: oneOf('train', 'eval') }),
  'model.compare': empty,
  'model.inspect': obj({ path: str(512) }),
  'model.recalibrate': obj({ jobId, batchSize: num(MODEL_DOMAINS.batchSize) }),
  'model.export': obj({ path: str(), format: oneOf('pt', 'safetensors') }),
  'model.train': obj({
    jobId,
    loss: oneOf(...LOSSES),
    target: nullable(str()),
    seed: num(MODEL_DOMAINS.seed),
    steps: num(MODEL_DOMAINS.steps),
    lr: num(MODEL_DOMAINS.lr),
    momentum: num(MODEL_DOMAINS.momentum),
    weightDecay: num(MODEL_DOMAINS.weightDecay),
    batchSize: nullable(num(MODEL_DOMAINS.trainBatchSize)),
  }),
};

/** Throws a PayloadError unless `method` is a contract method and `payload` fits its schema. */
export function validatePayload(method: unknown, payload: unknown): asserts method is MethodName {
  if (!isMethodName(method)) throw new PayloadError(unknownMethodMessage(method));
  const problem = PAYLOAD_CHECKS[method](payload, '');
  if (problem) throw new PayloadError(`${method}: ${problem.replace(/^\./, '')}`);
}
