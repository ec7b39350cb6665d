"""File size and save/load time of a fitted SurrogateClassifier: pickle, joblib and skops.

Usage::

    python benchmarks/bench_persistence.py          # about 30 s on 2 cores

The estimator pickles its network in a portable form (safetensors tensors and plain values, rebuilt on
load); the "torch objects" row pickles the estimator's attributes with the skorch net as it is (what
pickling did before), as the reference the ratios are taken against. Times are the median of
``--repeats`` runs, measured in this one process.
"""

import argparse
import io
import pickle
import statistics
import time

import joblib
import numpy as np

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shipped


def _median_time(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _joblib_bytes(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    X, y, _ = load_shipped()
    X = np.asarray(X, dtype=np.float64)
    try:
        import skops.io as sio
    except ImportError:
        sio = None

    for sizes in [(100,), (256, 256)]:
        clf = SurrogateClassifier(loss="f1", hidden_layer_sizes=sizes, max_iter=20, random_state=0).fit(X, y)
        n_params = sum(p.numel() for p in clf.net_.module_.parameters())
        formats = {
            "torch objects": (lambda: pickle.dumps(dict(clf.__dict__)), pickle.loads),
            "pickle": (lambda: pickle.dumps(clf), pickle.loads),
            "joblib": (lambda: _joblib_bytes(clf), lambda data: joblib.load(io.BytesIO(data))),
        }
        if sio is not None:
            trusted = sio.get_untrusted_types(data=sio.dumps(clf))
            formats["skops"] = (lambda: sio.dumps(clf), lambda data: sio.loads(data, trusted=trusted))
        print(f"\nhidden_layer_sizes={sizes} ({n_params} network parameters), pc4 ({X.shape[0]} rows):")
        print(f"{'format':<14} {'bytes':>9} {'save ms':>8} {'load ms':>8}   vs torch objects: size, save, load")
        reference = None
        for name, (save, load) in formats.items():
            data = save()
            row = (len(data), _median_time(save, args.repeats), _median_time(lambda: load(data), args.repeats))
            reference = reference or row
            ratios = ", ".join(f"{a / b:.2f}x" for a, b in zip(row, reference))
            print(f"{name:<14} {row[0]:>9} {row[1] * 1e3:>8.2f} {row[2] * 1e3:>8.2f}   {ratios}")


if __name__ == "__main__":
    main()
