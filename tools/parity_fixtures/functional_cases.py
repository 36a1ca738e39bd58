"""Fixtures for torch.nn.functional.batch_norm: checks and their order (item 5), numbers and gradients."""
import torch
import torch.nn.functional as F

from common import capture, dec, enc, gen_input, gen_vector


def _vec(seed, n, center, spread, positive=False):
    v = gen_vector(seed, n, 'float64', center, spread)
    return v.abs() + 0.1 if positive else v


def fn_case(name, shape, rm, rv, w, b, training, momentum=0.1, eps=1e-5, grad=True, seed=0):
    x = gen_input(500 + seed, shape, 'float64')
    g = gen_input(900 + seed, shape, 'float64', 1.0, 0.0) if grad else None
    spec = {'name': name, 'input': enc(x), 'gradOut': enc(g),
            'runningMean': enc(rm), 'runningVar': enc(rv), 'weight': enc(w), 'bias': enc(b),
            'training': training, 'momentum': momentum, 'eps': eps}
    rm_t = None if rm is None else rm.clone()
    rv_t = None if rv is None else rv.clone()
    w_t = None if w is None else w.clone().requires_grad_(grad)
    b_t = None if b is None else b.clone().requires_grad_(grad)
    if grad:
        x.requires_grad_(True)
    y, err = capture(lambda: F.batch_norm(x, rm_t, rv_t, w_t, b_t, training, momentum, eps))
    if err:
        spec['expect'] = {'error': err}
        return spec
    exp = {'output': enc(y), 'runningMean': enc(rm_t), 'runningVar': enc(rv_t)}
    if grad:
        y.backward(g)
        exp['gradInput'] = enc(x.grad)
        exp['gradWeight'] = None if w_t is None else enc(w_t.grad)
        exp['gradBias'] = None if b_t is None else enc(b_t.grad)
    spec['expect'] = exp
    return spec


def functional_cases():
    c = 10
    rm, rv = _vec(1, c, 0, 0.5), _vec(2, c, 1.0, 0.5, positive=True)
    w, b = _vec(3, c, 1.0, 0.3), _vec(4, c, 0.0, 0.2)
    bad = {'rm': _vec(5, 9, 0, 1), 'rv': _vec(6, 9, 1, 0.2, positive=True), 'w': _vec(7, 9, 1, 0.3),
           'b': _vec(8, 9, 0, 0.2)}
    cases = []
    seed = 0
    # Each wrong-sized argument alone, then pairs: the first in PyTorch's order wins.
    for wrong in (['rm'], ['rv'], ['w'], ['b'], ['rm', 'rv'], ['rv', 'w'], ['w', 'b'], ['rm', 'rv', 'w', 'b']):
        for training in (True, False):
            seed += 1
            args = {'rm': rm, 'rv': rv, 'w': w, 'b': b}
            for k in wrong:
                args[k] = bad[k]
            cases.append(fn_case(f'wrong size {"+".join(wrong)} training={training}', (4, c), args['rm'], args['rv'],
                                 args['w'], args['b'], training, grad=False, seed=seed))
    cases.append(fn_case('eval without running stats', (4, c), None, None, w, b, False, grad=False, seed=30))
    cases.append(fn_case('eval with running_mean only', (4, c), rm, None, w, b, False, grad=False, seed=31))
    cases.append(fn_case('training one value per channel', (1, c), rm, rv, w, b, True, grad=False, seed=32))
    cases.append(fn_case('training one value per channel 3D', (1, c, 1), None, None, None, None, True, grad=False,
                         seed=33))
    cases.append(fn_case('eval one value per channel is fine', (1, c), rm, rv, w, b, False, seed=34))
    cases.append(fn_case('training with buffers', (6, c), rm, rv, w, b, True, 0.1, seed=40))
    cases.append(fn_case('training with buffers 3D input, momentum 0.7', (3, c, 4), rm, rv, w, b, True, 0.7, seed=41))
    cases.append(fn_case('training without buffers', (6, c, 2), None, None, w, b, True, seed=42))
    cases.append(fn_case('training without weight/bias', (6, c), rm, rv, None, None, True, 0.2, 1e-3, seed=43))
    cases.append(fn_case('eval with buffers', (5, c, 2, 2), rm, rv, w, b, False, seed=44))
    cases.append(fn_case('eval with bias only', (5, c), rm, rv, None, b, False, seed=45))
    cases.append(fn_case('training with weight only, eps 0.5', (5, c), rm, rv, w, None, True, 0.1, 0.5, seed=46))
    cases.append(fn_case('training, zero batch', (0, c, 3), rm, rv, w, b, True, seed=47))
    return cases


def mixed_dtype_cases():
    """Tensors of different float dtypes in one call: PyTorch refuses every combination (RuntimeError).
    The texts are 1.13's ATen messages ("mixed dtype (CPU): ..."), which differ between versions."""
    c = 3
    f32 = lambda t: None if t is None else t.float()  # noqa: E731
    rm, rv = _vec(1, c, 0, 0.5), _vec(2, c, 1.0, 0.5, positive=True)
    w = _vec(3, c, 1.0, 0.3)
    fns = [
        fn_case('float64 input, float32 running stats, training', (4, c), f32(rm), f32(rv), None, None, True,
                grad=False, seed=60),
        fn_case('float64 input, float32 weight, no running stats', (4, c), None, None, f32(w), None, True, grad=False,
                seed=61),
        fn_case('float64 input, float32 running stats, eval', (4, c), f32(rm), f32(rv), None, None, False, grad=False,
                seed=62),
    ]
    x32 = fn_case('float32 input, float64 weight', (4, c), None, None, w, None, True, grad=False, seed=63)
    x32['input'] = enc(dec(x32['input']).float())
    x32['expect'] = {'error': capture(lambda: F.batch_norm(dec(x32['input']), None, None, w, None, True))[1]}
    fns.append(x32)
    return fns


def one_dim_cases():
    """1-D input to F.batch_norm (modules never pass one: their dimension checks fire first). PyTorch
    1.13 reads C from a dimension that is not there and reports a size mismatch with 0 elements."""
    c = 3
    rm, rv = _vec(1, c, 0, 0.5), _vec(2, c, 1.0, 0.5, positive=True)
    return [fn_case(f'1-D input, training={tr}', (c,), rm, rv, None, None, tr, grad=False, seed=70 + tr)
            for tr in (False, True)]
