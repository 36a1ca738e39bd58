/**
 * The ONNX reader: .onnx bytes → OnnxModel (graph, nodes with typed attributes, initializers as engine
 * Tensors, inputs/outputs with shapes). Decoding is protobufjs with ONNX's own schema (onnxSchema.ts),
 * never a hand-written parser. Everything the file declares is checked against OnnxBudgets before it
 * is allocated; anything malformed becomes an OnnxError that says what and where.
 * The reader does not decide which ops run: engine/model refuses unknown ops at import.
 */
import protobuf from 'protobufjs/light.js';
import type { Tensor } from '../tensor/tensor.js';
import { ONNX_SCHEMA } from './onnxSchema.js';
import { DEFAULT_ONNX_BUDGETS, OnnxError, SUPPORTED_OPSETS, type OnnxBudgets } from './onnxError.js';
import { num, onnxDtypeName, tensorFromProto, type ExternalReader, type TensorProtoLike } from './onnxTensor.js';

export type OnnxAttr = number | string | number[] | string[] | Tensor | Tensor[];

export interface OnnxNode {
  /** The node's name, or `OpType#index` when the file gives none (for messages). */
  name: string;
  opType: string;
  domain: string;
  /** Input value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Map<string, OnnxAttr>;
}

export interface ValueInfo {
  name: string;
  /** Numbers for fixed dims, the dim_param (or '?') for symbolic ones; [] also when the rank is unknown. */
  shape: (number | string)[];
  /** The engine dtype name ('float32', …), or ONNX's name in lower case where the engine has none. */
  dtype: string;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  /** In file order; names are PyTorch state-dict keys in torch.onnx.export's files. */
  initializers: Map<string, Tensor>;
  /** Graph inputs that are not initializers (the data the caller feeds). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  /** The default-domain (ai.onnx) opset. */
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  graph: OnnxGraph;
}

export interface OnnxReadOptions {
  budgets?: Partial<OnnxBudgets>;
  /** Reads external tensor data (engine/model's loadOnnxFile gives one bound to the model's folder). */
  external?: ExternalReader | null;
  /** For messages. */
  name?: string;
}

const root = protobuf.Root.fromJSON(ONNX_SCHEMA as protobuf.INamespace);
const ModelProto = root.lookupType('onnx.ModelProto');

/** Encodes a ModelProto given as a plain object with the .proto's field names (tests, fixtures). */
export function encodeOnnxModel(model: Record<string, unknown>): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/**
 * Whether `bytes` look like an ONNX ModelProto: the first field is ir_version (field 1, varint) and a
 * graph (field 7, length-delimited) follows somewhere; detection is by bytes, not the file name.
 */
export function looksOnnx(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x08 && bytes[1]! > 0 && bytes[1]! < 0x20;
}

interface AttributeProtoLike {
  name?: string;
  type?: number;
  f?: number;
  i?: unknown;
  s?: Uint8Array;
  t?: TensorProtoLike;
  g?: unknown;
  floats?: number[];
  ints?: unknown[];
  strings?: Uint8Array[];
  tensors?: TensorProtoLike[];
  graphs?: unknown[];
  sparse_tensor?: unknown;
  sparse_tensors?: unknown[];
}

interface ValueInfoProtoLike {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: unknown; dim_param?: string }[] } } };
}

interface NodeProtoLike {
  name?: string;
  op_type?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: AttributeProtoLike[];
}

interface ModelProtoLike {
  ir_version?: unknown;
  opset_import?: { domain?: string; version?: unknown }[];
  producer_name?: string;
  producer_version?: string;
  functions?: unknown[];
  graph?: {
    name?: string;
    node?: NodeProtoLike[];
    initializer?: TensorProtoLike[];
    sparse_initializer?: unknown[];
    input?: ValueInfoProtoLike[];
    output?: ValueInfoProtoLike[];
  };
}

/** Ops whose attributes hold subgraphs: refused at load (graph nesting budget 0). */
const SUBGRAPH_OPS = new Set(['If', 'Loop', 'Scan', 'SequenceMap']);

export function readOnnx(bytes: Uint8Array, opts: OnnxReadOptions = {}): OnnxModel {
  const budgets = { ...DEFAULT_ONNX_BUDGETS, ...opts.budgets };
  const fileName = opts.name ?? '<memory>';
  if (bytes.length > budgets.maxFileBytes) {
    throw new OnnxError(`${fileName} is ${bytes.length} bytes, over the maxFileBytes budget (${budgets.maxFileBytes})`);
  }
  if (!looksOnnx(bytes))
    throw new OnnxError(`${fileName} is not an ONNX model (no ModelProto ir_version at the start)`);
  let msg: ModelProtoLike;
  try {
    msg = ModelProto.decode(bytes) as unknown as ModelProtoLike;
  } catch (e) {
    // protobufjs reports truncation ("index out of range"), bad wire types and invalid lengths.
    throw new OnnxError(`${fileName}: malformed ONNX protobuf (${(e as Error).message})`);
  }
  const irVersion = num(msg.ir_version);
  const opset = (msg.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opset) throw new OnnxError(`${fileName}: no ai.onnx opset_import (the default-domain opset is required)`);
  const opsetVersion = num(opset.version);
  if (opsetVersion < SUPPORTED_OPSETS.min || opsetVersion > SUPPORTED_OPSETS.max) {
    throw new OnnxError(
      `${fileName}: opset ${opsetVersion} is not supported (NormScope reads opsets ${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max}; ` +
        `export with torch.onnx.export(..., opset_version=${SUPPORTED_OPSETS.max}))`,
    );
  }
  const g = msg.graph;
  if (!g) throw new OnnxError(`${fileName}: the model has no graph`);
  const nodesIn = g.node ?? [];
  if (nodesIn.length > budgets.maxNodes) {
    throw new OnnxError(`${fileName}: ${nodesIn.length} nodes, over the maxNodes budget (${budgets.maxNodes})`);
  }
  const inits = g.initializer ?? [];
  if (inits.length > budgets.maxInitializers) {
    throw new OnnxError(
      `${fileName}: ${inits.length} initializers, over the maxInitializers budget (${budgets.maxInitializers})`,
    );
  }
  if ((g.sparse_initializer ?? []).length > 0)
    throw new OnnxError(`${fileName}: sparse initializers are not supported`);

  const budgetedExternal = boundExternal(opts.external ?? null, budgets);
  const initializers = new Map<string, Tensor>();
  inits.forEach((t, i) => {
    const name = t.name ?? '';
    if (!name) throw new OnnxError(`${fileName}: initializer #${i} has no name`);
    if (initializers.has(name)) throw new OnnxError(`${fileName}: initializer '${name}' is defined twice`);
    initializers.set(name, tensorFromProto(t, `initializer #${i}`, budgets, budgetedExternal));
  });

  const nodes = nodesIn.map((n, i) => readNode(n, i, budgets, budgetedExternal));
  const inputs = (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map((v) => valueInfo(v, budgets));
  const outputs = (g.output ?? []).map((v) => valueInfo(v, budgets));
  if (outputs.length === 0) throw new OnnxError(`${fileName}: the graph has no outputs`);
  return {
    irVersion,
    opsetVersion,
    producerName: msg.producer_name ?? '',
    producerVersion: msg.producer_version ?? '',
    graph: { name: g.name ?? '', nodes, initializers, inputs, outputs },
  };
}

/** Counts external bytes against maxExternalBytes across all tensors of one read. */
function boundExternal(reader: ExternalReader | null, budgets: OnnxBudgets): ExternalReader | null {
  if (!reader) return null;
  let total = 0;
  return (location, offset, length, tensor) => {
    total += length ?? 0;
    if (total > budgets.maxExternalBytes) {
      throw new OnnxError(
        `tensor '${tensor}': external data over the maxExternalBytes budget (${budgets.maxExternalBytes})`,
      );
    }
    return reader(location, offset, length, tensor);
  };
}

function readNode(n: NodeProtoLike, index: number, budgets: OnnxBudgets, external: ExternalReader | null): OnnxNode {
  const opType = n.op_type ?? '';
  const name = n.name || `${opType || 'node'}#${index}`;
  if (!opType) throw new OnnxError(`node '${name}' has no op_type`);
  if (SUBGRAPH_OPS.has(opType)) {
    throw new OnnxError(`node '${name}' (${opType}): ops with subgraphs are not supported (graph nesting budget is 0)`);
  }
  const attrs = new Map<string, OnnxAttr>();
  for (const a of n.attribute ?? []) {
    const an = a.name ?? '';
    attrs.set(an, readAttr(a, `node '${name}' (${opType}) attribute '${an}'`, budgets, external));
  }
  return { name, opType, domain: n.domain ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs };
}

const utf8 = new TextDecoder('utf-8');

function readAttr(
  a: AttributeProtoLike,
  what: string,
  budgets: OnnxBudgets,
  external: ExternalReader | null,
): OnnxAttr {
  // AttributeProto.AttributeType; 0 (UNDEFINED, IR < 0.0.2) means: whichever field is set.
  switch (a.type ?? 0) {
    case 1:
      return a.f ?? 0;
    case 2:
      return num(a.i);
    case 3:
      return utf8.decode(a.s ?? new Uint8Array());
    case 4:
      if (!a.t) throw new OnnxError(`${what}: TENSOR attribute without a tensor`);
      return tensorFromProto(a.t, what, budgets, external);
    case 6:
      return [...(a.floats ?? [])];
    case 7:
      return (a.ints ?? []).map(num);
    case 8:
      return (a.strings ?? []).map((s) => utf8.decode(s));
    case 9:
      return (a.tensors ?? []).map((t) => tensorFromProto(t, what, budgets, external));
    case 5:
    case 10:
      throw new OnnxError(`${what}: subgraph attributes are not supported (graph nesting budget is 0)`);
    case 0:
      if (a.t) return tensorFromProto(a.t, what, budgets, external);
      if (a.ints?.length) return a.ints.map(num);
      if (a.floats?.length) return [...a.floats];
      if (a.s?.length) return utf8.decode(a.s);
      if (has(a, 'i')) return num(a.i);
      if (has(a, 'f')) return a.f!;
      throw new OnnxError(`${what}: attribute without a type or value`);
    default:
      throw new OnnxError(`${what}: attribute type ${a.type} is not supported`);
  }
}

function valueInfo(v: ValueInfoProtoLike, budgets: OnnxBudgets): ValueInfo {
  const tt = v.type?.tensor_type;
  const dims = tt?.shape?.dim ?? [];
  const name = v.name ?? '';
  if (dims.length > budgets.maxRank) {
    throw new OnnxError(`value '${name}': ${dims.length} dimensions, over the maxRank budget (${budgets.maxRank})`);
  }
  // protobufjs puts defaults on the prototype: presence is an own property.
  const shape = dims.map((d) => (has(d, 'dim_value') ? num(d.dim_value) : d.dim_param || '?'));
  let numel = 1;
  for (const d of shape) {
    if (typeof d !== 'number') continue;
    if (!Number.isSafeInteger(d) || d < 0)
      throw new OnnxError(`value '${name}': invalid dimension ${d} in [${shape.join(', ')}]`);
    numel *= d;
  }
  if (numel > budgets.maxTensorNumel) {
    throw new OnnxError(
      `value '${name}': shape [${shape.join(', ')}] is over the maxTensorNumel budget (${budgets.maxTensorNumel})`,
    );
  }
  return { name, shape, dtype: onnxDtypeName(tt?.elem_type ?? 0) };
}

function has(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}
