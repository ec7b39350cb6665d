"""Speed and memory of SurrogateClassifier: every ratio of the performance targets, measured in one run.

Usage::

    python benchmarks/bench_speed.py [--quick] [--threads 2] [--device cpu|cuda]
                                     [--sections loop,losses,memory,threads,reloss,learned]
                                     [--output benchmarks/results/speed_cpu.md]

Sections (all timings are taken in this one process, so the ratios are
comparable; absolute seconds are not comparable across machines or runs):

``loop``
    Seconds per epoch of the same MLP (features -> 100 -> 100 -> 1, ReLU), Adam
    (lr 1e-3), batch 256, shuffled batches, binary cross-entropy, float32, on
    20,000 x 30 and 200,000 x 100 data: a hand-written torch loop (the
    reference), ``SurrogateClassifier``, skorch's default ``DataLoader`` path
    and scikit-learn's ``MLPClassifier``. Each is the median over epochs 2..E
    (the first epoch is warm-up), repeated and interleaved.
``losses``
    Seconds per epoch of ``SurrogateClassifier`` with every registered loss
    but the learned ones (section ``reloss``), relative to cross-entropy, at batch 256 and 4096 (20,000 x 30, MLP
    100-100). Binary data (20 % positives) for losses that take binary
    problems, 3-class data for the others.
``memory``
    1,000,000 x 100 float32 rows in a fresh process: peak resident memory of
    one ``fit`` epoch and of ``predict_proba``, relative to the data's size
    (the data itself counts: 1.0 means no memory beyond the data).
``threads``
    torch's thread count inside ``cross_validate(n_jobs=2)`` workers, and the
    wall time of 4 folds with 1 and 2 jobs.
``reloss``
    Seconds per epoch of ``SurrogateClassifier`` with each shipped learned
    surrogate (``loss="reloss"``), relative to cross-entropy, at batch 256 and
    4096, with the tabulated evaluation (the default) and the exact one.
    Target: at most 1.5x.
``learned``
    Time to learn each shipped surrogate with the shipped recipe, from two short
    runs (fixed cost + per-step cost, extrapolated to the recipe's 3,000 steps).

With ``--device cuda`` the loop and memory sections run on the GPU (data on
the device once), and the loop section adds the bf16 and ``torch.compile``
switches and samples per second at 1M rows.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from functools import partial

import numpy as np
import torch
from torch import nn

HIDDEN = (100, 100)
BATCH = 256


def make_data(n_rows, n_features, positive_share=0.5, n_classes=2, seed=0):
    """Gaussian features; labels from a noisy linear score (binary) or its quantiles (multiclass)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    score = X[:, :5].sum(1) + rng.standard_normal(n_rows)
    if n_classes == 2:
        y = (score > np.quantile(score, 1.0 - positive_share)).astype(np.int64)
    else:
        y = np.searchsorted(np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]), score).astype(np.int64)
    return X, y


def make_module(n_features, n_outputs=1, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(n_features, HIDDEN[0]), nn.ReLU(), nn.Linear(HIDDEN[0], HIDDEN[1]), nn.ReLU(),
        nn.Linear(HIDDEN[1], n_outputs),
    )


def _sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


# -- epoch timers: each returns seconds per epoch (median over epochs 2..E) ------
def raw_loop(X, y, epochs, device="cpu", batch_size=BATCH):
    """The reference: a hand-written loop over tensors on the device, same module and optimizer."""
    Xt = torch.from_numpy(X).to(device)
    yt = torch.from_numpy(y.astype(np.float32)).to(device)
    module = make_module(X.shape[1]).to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(0)
    times = []
    for _ in range(epochs):
        _sync(device)
        start = time.perf_counter()
        order = torch.randperm(len(Xt), generator=generator).to(device)
        for i in range(0, len(Xt), batch_size):
            rows = order[i : i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(module(Xt[rows])[:, 0], yt[rows])
            loss.backward()
            optimizer.step()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def ours(X, y, epochs, loss="cross_entropy", batch_size=BATCH, device="cpu", **params):
    """SurrogateClassifier, from the per-epoch durations in its history."""
    from sklearn_surrogate import SurrogateClassifier

    clf = SurrogateClassifier(
        loss, hidden_layer_sizes=HIDDEN, max_iter=epochs, batch_size=batch_size, early_stopping=False,
        random_state=0, device=device, **params,
    )
    clf.fit(X, y)
    return statistics.median(row["dur"] for row in clf.history_[1:])


def skorch_default(X, y, epochs, device="cpu"):
    """skorch's NeuralNetBinaryClassifier with its default DataLoader."""
    from skorch import NeuralNetBinaryClassifier

    net = NeuralNetBinaryClassifier(
        make_module(X.shape[1]), max_epochs=epochs, batch_size=BATCH, lr=1e-3, optimizer=torch.optim.Adam,
        train_split=None, iterator_train__shuffle=True, verbose=0, device=device,
    )
    net.fit(X, y.astype(np.float32))
    return statistics.median(row["dur"] for row in net.history[1:])


def sklearn_mlp(X, y, epochs):
    """scikit-learn's MLPClassifier (Adam, batch 256): (fit(E) - fit(1)) / (E - 1)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def fit(n):
        clf = MLPClassifier(HIDDEN, batch_size=BATCH, max_iter=n, tol=0.0, n_iter_no_change=10**6, random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        return time.perf_counter() - start

    return (fit(epochs) - fit(1)) / (epochs - 1)


def _median_of(fn, repeats):
    return statistics.median(fn() for _ in range(repeats))


def section_loop(args):
    shapes = [(20_000, 30), (200_000, 100)] if not args.quick else [(20_000, 30)]
    lines = ["## Training loop: seconds per epoch, ratio to a hand-written torch loop", ""]
    lines += [(f"MLP {HIDDEN[0]}-{HIDDEN[1]}, Adam, batch {BATCH}, binary cross-entropy, float32, device "
              f"{args.device}, {torch.get_num_threads()} torch threads; median over epochs 2..E, median of "
              f"{args.repeats} interleaved repeats."), ""]
    lines += ["| data | path | s / epoch | ratio |", "|---|---|---:|---:|"]
    for n_rows, n_features in shapes:
        X, y = make_data(n_rows, n_features)
        epochs = max(args.epochs if n_rows <= 20_000 else args.epochs // 2, 3)
        device = args.device
        paths = {
            "hand-written torch loop": partial(raw_loop, X, y, epochs, device),
            "SurrogateClassifier": partial(ours, X, y, epochs, device=device),
            "skorch default (DataLoader)": partial(skorch_default, X, y, epochs, device),
        }
        paths["SurrogateClassifier, compile=True"] = partial(ours, X, y, epochs, device=device, compile=True)
        if device == "cpu":
            paths["scikit-learn MLPClassifier"] = partial(sklearn_mlp, X, y, epochs)
        else:
            paths["SurrogateClassifier, bf16"] = partial(ours, X, y, epochs, device=device, mixed_precision="bf16")
        runs = {name: [] for name in paths}
        for _ in range(args.repeats):  # interleaved, so drifts in machine load hit every path alike
            for name, fn in paths.items():
                runs[name].append(fn())
        reference = statistics.median(runs["hand-written torch loop"])
        for name, values in runs.items():
            seconds = statistics.median(values)
            lines.append(f"| {n_rows:,} x {n_features} | {name} | {seconds:.4f} | {seconds / reference:.2f}x |")
    return lines


def _loss_ratios(cases, data, batch_size, epochs, repeats, **params):
    """Epoch time of each (loss, data kind) relative to cross-entropy on the same data.

    Each loss's fit is paired with a cross-entropy fit run just before it, and
    the ratio is the median over repeats of the paired ratios: load that drifts
    over minutes (other processes, CPU clocks) cancels within a pair.
    """
    ratios = {}
    for _ in range(repeats):
        for name, kind in cases:
            if name == "cross_entropy":
                continue
            X, y = data[kind]
            reference = ours(X, y, epochs, loss="cross_entropy", batch_size=batch_size, **params)
            seconds = ours(X, y, epochs, loss=name, batch_size=batch_size, **params)
            ratios.setdefault((name, kind), []).append(seconds / reference)
    return {case: statistics.median(values) for case, values in ratios.items()}


def section_losses(args):
    from sklearn_surrogate.losses import get_loss, get_loss_names

    data = {"binary": make_data(20_000, 30, positive_share=0.2), "3 classes": make_data(20_000, 30, n_classes=3)}
    cases = [(name, kind) for name in get_loss_names() for kind in data if not name.startswith("reloss")
             and (get_loss(name).supports_binary if kind == "binary" else get_loss(name).supports_multiclass)]
    settings = [("eager", 256, {}), ("eager", 4096, {})]
    if args.compile:
        settings += [("compiled", 256, {"compile": True}), ("compiled", 4096, {"compile": True})]
    lines = ["## Losses: epoch time relative to cross-entropy", ""]
    lines += [(f"SurrogateClassifier, MLP {HIDDEN[0]}-{HIDDEN[1]}, 20,000 x 30 (binary: 20 % positives), every "
               f"default of each loss, {torch.get_num_threads()} torch threads; each fit's median epoch time "
               "(epochs 2..E) over that of a cross-entropy fit run just before it, median over "
               f"{args.repeats} repeats. Target: at most 1.25x. \"compiled\": both the loss and cross-entropy "
               "with `compile=True` (network and loss compiled together; one repeat)."), ""]
    lines += ["| loss | data | " + " | ".join(f"{mode} {batch}" for mode, batch, _ in settings) + " |",
              "|---|---|" + "---:|" * len(settings)]
    results = {}
    for mode, batch_size, params in settings:
        epochs = args.epochs if batch_size == 256 else 4 * args.epochs
        repeats = args.repeats if mode == "eager" else 1
        for case, ratio in _loss_ratios(cases, data, batch_size, epochs, repeats, **params).items():
            results.setdefault(case, []).append(ratio)
    for (name, kind), ratios in results.items():
        cells = [f"{r:.2f}x" + ("" if r <= 1.25 else " (miss)") for r in ratios]
        lines.append(f"| {name} | {kind} | " + " | ".join(cells) + " |")
    return lines


_MEMORY_CHILD = r"""
import json, resource, sys, time
import numpy as np, torch
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
from sklearn_surrogate import SurrogateClassifier
n_rows, n_features, device, threads = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
torch.set_num_threads(threads)
if device.startswith("cuda"):
    torch.zeros(1, device=device)
base = rss()
rng = np.random.default_rng(0)
X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
y = (X[:, :5].sum(1) > 0).astype(np.int64)
out = {"data_bytes": X.nbytes}
start = time.perf_counter()
clf = SurrogateClassifier(hidden_layer_sizes=(100, 100), max_iter=1, random_state=0, device=device).fit(X, y)
out["fit_s"] = time.perf_counter() - start
out["fit_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
start = time.perf_counter()
proba = clf.predict_proba(X)
out["predict_s"] = time.perf_counter() - start
out["predict_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
out["output_bytes"] = proba.nbytes
if device.startswith("cuda"):
    out["gpu_peak"] = torch.cuda.max_memory_allocated()
print(json.dumps(out))
"""


def section_memory(args):
    n_rows = 1_000_000 if not args.quick else 200_000
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(n_rows), "100", args.device, str(torch.get_num_threads())],
        check=True, capture_output=True, text=True,
    )
    out = json.loads(result.stdout.strip().splitlines()[-1])
    data = out["data_bytes"]
    lines = ["## Memory: 1 epoch and predict_proba on float32 data, in a fresh process", ""]
    lines += [(f"{n_rows:,} x 100 float32 = {data / 2**20:.0f} MiB; peak resident memory of the process minus "
              "its size before the data was made, relative to the data's size (the data itself counts 1.0). "
              "Target: under 3x. Default settings (early stopping on, 10 % validation split), device "
              f"{args.device}."), ""]
    lines += ["| step | seconds | rows / s | peak memory / data |", "|---|---:|---:|---:|"]
    lines.append(f"| fit, 1 epoch | {out['fit_s']:.1f} | {n_rows / out['fit_s']:,.0f} | {out['fit_peak'] / data:.2f}x |")
    lines.append(f"| predict_proba | {out['predict_s']:.1f} | {n_rows / out['predict_s']:,.0f} | "
                 f"{out['predict_peak'] / data:.2f}x |")
    if "gpu_peak" in out:
        lines += ["", f"Peak GPU memory allocated: {out['gpu_peak'] / data:.2f}x the data."]
    return lines


def _recorded_threads():
    from skorch.callbacks import Callback

    class ThreadRecorder(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history.record("torch_threads", torch.get_num_threads())

    return ThreadRecorder()


def section_threads(args):
    from sklearn.model_selection import cross_validate

    from sklearn_surrogate import SurrogateClassifier

    X, y = make_data(20_000, 30)
    epochs = 3 * args.epochs
    cores = os.cpu_count()
    lines = ["## Threads in parallel model selection", ""]
    lines += [(f"cross_validate of SurrogateClassifier (MLP {HIDDEN[0]}-{HIDDEN[1]}, {epochs} epochs), 4 folds of "
              f"20,000 x 30 rows, on {cores} cores. Each parallel case runs twice and the second (warm joblib "
              "workers) is timed. `n_threads=None` leaves torch to joblib's per-worker limit; the last row forces "
              "every fit onto all cores, the oversubscription the default avoids."), ""]
    lines += ["| n_jobs | n_threads | torch threads per fit | wall seconds |", "|---:|---|---|---:|"]
    for n_jobs, n_threads in ((1, None), (2, None), (2, cores)):
        clf = SurrogateClassifier(hidden_layer_sizes=HIDDEN, max_iter=epochs, early_stopping=False,
                                  random_state=0, n_threads=n_threads, callbacks=[_recorded_threads()])
        for _ in range(1 if n_jobs == 1 else 2):
            start = time.perf_counter()
            result = cross_validate(clf, X, y, cv=4, n_jobs=n_jobs, return_estimator=True)
            seconds = time.perf_counter() - start
        threads = sorted({row["torch_threads"] for est in result["estimator"] for row in est.history_})
        lines.append(f"| {n_jobs} | {n_threads} | {threads} | {seconds:.1f} |")
    return lines


def section_reloss(args):
    from sklearn_surrogate.learned._reloss import _shipped_network
    from sklearn_surrogate.learned._tabulated import can_tabulate
    from sklearn_surrogate.learned._tabulated_ranks import can_tabulate_ranks

    data = {"binary": make_data(20_000, 30, positive_share=0.2), "3 classes": make_data(20_000, 30, n_classes=3)}
    metrics = [("f1", "binary"), ("balanced_accuracy", "binary"), ("accuracy", "binary"), ("mcc", "binary"),
               ("roc_auc", "binary"), ("macro_f1", "3 classes")]
    if args.metrics:
        metrics = [(metric, kind) for metric, kind in metrics if metric in args.metrics.split(",")]
    if args.quick:
        metrics = metrics[:1]

    def tabulable(metric, kind):
        network = _shipped_network(metric, "set")
        n_classes = 2 if kind == "binary" else 3
        return can_tabulate(network, n_classes) or can_tabulate_ranks(network, n_classes)

    cases = [(metric, kind, evaluation) for metric, kind in metrics for evaluation in ("table", "exact")
             if evaluation == "exact" or tabulable(metric, kind)]
    lines = ["## Learned surrogates: epoch time relative to cross-entropy", ""]
    lines += [(f"SurrogateClassifier(loss=\"reloss\", loss__metric=...), shipped set surrogate, default "
               f"`ce_weight=0.5`, MLP {HIDDEN[0]}-{HIDDEN[1]}, 20,000 x 30 (binary: 20 % positives), "
               f"{torch.get_num_threads()} torch threads; each fit's median epoch time (epochs 2..E) over that of "
               f"a cross-entropy fit run just before it, median over {args.repeats} repeats. `table`: "
               "`loss__evaluation=\"table\"` (the default), `exact`: the network on every batch. ROC AUC's "
               "surrogate adds the batch's soft AUC (all positive-negative pairs up to 512 samples) to its table. "
               "\"compiled\": both fits with `compile=True` (one repeat). Target: at most 1.5x."), ""]
    settings = [("eager", 256, {}), ("eager", 4096, {})]
    if args.compile:
        settings += [("compiled", 256, {"compile": True}), ("compiled", 4096, {"compile": True})]
    lines += ["| metric | data | evaluation | " + " | ".join(f"{mode} {batch}" for mode, batch, _ in settings) + " |",
              "|---|---|---|" + "---:|" * len(settings)]
    ratios = {}
    for mode, batch_size, params in settings:
        epochs = args.epochs if batch_size == 256 else 4 * args.epochs
        for _ in range(args.repeats if mode == "eager" else 1):
            for metric, kind, evaluation in cases:
                X, y = data[kind]
                if params:
                    torch._dynamo.reset()  # every compiled pair starts from the same clean compiler cache
                reference = ours(X, y, epochs, loss="cross_entropy", batch_size=batch_size, **params)
                seconds = ours(X, y, epochs, loss="reloss", batch_size=batch_size, loss__metric=metric,
                               loss__evaluation=evaluation, **params)
                ratios.setdefault((metric, kind, evaluation, mode, batch_size), []).append(seconds / reference)
    for metric, kind, evaluation in cases:
        cells = []
        for mode, batch_size, _ in settings:
            r = statistics.median(ratios[metric, kind, evaluation, mode, batch_size])
            cells.append(f"{r:.2f}x" + ("" if r <= 1.5 else " (miss)"))
        lines.append(f"| {metric} | {kind} | {evaluation} | " + " | ".join(cells) + " |")
    return lines


def section_learned(args):
    from sklearn_surrogate.learned import learn_surrogate
    from sklearn_surrogate.learned._shipped import (
        ARCHITECTURE_PARAMS,
        METRIC_RECIPES,
        MULTICLASS_COUNTS,
        SHIPPED_RECIPE,
    )

    short, longer = (20, 60) if args.quick else (50, 150)
    metrics = ("f1",) if args.quick else ("f1", "roc_auc", "balanced_accuracy", "accuracy", "macro_f1")
    lines = ["## Learning the shipped surrogates (set architecture)", ""]
    lines += [(f"learn_surrogate with the shipped recipe except its number of steps. A 1-step run measures the "
              f"set-up (drawing the prediction sets, fitting the model zoo: cached within a process); runs of "
              f"{short} and {longer} steps give the cost per step; the full recipe has {SHIPPED_RECIPE['steps']} "
              f"steps (F1: {METRIC_RECIPES['f1']['steps']}). {torch.get_num_threads()} torch threads."), ""]
    lines += ["| metric | set-up s | s / step | estimated full recipe (min) |", "|---|---:|---:|---:|"]
    for metric in metrics:
        n_classes = MULTICLASS_COUNTS if metric == "macro_f1" else 2
        params = ARCHITECTURE_PARAMS.get((metric, "set"))
        times = {}
        for steps in (1, short, longer):
            recipe = {**SHIPPED_RECIPE, "steps": steps}
            start = time.perf_counter()
            with warnings.catch_warnings():
                # these runs time the set-up and the steps, far too few to learn a surrogate: the warning that
                # the result ranks held-out sets poorly is expected here, and silenced on purpose (only it)
                warnings.filterwarnings("ignore", message="The learned surrogate ranks held-out prediction sets "
                                        "poorly", category=UserWarning)
                learn_surrogate(metric, n_classes=n_classes, architecture="set", architecture_params=params,
                                verbose=False, **recipe)
            times[steps] = time.perf_counter() - start
        per_step = (times[longer] - times[short]) / (longer - short)
        full_steps = {**SHIPPED_RECIPE, **METRIC_RECIPES.get(metric, {})}["steps"]
        total = times[1] + (full_steps - 1) * per_step
        lines.append(f"| {metric} | {times[1]:.0f} | {per_step:.3f} | {total / 60:.1f} |")
    return lines


SECTIONS = {
    "loop": section_loop,
    "losses": section_losses,
    "memory": section_memory,
    "threads": section_threads,
    "reloss": section_reloss,
    "learned": section_learned,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer repeats (a smoke test)")
    parser.add_argument("--epochs", type=int, default=6, help="epochs per timing (batch 256)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--metrics", default=None,
                        help="reloss section: only these shipped surrogates, comma-separated (default: all)")
    parser.add_argument("--compile", action="store_true", help="losses section: add compile=True columns")
    parser.add_argument("--sections", default="loop,losses,memory,threads",
                        help=f"comma-separated, from {','.join(SECTIONS)}")
    parser.add_argument("--output", default=None, help="also write the tables to this markdown file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.epochs, args.repeats = min(args.epochs, 3), 1
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible")
    warnings.filterwarnings("ignore", category=UserWarning)
    lines = [f"# Speed benchmark ({time.strftime('%Y-%m-%d')}, torch {torch.__version__}, device {args.device}"
             + (f": {torch.cuda.get_device_name()}" if args.device.startswith("cuda") else "") + ")", ""]
    for name in args.sections.split(","):
        start = time.perf_counter()
        section = SECTIONS[name.strip()](args)
        section += ["", f"({name}: {time.perf_counter() - start:.0f} s)", ""]
        print("\n".join(section), flush=True)
        lines += section
    if args.output:
        with open(args.output, "w") as f:
            f.write("\n".join(lines))


if __name__ == "__main__":
    main()
