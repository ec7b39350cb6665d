"""Sparse input: the memory a one-epoch fit needs on a large CSR matrix, and its speed against dense input.

Usage::

    python benchmarks/bench_sparse.py [--rows 200000] [--cols 5000] [--density 0.01]
        [--compare-rows 40000] [--repeats 3] [--threads N] [--output results.md]

Memory: a fresh process builds a ``rows x cols`` CSR float32 matrix (int32
indices) at ``density``, then fits ``SurrogateClassifier`` (default network,
``max_iter=1``, ``early_stopping=False``) on it. The peak resident memory
during ``fit`` is measured as growth over the baseline taken after the data is
built (freed heap memory given back to the OS first, ``malloc_trim``): the
kernel's high-water mark (``VmHWM``) is reset just before ``fit``
(``/proc/self/clear_refs``), and a thread also samples ``VmRSS`` every 2 ms (the
larger of the two counts). The ratio of that growth to the size of the sparse
data (data + indices + indptr bytes) plus the model's parameters is the
figure to keep below 3x: ``fit`` must hold neither a dense nor a second sparse
copy of the matrix.

The first fit of a process also pays one-time costs that do not depend on the
data: torch's optimizers import ``torch._dynamo`` (with sympy and more) when
the first one is built, and libraries set up their kernels and thread pools.
So the memory is measured twice, each time in a fresh process: the first fit
of the process ("cold"), and a fit after a warm-up fit on 300 rows of the same
matrix ("warm"; the warm-up's own growth is reported as the one-time cost).

Speed: a dense float32 copy of the full matrix may not fit in memory
(200,000 x 5,000 is 4 GB), so epoch times of sparse and dense input are
compared on the first ``--compare-rows`` rows, in another fresh process, the
two fits interleaved ``--repeats`` times; the full-size sparse epoch time comes
from the memory run. Linux only (``/proc``).
"""

import argparse
import ctypes
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np


def make_data(rows, cols, density, seed=0):
    """A CSR float32 matrix with int32 indices, and labels from a sparse linear score."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    X = sp.random_array((rows, cols), density=density, format="csr", dtype=np.float32, rng=rng)
    X.indices = X.indices.astype(np.int32, copy=False)
    X.indptr = X.indptr.astype(np.int32, copy=False)
    scores = X @ rng.standard_normal(cols).astype(np.float32)
    y = (scores > np.median(scores)).astype(np.int64)
    return X, y


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _release_free_heap():
    """Give freed heap memory back to the OS (glibc), so a later fit cannot hide in it and the baseline is exact."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class PeakSampler:
    """Samples VmRSS in a thread; the kernel's VmHWM, reset at the start, is read at the end too."""

    def __init__(self, interval=0.002):
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, _status_kib("VmRSS"))
            time.sleep(self.interval)

    def __enter__(self):
        gc.collect()
        _release_free_heap()
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # reset VmHWM to the current RSS
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        self.baseline_kib = _status_kib("VmRSS")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, _status_kib("VmRSS"))
        if self.hwm_reset:
            self.peak_kib = max(self.peak_kib, _status_kib("VmHWM"))
        self.growth_bytes = (self.peak_kib - self.baseline_kib) * 1024


def _classifier(threads=None):
    from sklearn_surrogate import SurrogateClassifier

    return SurrogateClassifier(max_iter=1, early_stopping=False, random_state=0, n_threads=threads)


def child_memory(args, warm):
    """One fit on the full-size sparse matrix in this (fresh) process: peak RSS growth and epoch time."""
    import torch

    import sklearn_surrogate  # noqa: F401  (imported before the baselines, as a user's program would have)

    X, y = make_data(args.rows, args.cols, args.density)
    one_time_bytes = None
    if warm:
        with PeakSampler() as warm_up:
            _classifier(args.threads).fit(X[:300], y[:300])
        one_time_bytes = warm_up.growth_bytes
    clf = _classifier(args.threads)
    with PeakSampler() as sampler:
        start = time.perf_counter()
        clf.fit(X, y)
        fit_seconds = time.perf_counter() - start
    sparse_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    model_bytes = sum(p.numel() * p.element_size() for p in clf.net_.module_.parameters())
    return {
        "rows": args.rows, "cols": args.cols, "density": args.density, "nnz": int(X.nnz),
        "index_dtype": str(X.indices.dtype), "sparse_bytes": sparse_bytes, "model_bytes": model_bytes,
        "dense_bytes": args.rows * args.cols * 4, "baseline_bytes": sampler.baseline_kib * 1024,
        "growth_bytes": sampler.growth_bytes, "hwm_reset": sampler.hwm_reset,
        "epoch_seconds": clf.history_[0]["dur"], "fit_seconds": fit_seconds, "one_time_bytes": one_time_bytes,
        "threads": torch.get_num_threads() if args.threads is None else args.threads,
    }


def child_compare(args):
    """Epoch times of the same fit on sparse and on dense input, interleaved, on ``compare_rows`` rows."""
    X, y = make_data(args.compare_rows, args.cols, args.density)
    X_dense = X.toarray()
    times = {"sparse": [], "dense": []}
    _classifier(args.threads).fit(X[:2000], y[:2000])  # warm-up: one-time library initialisation
    for _ in range(args.repeats):
        for kind, data in (("sparse", X), ("dense", X_dense)):
            clf = _classifier(args.threads).fit(data, y)
            times[kind].append(clf.history_[0]["dur"])
    return {"rows": args.compare_rows, "cols": args.cols, "density": args.density, "times": times}


def run_child(mode, args):
    command = [sys.executable, __file__, "--child", mode, "--rows", str(args.rows), "--cols", str(args.cols),
               "--density", str(args.density), "--compare-rows", str(args.compare_rows),
               "--repeats", str(args.repeats)] + ([] if args.threads is None else ["--threads", str(args.threads)])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _mb(n_bytes):
    return f"{n_bytes / 1e6:,.1f} MB"


def report(cold, warm, compare, command):
    total = cold["sparse_bytes"] + cold["model_bytes"]
    ratios = {"cold": cold["growth_bytes"] / total, "warm": warm["growth_bytes"] / total}
    sparse_median = statistics.median(compare["times"]["sparse"])
    dense_median = statistics.median(compare["times"]["dense"])
    lines = [
        "# Sparse input benchmark",
        "",
        f"Command: `{command}`",
        "",
        f"`SurrogateClassifier(max_iter=1, early_stopping=False)` (default network: {cold['cols']:,} -> 100 -> 1), "
        f"batch 256, torch {_torch_version()} with {cold['threads']} thread(s), on a machine with {os.cpu_count()} "
        "cores.",
        "",
        f"## Memory: {cold['rows']:,} x {cold['cols']:,} CSR float32, density {cold['density']:g}",
        "",
        "Peak RSS growth during `fit` over the baseline taken after the data was built, each in a fresh process "
        f"(VmHWM reset before fit: {'yes' if cold['hwm_reset'] else 'no, VmRSS sampled every 2 ms only'}). "
        "Cold: the process's first fit. Warm: a fit after a warm-up fit on 300 rows, whose own growth is the "
        "one-time cost of a process's first fit (torch's first optimizer imports `torch._dynamo`, sympy and "
        "more; kernels and thread pools are set up), the same for dense data.",
        "",
        "| quantity | value |",
        "|---|---:|",
        f"| stored values (nnz) | {cold['nnz']:,} |",
        f"| sparse data (data + indices + indptr, {cold['index_dtype']} indices) | {_mb(cold['sparse_bytes'])} |",
        f"| model parameters (float32) | {_mb(cold['model_bytes'])} |",
        f"| the same matrix dense (float32) | {_mb(cold['dense_bytes'])} |",
        f"| process RSS before fit (cold baseline) | {_mb(cold['baseline_bytes'])} |",
        f"| peak RSS growth, cold fit | {_mb(cold['growth_bytes'])} |",
        f"| one-time cost (growth of the 300-row warm-up fit) | {_mb(warm['one_time_bytes'])} |",
        f"| peak RSS growth, warm fit | {_mb(warm['growth_bytes'])} |",
        f"| **ratio growth / (sparse data + model), cold** | **{ratios['cold']:.2f}x** (target < 3x) |",
        f"| **ratio growth / (sparse data + model), warm** | **{ratios['warm']:.2f}x** (target < 3x) |",
        f"| epoch time (sparse; cold / warm run) | {cold['epoch_seconds']:.2f} s / {warm['epoch_seconds']:.2f} s |",
        "",
        f"## Speed: sparse against dense input, {compare['rows']:,} x {compare['cols']:,}, density "
        f"{compare['density']:g}",
        "",
        f"A dense copy of the full matrix would take {_mb(cold['dense_bytes'])}, so the comparison runs on "
        f"{compare['rows']:,} rows (one process, after a warm-up fit). Seconds per epoch, median of "
        f"{len(compare['times']['sparse'])} interleaved repeats "
        f"(sparse: {', '.join(f'{t:.2f}' for t in compare['times']['sparse'])}; "
        f"dense: {', '.join(f'{t:.2f}' for t in compare['times']['dense'])}).",
        "",
        "| input | s / epoch | ratio |",
        "|---|---:|---:|",
        f"| dense float32 | {dense_median:.3f} | 1.00x |",
        f"| sparse CSR float32 | {sparse_median:.3f} | {sparse_median / dense_median:.2f}x |",
        "",
    ]
    return "\n".join(lines), ratios


def _torch_version():
    import torch

    return torch.__version__


def _torch_threads():
    import torch

    return torch.get_num_threads()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cols", type=int, default=5_000)
    parser.add_argument("--density", type=float, default=0.01)
    parser.add_argument("--compare-rows", type=int, default=40_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (n_threads); default: torch's")
    parser.add_argument("--output", default=None, help="also write the Markdown report to this file")
    parser.add_argument("--child", choices=["cold", "warm", "compare"], default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        result = child_compare(args) if args.child == "compare" else child_memory(args, warm=args.child == "warm")
        print(json.dumps(result))
        return
    cold = run_child("cold", args)
    warm = run_child("warm", args)
    compare = run_child("compare", args)
    command = "python benchmarks/bench_sparse.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text, ratios = report(cold, warm, compare, command.strip())
    print(text)
    if args.output:
        with open(args.output, "w") as out:
            out.write(text)
    for kind, ratio in ratios.items():
        print(f"target, {kind} (growth < 3x sparse data + model): {'met' if ratio < 3 else 'MISSED'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
