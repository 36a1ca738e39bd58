"""The ONNX operator specification's own node tests (onnx.backend.test.case.node, shipped with the onnx
package) for the operators engine/nn/functional implements, as fixture cases.

Each case is {name, op, args, inputs, outputs}: the node's attributes and its constant inputs (shapes,
axes, pads, Clip bounds) become the engine call's `args`; data inputs stay `inputs`. Only forward values
exist here (the spec defines no gradients). Cases with dtypes the engine does not compute in (uint8,
int8, int32 data), random outputs (training dropout with ratio > 0), 3-D pooling, argmax outputs and
large tensors are left out.
"""
import numpy as np
import torch

from common import enc

MAX_ELEMENTS = 2500
# Larger cases kept for what only they cover: auto_pad SAME_* on the pooling ops.
LARGE_KEPT = {'test_maxpool_2d_same_upper', 'test_maxpool_2d_same_lower', 'test_averagepool_2d_same_upper',
              'test_averagepool_2d_same_lower'}

OPS = ['Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Gemm', 'MatMul', 'Slice', 'Gather', 'Pad', 'Reshape',
       'Flatten', 'Transpose', 'Concat', 'Squeeze', 'Unsqueeze', 'Split', 'Clip', 'HardSigmoid', 'HardSwish',
       'ReduceMean', 'Sigmoid', 'Relu', 'Add', 'Sub', 'Mul', 'Div', 'Dropout']


def _collect():
    # The case modules are written for an older numpy (np.float etc.) and draw from np.random at import.
    for name, v in (('float', float), ('int', int), ('bool', bool), ('object', object)):
        if not hasattr(np, name):
            setattr(np, name, v)
    np.random.seed(0)
    from onnx.backend.test.case.node import collect_testcases
    return collect_testcases(None)


def _attrs(node):
    import onnx.helper
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _ints(a):
    return [int(v) for v in np.asarray(a).reshape(-1)]


def _t(a):
    return enc(torch.from_numpy(np.ascontiguousarray(a)))


def _convert(op, at, ins, names):
    """(engine op, args, data inputs) for one node, or None when the case is out of scope. `names` are the
    node's input names ('' for an omitted optional input, which the test data leaves out)."""
    by_pos = {}
    it = iter(ins)
    for i, nm in enumerate(names):
        if nm:
            by_pos[i] = next(it)
    s = lambda v: v.decode() if isinstance(v, bytes) else v  # noqa: E731
    pool = {}
    for k_onnx, k in (('strides', 'strides'), ('pads', 'pads'), ('dilations', 'dilations')):
        if k_onnx in at:
            pool[k] = [int(v) for v in at[k_onnx]]
    if 'auto_pad' in at and s(at['auto_pad']) != 'NOTSET':
        pool['autoPad'] = s(at['auto_pad'])
    if op == 'Conv':
        return 'conv', dict(pool, group=int(at.get('group', 1))), ins
    if op in ('MaxPool', 'AveragePool'):
        if len(ins[0].shape) > 4 or 'storage_order' in at:
            return None
        args = dict(pool, kernelShape=[int(v) for v in at['kernel_shape']], ceilMode=bool(at.get('ceil_mode', 0)))
        if op == 'AveragePool':
            args['countIncludePad'] = bool(at.get('count_include_pad', 0))
            return 'avgPool', args, ins
        return 'maxPool', args, ins
    if op == 'GlobalAveragePool':
        return 'globalAvgPool', {}, ins
    if op in ('Add', 'Sub', 'Mul', 'Div'):
        return op.lower(), {}, ins
    if op in ('Relu', 'Sigmoid', 'HardSwish'):
        return op[0].lower() + op[1:], {}, ins
    if op == 'HardSigmoid':
        return 'hardSigmoid', {'alpha': float(at.get('alpha', 0.2)), 'beta': float(at.get('beta', 0.5))}, ins
    if op == 'Clip':
        args = {}
        if 1 in by_pos:
            args['min'] = float(by_pos[1])
        if 2 in by_pos:
            args['max'] = float(by_pos[2])
        return 'clip', args, ins[:1]
    if op == 'Gemm':
        return 'gemm', {'alpha': float(at.get('alpha', 1.0)), 'beta': float(at.get('beta', 1.0)),
                        'transA': bool(at.get('transA', 0)), 'transB': bool(at.get('transB', 0))}, ins
    if op == 'MatMul':
        return 'matmul', {}, ins
    if op == 'ReduceMean':
        return 'reduceMean', {'axes': [int(v) for v in at['axes']] if 'axes' in at else None,
                              'keepdims': bool(at.get('keepdims', 1))}, ins
    if op == 'Reshape':
        return 'reshape', {'shape': _ints(ins[1]), 'allowzero': bool(at.get('allowzero', 0))}, ins[:1]
    if op == 'Flatten':
        return 'flatten', {'axis': int(at.get('axis', 1))}, ins
    if op == 'Transpose':
        return 'transpose', {'perm': [int(v) for v in at['perm']] if 'perm' in at else None}, ins
    if op == 'Concat':
        return 'concat', {'axis': int(at['axis'])}, ins
    if op == 'Slice':
        args = {'starts': _ints(ins[1]), 'ends': _ints(ins[2])}
        if 3 in by_pos:
            args['axes'] = _ints(by_pos[3])
        if 4 in by_pos:
            args['steps'] = _ints(by_pos[4])
        return 'slice', args, ins[:1]
    if op == 'Gather':
        return 'gather', {'axis': int(at.get('axis', 0))}, ins
    if op == 'Unsqueeze':
        return 'unsqueeze', {'axes': _ints(ins[1])}, ins[:1]
    if op == 'Squeeze':
        return 'squeeze', {'axes': _ints(by_pos[1]) if 1 in by_pos else None}, ins[:1]
    if op == 'Pad':
        if s(at.get('mode', 'constant')) != 'constant':
            return None
        value = float(by_pos[2]) if 2 in by_pos else 0.0
        return 'pad', {'pads': _ints(ins[1]), 'value': value}, ins[:1]
    if op == 'Dropout':
        ratio = float(by_pos[1]) if 1 in by_pos else 0.5
        training = bool(by_pos[2]) if 2 in by_pos else False
        if training and ratio > 0:
            return None
        return 'dropout', {'ratio': ratio, 'training': training}, ins[:1]
    return None


def onnx_node_cases():
    out = []
    seen = set()
    for c in _collect():
        if c.name in seen or len(c.model.graph.node) != 1:
            continue
        seen.add(c.name)
        node = c.model.graph.node[0]
        if node.op_type not in OPS:
            continue
        ins, outs = c.data_sets[0]
        ins = [np.asarray(a) for a in ins]
        outs = [np.asarray(a) for a in outs]
        if ins[0].dtype not in (np.float32, np.float64):
            continue
        if sum(a.size for a in ins + outs) > MAX_ELEMENTS and c.name not in LARGE_KEPT:
            continue
        if node.op_type == 'MaxPool' and len(node.output) > 1:
            continue  # the Indices output (argmax with storage order) is not an engine output
        conv = _convert(node.op_type, _attrs(node), ins, list(node.input))
        if conv is None:
            continue
        op, args, data = conv
        opset = max(o.version for o in c.model.opset_import if o.domain in ('', 'ai.onnx'))
        if node.op_type == 'Dropout':
            outs = outs[:1]  # the mask is bool; ratio 0 / inference keeps every value
        out.append({'name': c.name, 'onnxOp': node.op_type, 'opset': opset, 'op': op, 'args': args,
                    'inputs': [_t(a) for a in data], 'outputs': [_t(a) for a in outs]})
    return out


def split_cases():
    """Split reads its sizes from an input (opset 13) or splits evenly into the node's output count."""
    out = []
    for c in _collect():
        node = c.model.graph.node[0]
        if node.op_type != 'Split' or any(x['name'] == c.name for x in out):
            continue
        ins, outs = c.data_sets[0]
        ins = [np.asarray(a) for a in ins]
        at = _attrs(node)
        sizes = _ints(ins[1]) if len(ins) > 1 else len(node.output)
        out.append({'name': c.name, 'onnxOp': 'Split', 'opset': 13, 'op': 'split',
                    'args': {'axis': int(at.get('axis', 0)), 'sizes': sizes},
                    'inputs': [_t(ins[0])], 'outputs': [_t(np.asarray(a)) for a in outs]})
    return out
