"""Shared helpers for the parity fixture generator and the live differential oracle.

Everything here turns torch objects into plain JSON: tensors become {dtype, shape, data} with data a
flat list of Python floats/ints (floats written with repr, so float64 round-trips exactly and float32
values are stored as the exact double of the float32), errors become {type, message}.
"""
import base64
import math

import numpy as np
import torch

DTYPES = {
    'float32': torch.float32,
    'float64': torch.float64,
    'float16': torch.float16,
    'int64': torch.int64,
}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}

# The live oracle sets this: tensors with at least this many elements travel as base64 of their
# little-endian bytes ({dtype, shape, b64}) instead of decimal lists. Fixtures keep decimals (None).
BINARY_MIN = None
_NP = {'float32': np.float32, 'float64': np.float64, 'int64': np.int64}


def dtype_name(dt):
    return DTYPE_NAMES.get(dt, str(dt).replace('torch.', ''))


def enc(t):
    """Tensor → {dtype, shape, data}; None stays None.

    float32/float16 values are written as the shortest decimal that rounds back to the same float32
    (numpy's repr), which is exact once the reader stores them in a Float32Array, and half the size of
    the full double expansion. float64 values use Python's repr (exact round trip)."""
    if t is None:
        return None
    t = t.detach()
    name = dtype_name(t.dtype)
    if BINARY_MIN is not None and t.numel() >= BINARY_MIN and name in _NP:
        raw = t.contiguous().numpy().astype(np.dtype(_NP[name]).newbyteorder('<'), copy=False).tobytes()
        return {'dtype': name, 'shape': list(t.shape), 'b64': base64.b64encode(raw).decode('ascii')}
    flat = t.reshape(-1).tolist()
    for v in flat:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError('fixtures must hold finite values only')
    if t.dtype in (torch.float32, torch.float16):
        flat = [float(str(np.float32(v))) for v in flat]
    return {'dtype': dtype_name(t.dtype), 'shape': list(t.shape), 'data': flat}


def dec(d):
    """{dtype, shape, data} → tensor (the inverse of enc)."""
    if d is None:
        return None
    if 'b64' in d:
        arr = np.frombuffer(base64.b64decode(d['b64']), dtype=np.dtype(_NP[d['dtype']]).newbyteorder('<'))
        return torch.from_numpy(arr.astype(_NP[d['dtype']])).reshape(d['shape'])
    return torch.tensor(d['data'], dtype=DTYPES[d['dtype']]).reshape(d['shape'])


def capture(fn):
    """Runs fn; returns (result, None) or (None, {type, message})."""
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - recording the oracle's exception is the point
        return None, {'type': type(e).__name__, 'message': str(e)}


def gen_input(seed, shape, dtype, scale=2.0, shift=0.5):
    """Deterministic input: per-channel shifted and scaled normal values, cast to dtype."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    if len(shape) >= 2 and shape[1] > 0:
        c = shape[1]
        view = [1, c] + [1] * (len(shape) - 2)
        ch = torch.arange(c, dtype=torch.float64).reshape(view)
        x = x * (scale * (1 + 0.25 * ch)) + shift * (ch - c / 2)
    # Inputs are arbitrary: keep 4 decimals so the committed JSON stays small (exact in float64).
    x = torch.round(x * 1e4) / 1e4
    return x.to(DTYPES[dtype])


def gen_vector(seed, n, dtype, center, spread):
    g = torch.Generator().manual_seed(seed)
    v = center + spread * torch.randn(n, generator=g, dtype=torch.float64)
    return (torch.round(v * 1e4) / 1e4).to(DTYPES[dtype])


def module_state(m):
    """The BatchNorm attributes a test compares after each step."""
    nbt = getattr(m, 'num_batches_tracked', None)
    return {
        'weight': enc(m.weight) if isinstance(m.weight, torch.Tensor) else None,
        'bias': enc(m.bias) if isinstance(m.bias, torch.Tensor) else None,
        'runningMean': enc(m.running_mean),
        'runningVar': enc(m.running_var),
        'numBatchesTracked': None if nbt is None else int(nbt.item()),
        'numBatchesTrackedDtype': None if nbt is None else dtype_name(nbt.dtype),
    }


def state_dict_entries(sd, values=True):
    """OrderedDict → [{key, dtype, shape, data?}] in order."""
    out = []
    for k, v in sd.items():
        e = {'key': k, 'dtype': dtype_name(v.dtype), 'shape': list(v.shape)}
        if values:
            e['data'] = v.detach().reshape(-1).tolist()
        out.append(e)
    return out


def metadata_of(sd):
    md = getattr(sd, '_metadata', None)
    if md is None:
        return None
    return {k: dict(v) for k, v in md.items()}
