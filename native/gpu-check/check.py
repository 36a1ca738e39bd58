"""NormScope CUDA kernels against PyTorch on the GPU, through the C ABI (ctypes on libnormscope.so).

usage: check.py LIBNORMSCOPE.so OUT.json

1. Correctness: forward-train (y, saved mean/invstd, running stats), forward-eval, backward
   (Σdy, Σ(x−mean)·dy, dx, and the weight/bias grads they give) against torch.nn.functional.batch_norm
   and autograd on CUDA tensors, float32 and float64. The kernels run on the torch tensors' device
   memory (ns_cudadev_*). Tolerance: max |a−b|/max(1,|b|) ≤ 1e-5 (float32), 1e-6 (float64).
2. Timing: CUDA events around each op (ours vs PyTorch/cuDNN), achieved bandwidth from the traffic
   floors (train forward 3·s, eval forward 2·s, backward 5·s bytes per element) against the copy
   bandwidth measured on the same tensor (x → y, 2·s bytes per element) and the largest one measured.
"""
import ctypes
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

LIB, OUT = sys.argv[1], sys.argv[2]
# --cpu-dry-run: the same checks on the CPU kernels and CPU tensors, no timing (tests this script
# on a machine without a GPU; the CPU entry points take the same arguments as the ns_cudadev_ ones).
DRY = "--cpu-dry-run" in sys.argv
PREFIX = "ns_cpu_" if DRY else "ns_cudadev_"
lib = ctypes.CDLL(LIB)
P, I, D = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double
lib.ns_last_error.restype = ctypes.c_char_p
for suf in ("f32", "f64"):
    getattr(lib, f"{PREFIX}forward_train_{suf}").argtypes = [P, P, I, I, I, P, P, P, P, D, D, P, P]
    getattr(lib, f"{PREFIX}forward_eval_{suf}").argtypes = [P, P, I, I, I, P, P, P, P]
    getattr(lib, f"{PREFIX}backward_reduce_{suf}").argtypes = [P, P, I, I, I, P, P, P]
    getattr(lib, f"{PREFIX}backward_elemt_{suf}").argtypes = [P, P, P, I, I, I, P, P, P, P, P, D]

dev = torch.device("cpu" if DRY else "cuda")
EPS, MOM = 1e-5, 0.1
SUF = {torch.float32: "f32", torch.float64: "f64"}
TOL = {torch.float32: 1e-5, torch.float64: 1e-6}


def p(t):
    return None if t is None else t.data_ptr()


def ok(rc):
    if rc != 0:
        raise RuntimeError(f"kernel failed ({rc}): {lib.ns_last_error().decode()}")


def ncs(shape):
    s = 1
    for d in shape[2:]:
        s *= d
    return shape[0], shape[1], s


def rel(a, b):
    a, b = a.double(), b.double()
    if a.numel() == 0:
        return 0.0
    return float(((a - b).abs() / b.abs().clamp_min(1.0)).max())


class Ours:
    def __init__(self, dtype):
        self.s = SUF[dtype]

    def train(self, x, y, w, b, rm, rv, mean, inv):
        n, c, s = ncs(x.shape)
        ok(getattr(lib, f"{PREFIX}forward_train_{self.s}")(p(x), p(y), n, c, s, p(w), p(b), p(rm), p(rv), MOM, EPS, p(mean), p(inv)))

    def eval(self, x, y, w, b, mean, inv):
        n, c, s = ncs(x.shape)
        ok(getattr(lib, f"{PREFIX}forward_eval_{self.s}")(p(x), p(y), n, c, s, p(w), p(b), p(mean), p(inv)))

    def backward(self, dy, x, dx, mean, inv, w, s1, s2):
        n, c, s = ncs(x.shape)
        ok(getattr(lib, f"{PREFIX}backward_reduce_{self.s}")(p(dy), p(x), n, c, s, p(mean), p(s1), p(s2)))
        ok(getattr(lib, f"{PREFIX}backward_elemt_{self.s}")(p(dy), p(x), p(dx), n, c, s, p(mean), p(inv), p(w), p(s1), p(s2), float(n * s)))


def make(shape, dtype, seed):
    g = torch.Generator(device=dev).manual_seed(seed)
    c = shape[1]
    x = torch.randn(shape, generator=g, device=dev, dtype=dtype) * 2 + 3
    dy = torch.randn(shape, generator=g, device=dev, dtype=dtype)
    w = torch.rand(c, generator=g, device=dev, dtype=dtype) + 0.5
    b = torch.randn(c, generator=g, device=dev, dtype=dtype) * 0.3
    rm = torch.randn(c, generator=g, device=dev, dtype=dtype) * 0.1
    rv = torch.rand(c, generator=g, device=dev, dtype=dtype) + 0.5
    return x, dy, w, b, rm, rv


def ref64(x, dy, w, b, rm, rv):
    """The float64 answers (torch on float64 copies): train y, running stats, eval y, dx, dw, db."""
    xd, dyd = x.double(), dy.double()
    wd = None if w is None else w.double()
    bd = None if b is None else b.double()
    rmd, rvd = rm.double().clone(), rv.double().clone()
    y = F.batch_norm(xd, rmd, rvd, wd, bd, True, MOM, EPS)
    xg = xd.clone().requires_grad_(True)
    ps = [] if wd is None else [wd.clone().requires_grad_(True), bd.clone().requires_grad_(True)]
    yg = F.batch_norm(xg, None, None, ps[0] if ps else None, ps[1] if ps else None, True, MOM, EPS)
    g = torch.autograd.grad(yg, [xg] + ps, dyd)
    return y, rmd, rvd, g


def correctness(shape, dtype, affine):
    """Each quantity three ways: ours vs PyTorch, and both vs a float64 computation. A quantity passes
    when ours is within TOL of PyTorch, or (ill-conditioned data, where float32 PyTorch itself is off)
    when ours is no further from the float64 answer than max(TOL, 2 x PyTorch's own distance)."""
    x, dy, w, b, rm, rv = make(shape, dtype, 1 + len(shape) + shape[1])
    if not affine:
        w = b = None
    c = shape[1]
    f64 = dict(device=dev, dtype=torch.float64)
    o = Ours(dtype)
    w64 = None if w is None else w.double()
    b64 = None if b is None else b.double()
    tol = TOL[dtype]
    res = {}

    def record(name, ours, theirs, exact):
        vs_torch, ours_ex, torch_ex = rel(ours, theirs), rel(ours, exact), rel(theirs, exact)
        good = vs_torch <= tol or ours_ex <= max(tol, 2 * torch_ex)
        res[name] = {"vs_torch": vs_torch, "ours_vs_f64": ours_ex, "torch_vs_f64": torch_ex, "pass": good}

    ex_y, ex_rm, ex_rv, ex_g = ref64(x, dy, w, b, rm, rv)
    # forward-train
    y = torch.empty_like(x)
    rm64, rv64 = rm.double().clone(), rv.double().clone()
    mean, inv = torch.empty(c, **f64), torch.empty(c, **f64)
    o.train(x, y, w64, b64, rm64, rv64, mean, inv)
    rmr, rvr = rm.clone(), rv.clone()
    yr = F.batch_norm(x, rmr, rvr, w, b, True, MOM, EPS)
    dims = [0] + list(range(2, x.dim()))
    xd = x.double()
    record("train y", y, yr, ex_y)
    record("running mean", rm64, rmr, ex_rm)
    record("running var", rv64, rvr, ex_rv)
    exact_mean, exact_inv = xd.mean(dims), 1 / torch.sqrt(xd.var(dims, unbiased=False) + EPS)
    record("saved mean", mean, exact_mean, exact_mean)
    record("saved invstd", inv, exact_inv, exact_inv)
    # forward-eval with the updated running statistics (in dtype, as PyTorch holds them)
    rme, rve = rmr.clone(), rvr.clone()
    ye = torch.empty_like(x)
    o.eval(x, ye, w64, b64, rme.double(), 1 / torch.sqrt(rve.double() + EPS))
    ex_e = F.batch_norm(x.double(), rme.double(), rve.double(), w64, b64, False, MOM, EPS)
    record("eval y", ye, F.batch_norm(x, rme, rve, w, b, False, MOM, EPS), ex_e)
    # backward (training statistics)
    xg = x.clone().requires_grad_(True)
    params = [] if w is None else [w.clone().requires_grad_(True), b.clone().requires_grad_(True)]
    yg = F.batch_norm(xg, None, None, params[0] if params else None, params[1] if params else None, True, MOM, EPS)
    grads = torch.autograd.grad(yg, [xg] + params, dy)
    dx = torch.empty_like(x)
    s1, s2 = torch.empty(c, **f64), torch.empty(c, **f64)
    o.backward(dy, x, dx, mean, inv, w64, s1, s2)
    record("dx", dx, grads[0], ex_g[0])
    if params:
        record("grad weight", s2 * inv, grads[1], ex_g[1])
        record("grad bias", s1, grads[2], ex_g[2])
    worst = max(v["vs_torch"] for v in res.values())
    return {"shape": list(shape), "dtype": str(dtype).replace("torch.", ""), "affine": affine, "rel": res,
            "worst_vs_torch": worst, "worst_vs_f64": max(v["ours_vs_f64"] for v in res.values()),
            "pass": all(v["pass"] for v in res.values())}


def timed(fn, min_ms=30.0):
    """Mean milliseconds per call: warm up, size the loop to ≥ min_ms, time with CUDA events."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    e0.record()
    fn()
    e1.record()
    torch.cuda.synchronize()
    one = max(e0.elapsed_time(e1), 1e-3)
    iters = max(5, min(2000, int(min_ms / one)))
    best = math.inf
    for _ in range(3):
        e0.record()
        for _ in range(iters):
            fn()
        e1.record()
        torch.cuda.synchronize()
        best = min(best, e0.elapsed_time(e1) / iters)
    return best


def timing(shape, dtype):
    x, dy, w, b, rm, rv = make(shape, dtype, 7)
    n, c, s = ncs(shape)
    el = x.numel()
    sz = x.element_size()
    f64 = dict(device=dev, dtype=torch.float64)
    o = Ours(dtype)
    y, dx = torch.empty_like(x), torch.empty_like(x)
    w64, b64, rm64, rv64 = w.double(), b.double(), rm.double(), rv.double()
    mean, inv, s1, s2 = (torch.empty(c, **f64) for _ in range(4))
    o.train(x, y, w64, b64, rm64, rv64, mean, inv)
    t = {}
    t["copy"] = timed(lambda: y.copy_(x))
    t["ours train"] = timed(lambda: o.train(x, y, w64, b64, rm64, rv64, mean, inv))
    t["torch train"] = timed(lambda: F.batch_norm(x, rm, rv, w, b, True, MOM, EPS))
    t["ours eval"] = timed(lambda: o.eval(x, y, w64, b64, mean, inv))
    t["torch eval"] = timed(lambda: F.batch_norm(x, rm, rv, w, b, False, MOM, EPS))
    t["ours backward"] = timed(lambda: o.backward(dy, x, dx, mean, inv, w64, s1, s2))
    xg, wg, bg = x.clone().requires_grad_(True), w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    yg = F.batch_norm(xg, None, None, wg, bg, True, MOM, EPS)
    t["torch backward"] = timed(lambda: torch.autograd.grad(yg, [xg, wg, bg], dy, retain_graph=True))
    copy_gbs = 2 * el * sz / (t["copy"] * 1e6)
    out = {"shape": list(shape), "dtype": str(dtype).replace("torch.", ""), "ms": t, "copy_GBps": copy_gbs, "ops": {}}
    for op, floor in (("train", 3), ("eval", 2), ("backward", 5)):
        ours, ref = t[f"ours {op}"], t[f"torch {op}"]
        gbs = floor * el * sz / (ours * 1e6)
        tgbs = floor * el * sz / (ref * 1e6)
        out["ops"][op] = {"ours_ms": ours, "torch_ms": ref, "ratio_ours_over_torch": ours / ref, "ours_GBps": gbs,
                          "torch_GBps": tgbs, "ours_over_copy": gbs / copy_gbs, "torch_over_copy": tgbs / copy_gbs}
    del xg, wg, bg, yg
    return out


def main():
    t0 = time.time()
    if DRY:
        info = {"device": "cpu (dry run)", "torch": torch.__version__}
    else:
        props = torch.cuda.get_device_properties(0)
        info = {"device": props.name, "memory_bytes": props.total_memory, "sms": props.multi_processor_count,
                "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "nominal_GBps": 4800.0}
        print(f"device {props.name}, {props.total_memory / 2**30:.0f} GiB, {props.multi_processor_count} SMs; torch {torch.__version__}")
    results = {"info": info, "correctness": [], "timing": []}
    shapes = [(32, 64, 56, 56), (256, 1024), (8, 256, 28, 28), (4, 32, 16, 32, 32), (4, 3), (5, 7, 9), (1, 5, 100000),
              (64, 1, 700), (2, 70000), (1000, 3, 2), (16, 128, 31), (8, 50, 300), (16, 96, 64)]
    failed = 0
    for shape in shapes:
        for dtype in (torch.float32, torch.float64):
            for affine in (True, False):
                try:
                    r = correctness(shape, dtype, affine)
                except Exception as e:  # a failure to run is a failed check, reported, not a crash
                    r = {"shape": list(shape), "dtype": str(dtype), "affine": affine, "error": repr(e), "pass": False}
                results["correctness"].append(r)
                if not r["pass"]:
                    failed += 1
                    print("FAIL", json.dumps(r))
    n_ok = sum(1 for r in results["correctness"] if r["pass"])
    worst, worst64 = {}, {}
    for r in results["correctness"]:
        if "worst_vs_torch" in r:
            worst[r["dtype"]] = max(worst.get(r["dtype"], 0.0), r["worst_vs_torch"])
            worst64[r["dtype"]] = max(worst64.get(r["dtype"], 0.0), r["worst_vs_f64"])
    within = sum(1 for r in results["correctness"] if r.get("pass") and all(v["vs_torch"] <= TOL[getattr(torch, r["dtype"])] for v in r["rel"].values()))
    print(f"correctness vs torch.nn.functional.batch_norm: {n_ok}/{len(results['correctness'])} cases pass "
          f"({within} within tolerance of PyTorch outright); worst rel vs PyTorch {worst}; worst rel vs float64 {worst64}")
    results["correctness_summary"] = {"pass": n_ok, "total": len(results["correctness"]), "within_tol_of_torch": within,
                                      "worst_rel_vs_torch": worst, "worst_rel_vs_f64": worst64}
    json.dump(results, open(OUT, "w"), indent=1)

    if DRY:
        sys.exit(1 if failed else 0)
    big = [(32, 64, 56, 56), (256, 1024), (8, 256, 28, 28), (4, 32, 16, 32, 32), (64, 256, 56, 56), (256, 4096, 64)]
    print(f"\n{'shape':>20} {'dtype':>7} {'op':>8} {'ours ms':>9} {'torch ms':>9} {'ours/torch':>10} {'ours GB/s':>10} {'torch GB/s':>10} {'ours/copy':>9} {'torch/copy':>10} {'copy GB/s':>9}")
    for shape in big:
        for dtype in (torch.float32, torch.float64):
            if dtype == torch.float64 and shape not in ((32, 64, 56, 56), (64, 256, 56, 56)):
                continue
            try:
                r = timing(shape, dtype)
            except Exception as e:
                print("timing failed", shape, dtype, repr(e))
                failed += 1
                continue
            results["timing"].append(r)
            for op, v in r["ops"].items():
                print(f"{str(tuple(shape)):>20} {r['dtype']:>7} {op:>8} {v['ours_ms']:9.4f} {v['torch_ms']:9.4f} {v['ratio_ours_over_torch']:10.2f} "
                      f"{v['ours_GBps']:10.0f} {v['torch_GBps']:10.0f} {v['ours_over_copy']:9.2f} {v['torch_over_copy']:10.2f} {r['copy_GBps']:9.0f}")
            json.dump(results, open(OUT, "w"), indent=1)
    best_copy = max((r["copy_GBps"] for r in results["timing"]), default=0)
    results["info"]["best_copy_GBps"] = best_copy
    results["seconds"] = time.time() - t0
    json.dump(results, open(OUT, "w"), indent=1)
    print(f"\nbest copy bandwidth measured: {best_copy:.0f} GB/s (nominal 4800); {results['seconds']:.0f}s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
