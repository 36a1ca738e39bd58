"""Operator cases against PyTorch (forward values, gradients, error texts) for engine/nn/functional.

A case is {name, op, args, inputs, gradOut, expect}: `op` and `args` name the engine call
(engine/nn/functional/opCases.ts dispatches them), `inputs` are the tensors in order, and `expect`
holds `outputs` and `grads` (one per input, None where the input is not differentiable) or `error`.
PyTorch has no asymmetric pads or SAME_LOWER: those cases pad explicitly with F.pad (zeros for conv,
-inf for max pooling) and then run the operator without padding, which is what ONNX defines.
"""
import math

import torch
import torch.nn.functional as F

from common import capture, enc, gen_input

_seed = [1000]


def rnd(shape, dtype='float64', scale=1.0):
    _seed[0] += 1
    x = gen_input(_seed[0], shape, 'float64', scale, 0.0)
    return x.to(torch.float32 if dtype == 'float32' else torch.float64)


def case(name, op, args, inputs, fn, grad=True, diff=None):
    """Runs fn(*inputs) in torch; records outputs and the gradients of sum(out·gradOut)."""
    diff = diff if diff is not None else [t.is_floating_point() for t in inputs]
    ins = [t.clone().requires_grad_(grad and d) for t, d in zip(inputs, diff)]
    spec = {'name': name, 'op': op, 'args': args, 'inputs': [enc(t) for t in inputs]}
    out, err = capture(lambda: fn(*ins))
    if err:
        spec['gradOut'] = None
        spec['expect'] = {'error': err}
        return spec
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    exp = {'outputs': [enc(o) for o in outs]}
    if grad:
        gs = [rnd(list(o.shape), dtype_of(o)) for o in outs]
        spec['gradOut'] = [enc(g) for g in gs]
        torch.autograd.backward([o for o in outs], gs)
        exp['grads'] = [enc(t.grad) if d else None for t, d in zip(ins, diff)]
    else:
        spec['gradOut'] = None
    spec['expect'] = exp
    return spec


def dtype_of(t):
    return 'float32' if t.dtype == torch.float32 else 'float64'


def same_pads(auto_pad, in_sp, k, s, d):
    """ONNX's auto_pad SAME_* pads, written from the operator text (begins, then ends)."""
    begins, ends = [], []
    for i in range(len(in_sp)):
        out = math.ceil(in_sp[i] / s[i])
        total = max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in_sp[i])
        small = total // 2
        b = small if auto_pad == 'SAME_UPPER' else total - small
        begins.append(b)
        ends.append(total - b)
    return begins + ends


def torch_pad(pads):
    """ONNX 2-D pads [t, l, b, r] → F.pad's (l, r, t, b)."""
    t, l, b, r = pads
    return (l, r, t, b)


# ---------------------------------------------------------------- conv

def conv_case(name, xs, ws, strides=None, pads=None, dil=None, group=1, bias=True, dtype='float64', auto_pad=None):
    n = len(xs) - 2
    strides, dil, pads = strides or (1,) * n, dil or (1,) * n, pads or (0,) * (2 * n)
    x, w = rnd(xs, dtype), rnd(ws, dtype, 0.5)
    b = rnd([ws[0]], dtype, 0.5) if bias else None
    args = {'strides': list(strides), 'dilations': list(dil), 'group': group}
    if auto_pad:
        args['autoPad'] = auto_pad
        pads = same_pads(auto_pad, xs[2:], ws[2:], strides, dil) if auto_pad != 'VALID' else [0] * (2 * n)
    else:
        args['pads'] = list(pads)

    def fn(x, w, b=None):
        if len(xs) == 3:
            xp = F.pad(x, (pads[0], pads[1]))
            return F.conv1d(xp, w, b, strides[0], 0, dil[0], group)
        return F.conv2d(F.pad(x, torch_pad(pads)), w, b, tuple(strides), 0, tuple(dil), group)
    ins = [x, w] + ([b] if bias else [])
    return case(name, 'conv', args, ins, fn)


def conv_cases():
    return [
        conv_case('3x3 pad 1', [2, 3, 5, 6], [4, 3, 3, 3], pads=(1, 1, 1, 1)),
        conv_case('stride 2, no bias', [2, 3, 7, 6], [4, 3, 3, 3], strides=(2, 2), pads=(1, 1, 1, 1), bias=False),
        conv_case('asymmetric pads', [1, 2, 5, 5], [3, 2, 3, 2], strides=(2, 1), pads=(0, 2, 1, 0)),
        conv_case('dilation 2', [1, 2, 7, 7], [3, 2, 3, 3], pads=(2, 2, 2, 2), dil=(2, 2)),
        conv_case('dilation (2, 1), stride (1, 2)', [2, 2, 6, 7], [2, 2, 2, 3], strides=(1, 2), dil=(2, 1)),
        conv_case('groups 2', [2, 4, 5, 5], [6, 2, 3, 3], pads=(1, 1, 1, 1), group=2),
        conv_case('depthwise', [2, 3, 6, 5], [3, 1, 3, 3], pads=(1, 1, 1, 1), group=3),
        conv_case('depthwise stride 2 multiplier 2', [1, 3, 7, 7], [6, 1, 3, 3], strides=(2, 2), pads=(1, 1, 1, 1),
                  group=3),
        conv_case('depthwise 5x5 dilated asymmetric', [1, 2, 8, 8], [2, 1, 5, 5], strides=(2, 2), pads=(2, 1, 1, 2),
                  dil=(1, 2), group=2),
        conv_case('1x1 stride 2', [2, 4, 5, 5], [3, 4, 1, 1], strides=(2, 2)),
        conv_case('SAME_UPPER stride 2 odd pad', [1, 2, 6, 6], [2, 2, 3, 3], strides=(2, 2), auto_pad='SAME_UPPER'),
        conv_case('SAME_LOWER stride 2 odd pad', [1, 2, 6, 6], [2, 2, 3, 3], strides=(2, 2), auto_pad='SAME_LOWER'),
        conv_case('SAME_UPPER even kernel', [1, 1, 5, 5], [2, 1, 2, 2], auto_pad='SAME_UPPER'),
        conv_case('SAME_LOWER even kernel', [1, 1, 5, 5], [2, 1, 2, 2], auto_pad='SAME_LOWER'),
        conv_case('VALID', [1, 2, 5, 4], [2, 2, 3, 3], auto_pad='VALID'),
        conv_case('float32 grouped', [2, 6, 6, 6], [6, 3, 3, 3], pads=(1, 1, 1, 1), group=2, dtype='float32'),
        conv_case('float32 depthwise', [2, 4, 5, 5], [4, 1, 3, 3], strides=(2, 2), pads=(1, 1, 1, 1), group=4,
                  dtype='float32'),
        conv_case('1-D with pads and dilation', [2, 3, 9], [4, 3, 3], strides=(2,), pads=(2, 1), dil=(2,)),
        conv_case('1-D depthwise', [1, 2, 7], [2, 1, 3], pads=(1, 1), group=2),
        conv_error('channels do not match', [1, 3, 5, 5], [4, 2, 3, 3], 1),
        conv_error('groups do not divide out channels', [1, 4, 5, 5], [3, 2, 3, 3], 2),
        conv_error('groups: channels do not match', [1, 3, 5, 5], [4, 2, 3, 3], 2),
        conv_error('kernel larger than input', [1, 2, 2, 2], [3, 2, 3, 3], 1),
        conv_error('bias of the wrong size', [1, 2, 5, 5], [3, 2, 3, 3], 1, bias=2),
    ]


def conv_error(name, xs, ws, group, bias=None):
    x, w = rnd(xs), rnd(ws)
    b = rnd([bias]) if bias else None
    ins = [x, w] + ([b] if bias else [])
    return case(name, 'conv', {'group': group}, ins, lambda x, w, b=None: F.conv2d(x, w, b, groups=group), grad=False)


# ---------------------------------------------------------------- pooling

def maxpool_case(name, xs, k, strides=None, pads=None, dil=None, ceil=False, auto_pad=None, dtype='float64'):
    n = len(k)
    strides = strides or [1] * n
    dil = dil or [1] * n
    pads = pads or [0] * (2 * n)
    x = rnd(xs, dtype)
    args = {'kernelShape': list(k), 'strides': list(strides), 'dilations': list(dil), 'ceilMode': ceil}
    if auto_pad:
        args['autoPad'] = auto_pad
        pads = same_pads(auto_pad, xs[2:], k, strides, dil)
    else:
        args['pads'] = list(pads)
    symmetric = pads[:n] == pads[n:]

    def fn(x):
        if n == 1:
            if symmetric:
                return F.max_pool1d(x, k[0], strides[0], pads[0], dil[0], ceil)
            return F.max_pool1d(F.pad(x, (pads[0], pads[1]), value=-math.inf), k[0], strides[0], 0, dil[0], ceil)
        if symmetric:
            return F.max_pool2d(x, tuple(k), tuple(strides), tuple(pads[:2]), tuple(dil), ceil)
        assert not ceil, 'asymmetric pads with ceil mode have no torch equivalent'
        return F.max_pool2d(F.pad(x, torch_pad(pads), value=-math.inf), tuple(k), tuple(strides), 0, tuple(dil))
    return case(name, 'maxPool', args, [x], fn)


def avgpool_case(name, xs, k, strides=None, pads=None, ceil=False, include=False, dtype='float64'):
    n = len(k)
    strides = strides or [1] * n
    pads = pads or [0] * (2 * n)
    x = rnd(xs, dtype)
    args = {'kernelShape': list(k), 'strides': list(strides), 'pads': list(pads), 'ceilMode': ceil,
            'countIncludePad': include}

    def fn(x):
        if n == 1:
            return F.avg_pool1d(x, k[0], strides[0], pads[0], ceil, include)
        return F.avg_pool2d(x, tuple(k), tuple(strides), tuple(pads[:2]), ceil, include)
    return case(name, 'avgPool', args, [x], fn)


def pool_cases():
    ties = torch.tensor([[[[1.0, 1.0, 0.5], [1.0, 2.0, 2.0], [0.0, 2.0, 1.0]]]], dtype=torch.float64)
    return [
        maxpool_case('max 3x3 stride 2 pad 1 (ResNet stem)', [2, 2, 7, 7], [3, 3], [2, 2], [1, 1, 1, 1]),
        maxpool_case('max 2x2 stride 2', [1, 3, 6, 5], [2, 2], [2, 2]),
        maxpool_case('max ceil mode, last window starts in the padding', [1, 1, 6, 6], [3, 3], [2, 2], [1, 1, 1, 1],
                     ceil=True),
        maxpool_case('max ceil mode without pads', [1, 2, 5, 6], [2, 2], [2, 2], ceil=True),
        maxpool_case('max dilated', [1, 2, 7, 7], [2, 2], [1, 1], dil=[2, 2]),
        maxpool_case('max dilated (2, 3) with pads and stride', [2, 1, 8, 9], [3, 2], [2, 1], [1, 1, 1, 1],
                     dil=[2, 3]),
        maxpool_case('max asymmetric pads', [1, 2, 5, 5], [3, 3], [2, 2], [0, 1, 1, 0]),
        maxpool_case('max SAME_UPPER', [1, 1, 6, 6], [3, 3], [2, 2], auto_pad='SAME_UPPER'),
        maxpool_case('max SAME_LOWER', [1, 1, 6, 6], [3, 3], [2, 2], auto_pad='SAME_LOWER'),
        maxpool_case('max float32', [2, 2, 5, 5], [3, 3], [2, 2], [1, 1, 1, 1], dtype='float32'),
        maxpool_case('max 1-D', [2, 2, 9], [3], [2], [1, 1]),
        case('max ties: the first maximum takes the gradient', 'maxPool',
             {'kernelShape': [2, 2], 'strides': [1, 1]}, [ties], lambda x: F.max_pool2d(x, 2, 1)),
        avgpool_case('avg 2x2 stride 2', [1, 2, 6, 6], [2, 2], [2, 2]),
        avgpool_case('avg 3x3 pad 1 excluding pad', [2, 2, 5, 5], [3, 3], [1, 1], [1, 1, 1, 1]),
        avgpool_case('avg 3x3 pad 1 count_include_pad', [2, 2, 5, 5], [3, 3], [1, 1], [1, 1, 1, 1], include=True),
        avgpool_case('avg ceil mode count_include_pad (window past the padding)', [1, 1, 6, 6], [3, 3], [2, 2],
                     [1, 1, 1, 1], ceil=True, include=True),
        avgpool_case('avg ceil mode excluding pad', [1, 1, 6, 6], [3, 3], [2, 2], [1, 1, 1, 1], ceil=True),
        avgpool_case('avg ceil mode no pads', [1, 2, 5, 7], [2, 2], [2, 2], ceil=True, include=True),
        avgpool_case('avg float32 stride 1', [2, 3, 4, 4], [2, 2], [1, 1], dtype='float32'),
        avgpool_case('avg 1-D', [2, 2, 8], [3], [2], [1, 1], include=True),
        case('global average pool', 'globalAvgPool', {}, [rnd([2, 3, 4, 5])],
             lambda x: F.adaptive_avg_pool2d(x, 1)),
        case('global average pool float32', 'globalAvgPool', {}, [rnd([2, 3, 3, 3], 'float32')],
             lambda x: x.mean(dim=(2, 3), keepdim=True)),
    ]


# ---------------------------------------------------------------- elementwise

def binary_cases():
    out = []
    shapes = [
        ('same shape', [2, 3], [2, 3]),
        ('bias [1, C, 1, 1]', [2, 3, 2, 2], [1, 3, 1, 1]),
        ('per-channel [C, 1, 1]', [2, 3, 2, 2], [3, 1, 1]),
        ('scalar', [2, 3], []),
        ('both ways [3, 1] with [1, 4]', [3, 1], [1, 4]),
        ('rank 1 with rank 3', [4], [2, 3, 4]),
        ('one-element vector', [2, 3], [1]),
    ]
    fns = {'add': torch.add, 'sub': torch.sub, 'mul': torch.mul, 'div': torch.div}
    for op, fn in fns.items():
        for label, sa, sb in shapes:
            a = rnd(sa)
            b = rnd(sb)
            if op == 'div':
                b = b.abs() + 0.5
            out.append(case(f'{op} {label}', op, {}, [a, b], fn))
        out.append(case(f'{op} float32 broadcast', op, {}, [rnd([2, 3, 4], 'float32'), rnd([3, 1], 'float32').abs() + 0.5],
                        fn))
        out.append(case(f'{op} shapes that do not broadcast', op, {}, [rnd([2, 3]), rnd([4])], fn, grad=False))
    return out


def activation_cases():
    x = torch.tensor([-4.0, -3.0, -2.5, -1.0, -0.0, 0.0, 0.5, 2.5, 3.0, 3.5, 6.0, 7.0], dtype=torch.float64)
    x2 = rnd([2, 3, 4], scale=3.0)
    out = []
    for label, t in (('edges', x), ('random', x2), ('float32', x2.float())):
        out.append(case(f'relu {label}', 'relu', {}, [t], F.relu))
        out.append(case(f'sigmoid {label}', 'sigmoid', {}, [t], torch.sigmoid))
        out.append(case(f'hardSwish {label}', 'hardSwish', {}, [t], F.hardswish))
        out.append(case(f'hardSigmoid torch (alpha 1/6) {label}', 'hardSigmoid', {'alpha': 1 / 6, 'beta': 0.5}, [t],
                        F.hardsigmoid))
        out.append(case(f'clip 0..6 {label}', 'clip', {'min': 0, 'max': 6}, [t], lambda v: torch.clamp(v, 0, 6)))
    out.append(case('clip min only', 'clip', {'min': -1}, [x], lambda v: torch.clamp(v, min=-1)))
    out.append(case('clip max only', 'clip', {'max': 2.5}, [x], lambda v: torch.clamp(v, max=2.5)))
    out.append(case('clip min > max gives max', 'clip', {'min': 2, 'max': 1}, [x], lambda v: torch.clamp(v, 2, 1)))
    out.append(case('clip no bounds', 'clip', {}, [x], lambda v: v.clone()))
    # Forward only: clamp's gradient is inclusive at the ends, hardsigmoid's (the engine's) is not.
    out.append(case('hardSigmoid ONNX defaults (0.2, 0.5)', 'hardSigmoid', {}, [x],
                    lambda v: torch.clamp(0.2 * v + 0.5, 0, 1), grad=False))
    return out


# ---------------------------------------------------------------- reductions and products

def _gemm(a, b, c, alpha, beta, ta, tb):
    y = alpha * ((a.t() if ta else a) @ (b.t() if tb else b))
    return y + beta * c if c is not None else y


def matrix_cases():
    out = []
    x = rnd([2, 3, 4, 5])
    for axes, keep in (([1], True), ([-1, -2], False), ([0, 2], True), (None, False), (None, True), ([-3], False)):
        dims = tuple(range(4)) if axes is None else tuple(axes)
        out.append(case(f'reduceMean axes {axes} keepdims {keep}', 'reduceMean', {'axes': axes, 'keepdims': keep},
                        [x], lambda v, d=dims, k=keep: v.mean(dim=d, keepdim=k)))
    out.append(case('reduceMean float32', 'reduceMean', {'axes': [2, 3], 'keepdims': True}, [rnd([2, 3, 4, 4], 'float32')],
                    lambda v: v.mean(dim=(2, 3), keepdim=True)))
    out.append(case('reduceMean repeated axis', 'reduceMean', {'axes': [1, -3], 'keepdims': True}, [x],
                    lambda v: v.mean(dim=(1, -3), keepdim=True), grad=False))
    for ta in (False, True):
        for tb in (False, True):
            a = rnd([4, 3] if ta else [3, 4])
            b = rnd([5, 4] if tb else [4, 5])
            out.append(case(f'gemm transA {ta} transB {tb} vector bias', 'gemm',
                            {'alpha': 0.5, 'beta': 2.0, 'transA': ta, 'transB': tb}, [a, b, rnd([5])],
                            lambda a, b, c, ta=ta, tb=tb: _gemm(a, b, c, 0.5, 2.0, ta, tb)))
    out.append(case('gemm no C (Linear)', 'gemm', {'transB': True}, [rnd([3, 4]), rnd([6, 4])],
                    lambda a, b: _gemm(a, b, None, 1, 1, False, True)))
    out.append(case('gemm C [3, 1] float32', 'gemm', {}, [rnd([3, 4], 'float32'), rnd([4, 2], 'float32'),
                                                           rnd([3, 1], 'float32')],
                    lambda a, b, c: _gemm(a, b, c, 1, 1, False, False)))
    out.append(case('gemm shapes that do not multiply', 'gemm', {}, [rnd([3, 4]), rnd([5, 2])],
                    lambda a, b: a @ b, grad=False))
    mm = [('2-D', [3, 4], [4, 2]), ('1-D @ 2-D', [4], [4, 3]), ('2-D @ 1-D', [3, 4], [4]), ('1-D @ 1-D', [4], [4]),
          ('batched', [2, 3, 4], [2, 4, 5]), ('batch broadcast', [2, 1, 3, 4], [3, 4, 2]),
          ('batched @ 2-D', [2, 3, 4], [4, 2]), ('1-D @ batched', [4], [2, 4, 3])]
    for label, sa, sb in mm:
        out.append(case(f'matmul {label}', 'matmul', {}, [rnd(sa), rnd(sb)], torch.matmul))
    out.append(case('matmul float32 batched', 'matmul', {}, [rnd([2, 3, 4], 'float32'), rnd([4, 5], 'float32')],
                    torch.matmul))
    out.append(case('matmul shapes that do not multiply', 'matmul', {}, [rnd([3, 4]), rnd([5, 2])], torch.matmul,
                    grad=False))
    return out


# ---------------------------------------------------------------- shape ops

def _onnx_slice(v, starts, ends, axes, steps):
    """Slice as ONNX defines it, with torch indexing (negative steps by flipping)."""
    for s, e, a, st in zip(starts, ends, axes, steps):
        d = v.shape[a]
        s = s + d if s < 0 else s
        e = e + d if e < 0 else e
        if st > 0:
            s, e = min(max(s, 0), d), min(max(e, 0), d)
            idx = torch.arange(s, e, st) if e > s else torch.arange(0)
        else:
            s, e = min(max(s, 0), d - 1), min(max(e, -1), d - 1)
            idx = torch.arange(s, e, st) if s > e else torch.arange(0)
        v = v.index_select(a, idx)
    return v


def shape_cases():
    out = []
    x = rnd([2, 3, 4])
    out.append(case('reshape with 0 and -1', 'reshape', {'shape': [0, -1]}, [x], lambda v: v.reshape(2, 12)))
    out.append(case('reshape mismatch', 'reshape', {'shape': [5, -1]}, [x], lambda v: v.reshape(5, -1), grad=False))
    out.append(case('flatten axis 2', 'flatten', {'axis': 2}, [x], lambda v: v.reshape(6, 4)))
    out.append(case('flatten axis -1', 'flatten', {'axis': -1}, [x], lambda v: v.reshape(6, 4)))
    out.append(case('flatten axis 0', 'flatten', {'axis': 0}, [x], lambda v: v.reshape(1, 24)))
    out.append(case('transpose (2, 0, 1)', 'transpose', {'perm': [2, 0, 1]}, [x], lambda v: v.permute(2, 0, 1)))
    out.append(case('transpose default reverses', 'transpose', {'perm': None}, [rnd([2, 3, 4, 2])],
                    lambda v: v.permute(3, 2, 1, 0)))
    out.append(case('concat axis 1', 'concat', {'axis': 1}, [rnd([2, 1, 3]), rnd([2, 4, 3]), rnd([2, 2, 3])],
                    lambda *v: torch.cat(v, 1)))
    out.append(case('concat axis -1', 'concat', {'axis': -1}, [rnd([2, 2]), rnd([2, 3])], lambda *v: torch.cat(v, -1)))
    out.append(case('concat sizes do not match', 'concat', {'axis': 1}, [rnd([2, 3, 4]), rnd([2, 3, 5])],
                    lambda *v: torch.cat(v, 1), grad=False))
    y = rnd([4, 5, 6])
    for label, s, e, a, st in (
            ('negative steps', [-1, 4], [-100, 0], [1, 2], [-2, -1]),
            ('INT_MAX end, negative start', [-3], [2 ** 63 - 1], [0], [1]),
            ('clamped start and INT_MIN end, step -1', [10], [-2 ** 63], [2], [-1]),
            ('empty result', [3], [1], [1], [1]),
            ('step 3 on two axes', [0, 1], [6, 6], [2, 0], [3, 2])):
        out.append(case(f'slice {label}', 'slice', {'starts': s, 'ends': e, 'axes': a, 'steps': st}, [y],
                        lambda v, s=s, e=e, a=a, st=st: _onnx_slice(v, s, e, a, st)))
    out.append(case('split variable sizes', 'split', {'axis': 1, 'sizes': [1, 3, 1]}, [rnd([2, 5, 2])],
                    lambda v: torch.split(v, [1, 3, 1], 1)))
    out.append(case('split equal parts axis -1', 'split', {'axis': -1, 'sizes': 3}, [rnd([2, 6])],
                    lambda v: torch.split(v, 2, -1)))
    out.append(case('unsqueeze negative and unsorted axes', 'unsqueeze', {'axes': [-1, 0]}, [x],
                    lambda v: v.reshape(1, 2, 3, 4, 1)))
    out.append(case('squeeze given axes', 'squeeze', {'axes': [0, -1]}, [rnd([1, 3, 1, 2, 1])],
                    lambda v: v.reshape(3, 1, 2)))
    out.append(case('squeeze every unit axis', 'squeeze', {'axes': None}, [rnd([1, 3, 1, 2, 1])],
                    lambda v: v.reshape(3, 2)))
    z = rnd([3, 4])
    idx = torch.tensor([[2, -1], [0, 2]], dtype=torch.int64)
    out.append(case('gather axis 0 negative and repeated indices', 'gather', {'axis': 0}, [z, idx],
                    lambda v, i: v[i % 3]))
    out.append(case('gather axis -1 negative indices', 'gather', {'axis': -1},
                    [z, torch.tensor([3, -4, 1], dtype=torch.int64)], lambda v, i: v[:, i % 4]))
    out.append(case('gather index out of range', 'gather', {'axis': 0}, [z, torch.tensor([3], dtype=torch.int64)],
                    lambda v, i: v[i], grad=False))
    p = rnd([1, 2, 3, 4])
    out.append(case('pad constant value', 'pad', {'pads': [0, 0, 1, 2, 0, 0, 2, 1], 'value': 1.5}, [p],
                    lambda v: F.pad(v, (2, 1, 1, 2), value=1.5)))
    out.append(case('pad negative pads crop', 'pad', {'pads': [0, 0, -1, 1, 0, 0, 0, -2], 'value': 0.0}, [p],
                    lambda v: F.pad(v, (1, -2, -1, 0))))
    return out
