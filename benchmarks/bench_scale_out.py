"""Grid search on 1 and on 2 local Dask workers: the speed-up of scaling out, measured in one run.

Usage::

    python benchmarks/bench_scale_out.py [--rows 20000] [--epochs 30] [--repeats 3] [--output results.md]

A 16-candidate grid (loss x learning rate x width x batch size) of a
``StandardScaler -> SurrogateClassifier`` pipeline, 3-fold, under
``joblib.parallel_config(backend="dask")`` on a ``LocalCluster`` of 1 and then
2 worker processes with 1 thread each (torch then runs one thread per worker:
dask starts workers with ``OMP_NUM_THREADS=1``). With a single 1-thread worker
joblib sees one job and runs the search sequentially in the client, so the
baseline is the search without any Dask overhead. Each cluster is started and
warmed up (one small task per worker) before the timed search, so the ratio
measures the search, not process start-up. The two searches must find the same
best parameters (checked).
"""

import argparse
import os
import statistics
import time
import warnings

import joblib
import numpy as np
from bench_speed import make_data  # the same synthetic data as the speed benchmark
from distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_surrogate import SurrogateClassifier


def search(epochs):
    pipe = make_pipeline(StandardScaler(), SurrogateClassifier(max_iter=epochs, early_stopping=False,
                                                               random_state=0, n_threads=1))
    grid = {
        "surrogateclassifier__loss": ["cross_entropy", "f1"],
        "surrogateclassifier__learning_rate_init": [1e-3, 3e-3],
        "surrogateclassifier__hidden_layer_sizes": [(64,), (64, 64)],
        "surrogateclassifier__batch_size": [256, 512],
    }
    # refit=False: the refit of the best candidate is one sequential fit in the client, not part of the
    # distributed search
    return GridSearchCV(pipe, grid, cv=3, scoring="f1", n_jobs=-1, refit=False)


def worker_environment():
    """Dask's environment for new workers, without ``MALLOC_TRIM_THRESHOLD_``.

    Dask sets ``MALLOC_TRIM_THRESHOLD_=65536`` to return memory to the OS
    sooner; it also turns off glibc's adaptive mmap threshold, and torch's
    CPU training, which allocates and frees many mid-sized tensors per batch,
    ran 19 % slower per fit with it (measured: 0.86 s against 0.72 s for one fit).
    """
    import dask

    environ = dask.config.get("distributed.nanny.pre-spawn-environ")
    return {key: value for key, value in environ.items() if key != "MALLOC_TRIM_THRESHOLD_"}


def timed_search(n_workers, X, y, epochs):
    import dask

    # the workers' statistical profiler samples every thread's stack every 10 ms: 4 % of a CPU fit
    environment = {"distributed.nanny.pre-spawn-environ": worker_environment(), "distributed.worker.profile.enabled": False}
    with dask.config.set(environment), LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("sklearn_surrogate"))  # warm-up: imports done in every worker
        start = time.perf_counter()
        # scatter: the data goes to each worker once, not with every task
        with joblib.parallel_config(backend="dask", scatter=[X, y]):
            result = search(epochs).fit(X, y)
        return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    X, y = make_data(args.rows, 30, positive_share=0.2)
    times = {1: [], 2: []}
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit both alike
        seconds, first = timed_search(1, X, y, args.epochs)
        times[1].append(seconds)
        seconds, second = timed_search(2, X, y, args.epochs)
        times[2].append(seconds)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    assert first.best_params_ == second.best_params_, "the two searches disagree"
    assert np.array_equal(first.cv_results_["mean_test_score"], second.cv_results_["mean_test_score"])
    n_fits = len(first.cv_results_["params"]) * 3
    lines = [
        "# Scale-out benchmark: grid search on local Dask workers",
        "",
        (f"16 candidates x 3 folds = {n_fits} fits of StandardScaler -> SurrogateClassifier on {args.rows:,} x 30 "
        f"rows, {args.epochs} epochs each (refit=False); LocalCluster workers with 1 thread each, started without "
        f"MALLOC_TRIM_THRESHOLD_ and with the worker profiler off (see docs/user_guide/scaling.md), on a machine with "
        f"{os.cpu_count()} cores; joblib.parallel_config(backend='dask', scatter=[X, y]). Both runs give the "
        f"same scores for every candidate; best: {first.best_params_}."),
        "",
        f"Median of {args.repeats} interleaved repeats (each run: " + ", ".join(
            f"{a:.1f} s / {b:.1f} s" for a, b in zip(times[1], times[2])) + ").",
        "",
        "| workers | wall seconds | speed-up |",
        "|---:|---:|---:|",
        f"| 1 (joblib runs a 1-thread cluster's work in the client) | {one:.1f} | 1.00x |",
        f"| 2 | {two:.1f} | {one / two:.2f}x |",
    ]
    print("\n".join(lines))
    if args.output:
        with open(args.output, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
