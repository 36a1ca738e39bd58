"""Scenario fixtures for checklist items 2-7 and PyTorch's own module tests.

Every case is a scenario (see scenario.py) whose steps get an `expect` filled in by real PyTorch.
Seeds are fixed, so rerunning the generator writes the same files.
"""
from common import enc, gen_input, gen_vector
from scenario import run_scenario, run_scenario_f64_reference

_seed = [1000]


def next_seed():
    _seed[0] += 1
    return _seed[0]


def fwd(mode, shape, dtype='float64', grad=True, scale=2.0, shift=0.5, accumulate=False):
    s = next_seed()
    step = {'op': 'forward', 'mode': mode, 'input': enc(gen_input(s, shape, dtype, scale, shift))}
    step['gradOut'] = enc(gen_input(s + 50000, shape, dtype, 1.0, 0.0)) if grad else None
    if accumulate:
        step['accumulate'] = True
    return step


def affine_init(c, dtype, stats=False):
    s = next_seed()
    init = {'weight': enc(gen_vector(s, c, dtype, 1.0, 0.3)), 'bias': enc(gen_vector(s + 1, c, dtype, 0.0, 0.2))}
    if stats:
        init['runningMean'] = enc(gen_vector(s + 2, c, dtype, 0.0, 0.5))
        init['runningVar'] = enc(gen_vector(s + 3, c, dtype, 1.5, 0.2))
        init['numBatchesTracked'] = 5
    return init


def case(name, area, cls, args, steps, init=None):
    spec = {'name': name, 'area': area, 'class': cls, 'args': args, 'init': init, 'steps': steps}
    for step, res in zip(steps, run_scenario(spec)):
        step['expect'] = res
    return spec


def case_f64_reference(name, area, cls, args, steps, init=None):
    """A float32 case whose expectations are PyTorch's float64 results on the same (float32) inputs,
    rounded to float32. Used where PyTorch's own float32 path drifts by ~1e-5 (large channel offsets:
    its float32 backward loses digits that the engine's double accumulation keeps), so the fixture
    holds the exact answer rather than 1.13's float32 rounding noise."""
    spec = {'name': name, 'area': area, 'class': cls, 'args': args, 'init': init, 'steps': steps}
    for step, res in zip(steps, run_scenario_f64_reference(spec)):
        step['expect'] = res
    return {'name': name, 'area': area, 'class': cls, 'args': args, 'init': init, 'steps': steps,
            'reference': 'PyTorch float64 on the float32 inputs, rounded to float32'}


SHAPES = {
    'BatchNorm1d': [(6, 4), (4, 4, 5)],
    'BatchNorm2d': [(3, 4, 3, 2)],
    'BatchNorm3d': [(2, 4, 2, 3, 2)],
    'SyncBatchNorm': [(5, 4), (3, 4, 4), (2, 4, 3, 2)],
}
CLASSES = ['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'SyncBatchNorm']


def input_checks():
    cases = []
    bad_dims = {'BatchNorm1d': [(10,), (2, 10, 2, 2)], 'BatchNorm2d': [(2, 10), (2, 10, 3), (2, 10, 1, 2, 2)],
                'BatchNorm3d': [(2, 10, 2, 2), (2, 10)], 'SyncBatchNorm': [(10,)]}
    for cls, shapes in bad_dims.items():
        for shape in shapes:
            for mode in ('train', 'eval'):
                cases.append(case(f'{cls} rejects {len(shape)}D input in {mode}', 2, cls, {'numFeatures': 10},
                                  [fwd(mode, shape, 'float32', grad=False)]))
    cases.append(case('SyncBatchNorm rejects zero channels', 2, 'SyncBatchNorm', {'numFeatures': 10},
                      [fwd('train', (4, 0, 3), 'float32', grad=False)]))
    one_value = {'BatchNorm1d': [(1, 10), (1, 10, 1)], 'BatchNorm2d': [(1, 10, 1, 1)], 'BatchNorm3d': [(1, 10, 1, 1, 1)],
                 'SyncBatchNorm': [(1, 10), (1, 10, 1)]}
    for cls, shapes in one_value.items():
        for shape in shapes:
            # Training refuses one value per channel, after bumping the counter (seed order); eval never checks.
            cases.append(case(f'{cls} one value per channel {shape} bumps counter then raises', 2, cls,
                              {'numFeatures': 10, 'dtype': 'float64'},
                              [fwd('train', shape, 'float64', grad=False), fwd('eval', shape, 'float64'),
                               fwd('train', shape, 'float64', grad=False)]))
    cases.append(case('one value per channel without tracking raises, no counter', 2, 'BatchNorm1d',
                      {'numFeatures': 10, 'trackRunningStats': False, 'dtype': 'float64'},
                      [fwd('train', (1, 10), 'float64', grad=False), fwd('eval', (1, 10), 'float64')]))
    for m in (1.5, -0.5, 0.0, 1.0):
        cases.append(case(f'momentum {m} is not validated', 2, 'BatchNorm1d', {'numFeatures': 3, 'momentum': m,
                                                                             'dtype': 'float64'},
                          [fwd('train', (5, 3), 'float64'), fwd('train', (5, 3), 'float64')]))
    # An input whose channel count differs from the module's: the size checks fire (after the counter
    # bump in training); an empty batch skips them.
    for cls, shape in (('BatchNorm2d', (2, 4, 2, 2)), ('BatchNorm1d', (3, 4)), ('SyncBatchNorm', (3, 4, 2))):
        for track in (True, False):
            cases.append(case(f'{cls} with 3 features on {shape} track={track}', 5, cls,
                              {'numFeatures': 3, 'trackRunningStats': track, 'dtype': 'float64'},
                              [fwd('train', shape, 'float64', grad=False), fwd('eval', shape, 'float64', grad=False)]))
        empty = (0,) + shape[1:]
        cases.append(case(f'{cls} with 3 features on an empty {empty} batch skips the size checks', 5, cls,
                          {'numFeatures': 3, 'dtype': 'float64'},
                          [fwd('train', empty, 'float64'), fwd('eval', empty, 'float64')]))
    # Size checks in the module: a wrong-sized buffer assigned after construction.
    for name in ('runningMean', 'runningVar'):
        bad = enc(gen_vector(next_seed(), 9, 'float64', 0.0, 1.0).abs())
        cases.append(case(f'module {name} of 9 elements raises after the counter bump', 5, 'BatchNorm1d',
                          {'numFeatures': 10, 'dtype': 'float64'},
                          [{'op': 'setBuffer', 'name': name, 'value': bad}, fwd('train', (4, 10), 'float64', grad=False),
                           fwd('eval', (4, 10), 'float64', grad=False)]))
    return cases


def forward_train():
    cases = []
    for i, mom in enumerate((0.1, 0.3, 0.7, 0.8)):
        for cls in CLASSES:
            for shape in SHAPES[cls][:1]:
                c = shape[1]
                dt = 'float64' if (i + len(shape)) % 2 == 0 else 'float32'
                cases.append(case(f'{cls} {shape} momentum {mom} {dt}: train, train, eval', 3, cls,
                                  {'numFeatures': c, 'momentum': mom, 'dtype': dt},
                                  [fwd('train', shape, dt), fwd('train', shape, dt), fwd('eval', shape, dt)],
                                  init=affine_init(c, dt)))
    for cls in CLASSES:
        for shape in SHAPES[cls]:
            c = shape[1]
            cases.append(case(f'{cls} {shape} momentum None averages three batches', 3, cls,
                              {'numFeatures': c, 'momentum': None, 'dtype': 'float64'},
                              [fwd('train', shape), fwd('train', shape), fwd('train', shape), fwd('eval', shape)],
                              init=affine_init(c, 'float64')))
    cases.append(case('reset running stats and parameters, then cumulative average restarts', 3, 'BatchNorm2d',
                      {'numFeatures': 4, 'momentum': None, 'dtype': 'float64'},
                      [fwd('train', (3, 4, 3, 2)), fwd('train', (3, 4, 3, 2)), {'op': 'resetRunningStats'},
                       fwd('train', (3, 4, 3, 2)), {'op': 'resetParameters'}, fwd('eval', (3, 4, 3, 2))],
                      init=affine_init(4, 'float64')))
    cases.append(case('momentum changed between steps', 3, 'BatchNorm1d', {'numFeatures': 4, 'dtype': 'float64'},
                      [fwd('train', (6, 4)), {'op': 'set', 'attr': 'momentum', 'value': None}, fwd('train', (6, 4)),
                       {'op': 'set', 'attr': 'momentum', 'value': 0.5}, fwd('train', (6, 4))]))
    for cls in CLASSES:
        shape = SHAPES[cls][-1]
        c = shape[1]
        cases.append(case(f'{cls} {shape} flips train/eval between steps', 3, cls,
                          {'numFeatures': c, 'momentum': 0.2, 'dtype': 'float64'},
                          [fwd('train', shape), fwd('eval', shape), fwd('train', shape), fwd('eval', shape),
                           fwd('train', shape)], init=affine_init(c, 'float64')))
    return cases


def forward_eval():
    cases = []
    for cls in CLASSES:
        for shape in SHAPES[cls]:
            c = shape[1]
            for affine in (True, False) if shape == SHAPES[cls][0] else (True,):
                init = affine_init(c, 'float64', stats=True)
                if not affine:
                    init = {k: v for k, v in init.items() if k not in ('weight', 'bias')}
                cases.append(case(f'{cls} {shape} affine={affine} eval with loaded running stats, then train, eval', 4,
                                  cls, {'numFeatures': c, 'affine': affine, 'dtype': 'float64'},
                                  [fwd('eval', shape), fwd('train', shape), fwd('eval', shape)], init=init))
            cases.append(case(f'{cls} {shape} track_running_stats=False uses batch stats in both modes', 4, cls,
                              {'numFeatures': c, 'trackRunningStats': False, 'dtype': 'float64'},
                              [fwd('train', shape), fwd('eval', shape), fwd('train', shape)],
                              init={k: v for k, v in affine_init(c, 'float64').items()}))
    for cls in CLASSES:
        shape = SHAPES[cls][0]
        c = shape[1]
        cases.append(case(f'{cls} track_running_stats flipped off after construction: train ignores buffers, '
                          'eval uses them', 4, cls, {'numFeatures': c, 'dtype': 'float64'},
                          [fwd('train', shape), {'op': 'set', 'attr': 'trackRunningStats', 'value': False},
                           fwd('train', shape), fwd('eval', shape),
                           {'op': 'set', 'attr': 'trackRunningStats', 'value': True}, fwd('train', shape)],
                          init=affine_init(c, 'float64')))
    return cases


def zero_batch():
    cases = []
    shapes = {'BatchNorm1d': [(0, 5), (0, 5, 9)], 'BatchNorm2d': [(0, 5, 2, 2)], 'BatchNorm3d': [(0, 5, 2, 2, 2)],
              'SyncBatchNorm': [(0, 5), (0, 5, 3)]}
    for cls, ss in shapes.items():
        for shape in ss:
            for dt in ('float32', 'float64'):
                cases.append(case(f'{cls} zero batch {shape} {dt}: empty output, counter +1, zero grads', 5, cls,
                                  {'numFeatures': 5, 'dtype': dt},
                                  [fwd('train', shape, dt), fwd('eval', shape, dt)],
                                  init=affine_init(5, dt, stats=True)))
    return cases


def backward():
    cases = []
    for cls in CLASSES:
        for shape in SHAPES[cls]:
            c = shape[1]
            for affine in (True, False):
                for track in (True, False):
                    init = affine_init(c, 'float64', stats=track)
                    if not affine:
                        init = {k: v for k, v in init.items() if k not in ('weight', 'bias')}
                    cases.append(case(f'{cls} {shape} backward affine={affine} track={track}', 6, cls,
                                      {'numFeatures': c, 'affine': affine, 'trackRunningStats': track,
                                       'dtype': 'float64'},
                                      [fwd('train', shape), fwd('eval', shape)], init=init))
    for cls in CLASSES:
        shape = SHAPES[cls][0]
        c = shape[1]
        for dt in ('float32', 'float64'):
            cases.append(case(f'{cls} {shape} {dt} weight/bias grads accumulate over train, train, eval backward', 6,
                              cls, {'numFeatures': c, 'dtype': dt},
                              [fwd('train', shape, dt), fwd('train', shape, dt, accumulate=True),
                               fwd('eval', shape, dt, accumulate=True)], init=affine_init(c, dt)))
    return cases


def dtypes():
    cases = []
    for dt in ('float32', 'float64'):
        for cls in CLASSES:
            shape = SHAPES[cls][-1]
            c = shape[1]
            make = case_f64_reference if dt == 'float32' else case
            label = ' (expected: float64 reference, PyTorch float32 drifts ~1e-5)' if dt == 'float32' else ''
            cases.append(make(f'{cls} {shape} {dt} with a large offset (accumulation precision){label}', 7, cls,
                              {'numFeatures': c, 'momentum': 0.1, 'dtype': dt},
                              [fwd('train', shape, dt, shift=40.0), fwd('train', shape, dt, shift=40.0),
                               fwd('eval', shape, dt, shift=40.0)], init=affine_init(c, dt)))
            cases.append(case(f'{cls} {shape} {dt} eps=1e-3 momentum None', 7, cls,
                              {'numFeatures': c, 'eps': 1e-3, 'momentum': None, 'dtype': dt},
                              [fwd('train', shape, dt), fwd('train', shape, dt), fwd('eval', shape, dt)]))
    return cases


# PyTorch's own module tests (torch/testing/_internal/common_nn.py), constructor (C, eps, momentum, affine, track).
MODULE_TESTS = [
    ('BatchNorm1d', (10,), (4, 10), 'affine'),
    ('BatchNorm1d', (5,), (4, 5, 3), '3d_input'),
    ('BatchNorm1d', (10, 1e-3, None), (4, 10), 'affine_simple_average'),
    ('BatchNorm1d', (10, 1e-3, 0.3, False), (4, 10), 'not_affine'),
    ('BatchNorm1d', (10, 1e-3, 0.3, True, False), (4, 10), 'not_tracking_stats'),
    ('BatchNorm1d', (5, 1e-3, 0.3, False), (4, 5, 3), '3d_input_not_affine'),
    ('BatchNorm1d', (5, 1e-3, 0.3, False), (0, 5, 9), 'zero_batch'),
    ('BatchNorm2d', (3,), (2, 3, 6, 6), ''),
    ('BatchNorm2d', (3, 1e-3, None), (2, 3, 6, 6), '2d_simple_average'),
    ('BatchNorm2d', (3, 1e-3, 0.8), (2, 3, 6, 6), 'momentum'),
    ('BatchNorm2d', (3, 1e-3, 0.8, False), (2, 3, 6, 6), 'not_affine'),
    ('BatchNorm2d', (3, 1e-3, 0.8, True, False), (2, 3, 6, 6), 'not_tracking_stats'),
    ('BatchNorm2d', (5, 1e-3, 0.3, False), (0, 5, 2, 2), 'zero_batch'),
    ('BatchNorm3d', (3,), (2, 3, 4, 4, 4), ''),
    ('BatchNorm3d', (3, 1e-3, None), (2, 3, 4, 4, 4), '3d_simple_average'),
    ('BatchNorm3d', (3, 1e-3, 0.7), (2, 3, 4, 4, 4), 'momentum'),
    ('BatchNorm3d', (3, 1e-3, 0.7, False), (2, 3, 4, 4, 4), 'not_affine'),
    ('BatchNorm3d', (3, 1e-3, 0.7, True, False), (2, 3, 4, 4, 4), 'not_tracking_stats'),
    ('BatchNorm3d', (5, 1e-3, 0.3, False), (0, 5, 2, 2, 2), 'zero_batch'),
]


def module_tests():
    cases = []
    names = ('numFeatures', 'eps', 'momentum', 'affine', 'trackRunningStats')
    for cls, ctor, shape, desc in MODULE_TESTS:
        args = dict(zip(names, ctor))
        args['dtype'] = 'float64'
        # check_eval=True in PyTorch's table: a training forward/backward, then eval forward/backward.
        cases.append(case(f'test_{cls}{"_" + desc if desc else ""} {ctor} on {shape}', 'module_tests', cls, args,
                          [fwd('train', shape, scale=1.0, shift=0.0), fwd('eval', shape, scale=1.0, shift=0.0)]))
    return cases


def mixed_dtype_modules():
    """A module of one dtype given an input of the other: PyTorch raises a RuntimeError (1.13's ATen text)."""
    cases = []
    for mod_dt, in_dt in (('float32', 'float64'), ('float64', 'float32')):
        for affine, track in ((True, True), (False, True), (True, False)):
            cases.append(case(f'BatchNorm1d {mod_dt} affine={affine} track={track} given {in_dt} input', 'mixed', 'BatchNorm1d',
                              {'numFeatures': 3, 'affine': affine, 'trackRunningStats': track, 'dtype': mod_dt},
                              [fwd('train', (4, 3), in_dt, grad=False), fwd('eval', (4, 3), in_dt, grad=False)]))
    return cases
