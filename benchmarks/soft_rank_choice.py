"""Which soft rank should the ReLoss objective use? Speed, fidelity and learned-surrogate quality.

A learned relational surrogate (ReLoss, Huang et al., ICLR 2022) is trained
by maximising a differentiable Spearman correlation between the surrogate's
values on many prediction sets and the metric's values on them: the
surrogate's values are soft-ranked, the metric's are hard-ranked (ties
averaged), and the objective is the Pearson correlation of the two rank
vectors. This script compares the soft ranks that can go into it:

* ``ours``: :func:`sklearn_surrogate.learned._spearman.soft_spearman`, the pairwise
  sigmoid soft rank, temperature 0.05 relative to the values' spread, O(m^2),
  no dependency; also at temperatures 0.2, 0.5 and 1 (``--temperatures``).
* ``diffsort`` (differentiable sorting networks, Petersen et al.): the soft
  rank of value ``i`` is the expected position ``sum_j j * P[i, j]`` under the
  relaxed permutation matrix of a ``DiffSortNet`` (``distribution=
  "logistic_phi"``, steepness 5), as in the official ReLoss code. Three
  variants: ``bitonic`` on the raw values (the official code's exact
  configuration), ``odd_even`` on the raw values, and ``bitonic`` on the
  values divided by their (detached) standard deviation, which makes it
  scale-free like ours.
* ``torchsort`` (Blondel et al.'s projection onto the permutahedron, l2
  regularisation, O(m log m), compiled extension): ``soft_rank`` of the values
  divided by their (detached) standard deviation, ``regularization_strength``
  0.01 (larger strengths pool almost all of 256 standardised values into one
  block, making the soft ranks an affine function of the values).

What is measured (``torch.set_num_threads(1)`` throughout):

1. Speed: median wall time of forward + backward of the objective for
   m = 64 and m = 256 values (200 repeats, or as many as fit in 10 s but at
   least 10; a sorting network is built once per m and reused, as the ReLoss
   code does, and building it is not timed).
2. Fidelity, over random draws of m standard-normal values multiplied by a
   scale (1, and 1e-3, the spread of an untrained surrogate's outputs):
   Pearson correlation of the soft ranks with the exact ranks (1 = exact;
   Spearman would be uninformative, since a monotone soft rank has rank
   correlation 1), mean absolute error of the soft ranks in rank units,
   the objective's error against the exact Spearman correlation with a
   correlated target, whether gradients are finite, and the share of values
   that receive a non-zero gradient.
3. Quality of the learned surrogate: the same set-level network
   (``build_surrogate("set")``), identically seeded and fed identical
   batches, trained with each objective (pool of 2048 binary prediction sets
   of 256 samples, F1 as the metric, Adam lr 3e-3, 64 sets per step, 400
   steps, no gradient penalty); reported is the exact Spearman correlation
   between minus the surrogate and F1 on 512 held-out sets, and the training
   wall time.

A method whose package is missing is skipped with a printed note. Optional
packages::

    pip install diffsort torchsort

``torchsort`` compiles a C++ extension at install time. On a machine with a
CPU-only torch it needs ``pip install --no-build-isolation torchsort`` (an
isolated build pulls in a CUDA torch and fails), and if an ``nvcc`` is on
``PATH`` without a working CUDA toolkit it also tries to build the CUDA
extension and fails ("CUDA_HOME environment variable is not set"): install it
with a ``PATH`` that has no ``nvcc``.

Usage::

    python benchmarks/soft_rank_choice.py            # everything, about 10 minutes on one core
    python benchmarks/soft_rank_choice.py --quick    # smaller, for a smoke test (about 1 minute)
    python benchmarks/soft_rank_choice.py --seeds 0 1 2 --steps 400

It prints Markdown tables; ``benchmarks/results/soft_rank_choice.md`` holds
the results of one run with the conclusions.
"""

import argparse
import inspect
import math
import statistics
import sys
import time

import numpy as np
import torch
from sklearn.metrics import f1_score

from sklearn_surrogate.learned._networks import build_surrogate
from sklearn_surrogate.learned._prediction_sets import make_prediction_sets
from sklearn_surrogate.learned._spearman import hard_rank, soft_rank, spearman

try:
    from diffsort import DiffSortNet
except ImportError:  # pragma: no cover - optional
    DiffSortNet = None

try:
    import torchsort
except (ImportError, OSError):  # pragma: no cover - optional (OSError: a broken compiled extension)
    torchsort = None


# --------------------------------------------------------------------------- objectives


def _pearson(a, b):
    a = a - a.mean()
    b = b - b.mean()
    return (a * b).sum() / (a.norm() * b.norm()).clamp_min(torch.finfo(a.dtype).eps)


def _spread(x):
    return x.detach().std().clamp_min(torch.finfo(x.dtype).eps)


def ours_rank(x, temperature=0.05):
    """The package's soft rank (the objective is then ``soft_spearman``)."""
    return soft_rank(x, temperature)


_SORTERS = {}


def _sorter(kind, m):
    key = (kind, m)
    if key not in _SORTERS:
        _SORTERS[key] = DiffSortNet(kind, m, steepness=5.0, distribution="logistic_phi")
    return _SORTERS[key]


def diffsort_rank(x, kind="bitonic", standardise=False):
    """Expected position of each value under the relaxed permutation matrix (0-based)."""
    m = x.shape[0]
    if standardise:
        x = x / _spread(x)
    _, perm = _sorter(kind, m)(x[None])  # perm[0, i, j]: probability that value i goes to position j
    return (perm[0] * torch.arange(m, dtype=perm.dtype)).sum(1)


def torchsort_rank(x, strength=0.01):
    return torchsort.soft_rank((x / _spread(x))[None], regularization_strength=strength)[0]


# name -> (soft rank function, package needed or None)
METHODS = {
    "ours (pairwise sigmoid, tau=0.05)": (ours_rank, None),
    "diffsort bitonic, raw (ReLoss code)": (lambda x: diffsort_rank(x, "bitonic"), "diffsort"),
    "diffsort odd_even, raw": (lambda x: diffsort_rank(x, "odd_even"), "diffsort"),
    "diffsort bitonic, x/sd": (lambda x: diffsort_rank(x, "bitonic", True), "diffsort"),
    "torchsort l2 eps=0.01, x/sd": (torchsort_rank, "torchsort"),
}

DEFAULT_TEMPERATURES = (0.05, 0.2, 0.5, 1.0)


def add_temperatures(temperatures):
    """Extra rows for our soft rank at other temperatures (0.05 is the package default)."""
    for tau in temperatures:
        if tau != 0.05:
            METHODS[f"ours, tau={tau:g}"] = (lambda x, tau=tau: ours_rank(x, tau), None)


_AVAILABLE = {"diffsort": DiffSortNet is not None, "torchsort": torchsort is not None}


def available_methods(selected=None):
    out = {}
    for name, (rank, package) in METHODS.items():
        if selected and not any(s in name for s in selected):
            continue
        if package is not None and not _AVAILABLE[package]:
            print(f"NOTE: skipping {name!r}: package {package!r} is not installed (pip install {package}).")
            continue
        out[name] = rank
    return out


def objective(rank, x, target):
    """Differentiable Spearman: Pearson correlation of soft ranks of x with hard ranks of target."""
    return _pearson(rank(x), hard_rank(target).to(x.dtype))


# --------------------------------------------------------------------------- 1. speed


def bench_speed(methods, sizes=(64, 256), repeats=200, max_seconds=10.0):
    rows = []
    g = torch.Generator().manual_seed(0)
    for m in sizes:
        x0 = torch.randn(m, generator=g)
        t = x0 + torch.randn(m, generator=g)
        for name, rank in methods.items():
            times = []
            budget = time.perf_counter() + max_seconds
            for i in range(repeats + 10):
                if i >= 20 and time.perf_counter() > budget:  # slow methods: at least 10 timed repeats
                    break
                x = x0.clone().requires_grad_()
                start = time.perf_counter()
                objective(rank, x, t).backward()
                if i >= 10:  # warm-up (and sorting-network construction) excluded
                    times.append(time.perf_counter() - start)
            rows.append((name, m, 1e3 * statistics.median(times)))
    print("\n### 1. Speed: forward + backward of the objective (median ms, 1 thread)\n")
    print("| method | m = 64 | m = 256 |")
    print("|---|---:|---:|")
    for name in methods:
        cells = [f"{ms:.3f}" for n, m, ms in rows if n == name]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return rows


# --------------------------------------------------------------------------- 2. fidelity


def bench_fidelity(methods, sizes=(64, 256), scales=(1.0, 1e-3), draws=20):
    print("\n### 2. Fidelity (mean over random draws; x ~ scale * N(0, 1), target = x + N(0, 1) noise)\n")
    print(
        "| method | m | scale | Pearson(soft, exact ranks) | mean abs rank error | "
        "abs(objective - exact Spearman) | grads finite | share with grad != 0 |"
    )
    print("|---|---:|---:|---:|---:|---:|:---:|---:|")
    rows = []
    for name, rank in methods.items():
        for m in sizes:
            for scale in scales:
                g = torch.Generator().manual_seed(1)
                pear, mae, err, finite, nonzero = [], [], [], True, []
                for _ in range(draws):
                    z = torch.randn(m, generator=g)
                    t = z + torch.randn(m, generator=g)
                    x = (scale * z).requires_grad_()
                    soft = rank(x)
                    exact = hard_rank(x)
                    soft_d = soft.detach()
                    # soft ranks may be 0- or 1-based: compare after matching means
                    mae.append(float((soft_d - soft_d.mean() - (exact - exact.mean())).abs().mean()))
                    pear.append(float(_pearson(soft_d, exact)))
                    obj = _pearson(soft, hard_rank(t).to(x.dtype))
                    err.append(abs(float(obj.detach()) - spearman(x.detach(), t)))
                    obj.backward()
                    finite &= bool(torch.isfinite(x.grad).all())
                    nonzero.append(float((x.grad.abs() > 1e-12 * x.grad.abs().max().clamp_min(1e-30)).float().mean()))
                row = (name, m, scale, np.mean(pear), np.mean(mae), np.mean(err), finite, np.mean(nonzero))
                rows.append(row)
                print(
                    f"| {name} | {m} | {scale:g} | {row[3]:.4f} | {row[4]:.2f} | {row[5]:.4f} | "
                    f"{'yes' if finite else 'NO'} | {row[7]:.2f} |"
                )
    return rows


# --------------------------------------------------------------------------- 3. learned surrogate


def _prediction_sets(n_sets, seed, n_samples=256, n_classes=2):
    """Call make_prediction_sets robustly (its signature may evolve)."""
    params = inspect.signature(make_prediction_sets).parameters
    wanted = {"n_samples": n_samples, "n_classes": n_classes, "random_state": seed}
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in wanted.items() if var_kw or k in params}
    out = make_prediction_sets(n_sets, **kwargs)
    Y, Z = np.asarray(out[0]), np.asarray(out[1])
    if Y.ndim == 3:  # one-hot labels
        Y = Y.argmax(-1)
    return Y.astype(np.int64), Z


def _tensors(Y, Z):
    Z = torch.as_tensor(Z).float()
    P = torch.softmax(Z, -1)
    O = torch.nn.functional.one_hot(torch.as_tensor(Y), Z.shape[-1]).float()
    return P, O


def _f1(Y, Z):
    return torch.tensor([f1_score(y, z.argmax(1), zero_division=0.0) for y, z in zip(Y, Z)], dtype=torch.float32)


def train_one(rank, data, seed, steps, batch, lr):
    (P, O, metric), (P_test, O_test, metric_test) = data
    torch.manual_seed(seed)
    net = build_surrogate("set").float()
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    picks = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    diverged = False
    for _ in range(steps):
        pick = torch.randperm(len(metric), generator=picks)[:batch]
        values = net(P[pick], O[pick])
        obj = objective(rank, -values, metric[pick])
        if not torch.isfinite(obj):
            diverged = True
            break
        optimizer.zero_grad()
        (-obj).backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        values = net(P_test, O_test)
    rho = spearman(-values, metric_test) if torch.isfinite(values).all() and not diverged else float("nan")
    return rho, seconds, float(values.std())


def bench_training(methods, seeds, steps, batch, lr, n_train, n_test):
    start = time.perf_counter()
    Y, Z = _prediction_sets(n_train, 0)
    Yt, Zt = _prediction_sets(n_test, 10000)
    data = ((*_tensors(Y, Z), _f1(Y, Z)), (*_tensors(Yt, Zt), _f1(Yt, Zt)))
    print(f"\n(prediction sets: {n_train} train + {n_test} held-out, drawn in {time.perf_counter() - start:.0f} s)")
    results = {}
    for name, rank in methods.items():
        for seed in seeds:
            rho, seconds, spread = train_one(rank, data, seed, steps, batch, lr)
            results.setdefault(name, []).append((rho, seconds, spread))
            print(f"  {name}, seed {seed}: held-out Spearman {rho:.4f}, {seconds:.1f} s, output sd {spread:.3g}")
            sys.stdout.flush()
    print(
        f"\n### 3. Learned surrogate: held-out exact Spearman(-surrogate, F1), "
        f"{steps} steps x {batch} sets, seeds {list(seeds)}\n"
    )
    print("| method | mean | sd | min | per seed | train time per run (s) |")
    print("|---|---:|---:|---:|---|---:|")
    for name, runs in results.items():
        rhos = [r for r, _, _ in runs]
        finite = [r for r in rhos if math.isfinite(r)]
        mean = np.mean(finite) if finite else float("nan")
        sd = np.std(finite, ddof=1) if len(finite) > 1 else float("nan")
        low = min(finite) if finite else float("nan")
        per = ", ".join(f"{r:.3f}" for r in rhos)
        secs = np.median([s for _, s, _ in runs])
        print(f"| {name} | {mean:.4f} | {sd:.4f} | {low:.4f} | {per} | {secs:.1f} |")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small run for a smoke test")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--n-train", type=int, default=2048)
    parser.add_argument("--n-test", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=200, help="timing repeats")
    parser.add_argument(
        "--temperatures",
        type=float,
        nargs="+",
        default=list(DEFAULT_TEMPERATURES),
        help="temperatures of our soft rank to compare (0.05 is the package default)",
    )
    parser.add_argument("--methods", nargs="+", help="substrings of method names to keep")
    parser.add_argument("--skip", nargs="+", default=[], choices=["speed", "fidelity", "training"])
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.steps, args.n_train, args.n_test, args.repeats = [0], 50, 256, 128, 20

    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread")
    add_temperatures(args.temperatures)
    methods = available_methods(args.methods)
    if "speed" not in args.skip:
        bench_speed(methods, repeats=args.repeats)
    if "fidelity" not in args.skip:
        bench_fidelity(methods, draws=5 if args.quick else 20)
    if "training" not in args.skip:
        bench_training(methods, args.seeds, args.steps, args.batch, args.lr, args.n_train, args.n_test)


if __name__ == "__main__":
    main()
