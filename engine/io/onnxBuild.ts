/**
 * Builds small ONNX models in memory for tests: nodes, initializers and typed attributes written as
 * plain data, encoded by protobufjs with ONNX's schema (the same one the reader decodes with).
 */
import { encodeOnnxModel } from './onnx.js';

export type AttrSpec =
  { i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] } | { t: InitSpec };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrSpec>;
}

export interface InitSpec {
  name?: string;
  dims: number[];
  /** ONNX data type code (1 float, 7 int64, 11 double, 6 int32); default 1. */
  type?: number;
  data?: number[];
  /** raw_data bytes instead of the typed field. */
  raw?: Uint8Array;
  external?: { location: string; offset?: number; length?: number };
}

export interface ModelSpec {
  opset?: number;
  irVersion?: number;
  inputs: { name: string; shape: (number | string)[]; type?: number }[];
  outputs: { name: string; shape?: (number | string)[]; type?: number }[];
  nodes: NodeSpec[];
  initializers?: InitSpec[];
}

const ATTR_TYPES = { f: 1, i: 2, s: 3, t: 4, floats: 6, ints: 7 } as const;

export function tensorProto(t: InitSpec): Record<string, unknown> {
  const type = t.type ?? 1;
  const out: Record<string, unknown> = { name: t.name ?? '', dims: t.dims, data_type: type };
  if (t.raw) out.raw_data = t.raw;
  else if (t.external) {
    out.data_location = 1;
    out.external_data = Object.entries(t.external).map(([key, value]) => ({ key, value: String(value) }));
  } else if (t.data) {
    const field = type === 1 ? 'float_data' : type === 11 ? 'double_data' : type === 7 ? 'int64_data' : 'int32_data';
    out[field] = t.data;
  }
  return out;
}

function attrProto(name: string, a: AttrSpec): Record<string, unknown> {
  const [key, value] = Object.entries(a)[0] as [keyof typeof ATTR_TYPES, unknown];
  const v =
    key === 's' ? new TextEncoder().encode(value as string) : key === 't' ? tensorProto(value as InitSpec) : value;
  return { name, type: ATTR_TYPES[key], [key]: v };
}

function valueInfo(v: { name: string; shape?: (number | string)[]; type?: number }): Record<string, unknown> {
  const dims = (v.shape ?? []).map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return {
    name: v.name,
    type: { tensor_type: { elem_type: v.type ?? 1, ...(v.shape ? { shape: { dim: dims } } : {}) } },
  };
}

export function buildOnnx(spec: ModelSpec): Uint8Array {
  return encodeOnnxModel({
    ir_version: spec.irVersion ?? 8,
    producer_name: 'normscope-test',
    opset_import: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'g',
      node: spec.nodes.map((n, k) => ({
        name: n.name ?? `${n.op}_${k}`,
        op_type: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([name, a]) => attrProto(name, a)),
      })),
      initializer: (spec.initializers ?? []).map(tensorProto),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
}
