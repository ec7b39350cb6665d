"""What the cached float64 copy of the network saves in ``predict_proba`` on the CPU.

Usage::

    python benchmarks/bench_prediction_cache.py          # about 20 s on 2 cores

Prediction on the CPU evaluates a float64 copy of the fitted network (see
``sklearn_surrogate/_inference.py``). The copy is cached on the network and reused while every
parameter and buffer still holds the values it was made from, compared value for value at each
call. This script times ``predict_proba`` on pc4 (37 features, a (100,) network) for a few batch
sizes three ways, in this one process: with the cache as shipped, with a fresh copy made at every
call (no cache), and, for reference, with no comparison at all (a cache trusted blindly, which
would miss weights edited in place). Times are the best of ``--repeats`` rounds, the three variants
interleaved round by round.
"""

import argparse
import copy
import time

import numpy as np

from sklearn_surrogate import SurrogateClassifier, _inference
from sklearn_surrogate.datasets import load_shipped

SHIPPED = _inference._float64_copy


def _best_times(functions, run, calls, repeats):
    """Best time per call of ``run`` under each forward-copy function, the rounds interleaved (a busy machine
    then slows every variant alike)."""
    best = {name: float("inf") for name in functions}
    try:
        for _ in range(repeats):
            for name, function in functions.items():
                _inference._float64_copy = function
                start = time.perf_counter()
                for _ in range(calls):
                    run()
                best[name] = min(best[name], (time.perf_counter() - start) / calls)
    finally:
        _inference._float64_copy = SHIPPED
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()

    X, y, _ = load_shipped()
    X = X.to_numpy(np.float32)
    clf = SurrogateClassifier(max_iter=2, hidden_layer_sizes=(100,), random_state=0).fit(X, y)
    blind = {}

    def no_cache(module):
        return copy.deepcopy(module).double().eval()

    def trusted(module):
        if module not in blind:
            blind[module] = no_cache(module)
        return blind[module]

    functions = {"cached": SHIPPED, "none": no_cache, "unchecked": trusted}
    print(f"{'rows':>6} {'cached (us)':>12} {'no cache (us)':>14} {'unchecked (us)':>15} "
          f"{'no cache / cached':>18} {'cached / unchecked':>19}")
    for rows in (1, 100, len(X)):
        X_rows = X[:rows]
        times = _best_times(functions, lambda: clf.predict_proba(X_rows), args.calls, args.repeats)
        print(f"{rows:>6} {times['cached'] * 1e6:>12.0f} {times['none'] * 1e6:>14.0f} "
              f"{times['unchecked'] * 1e6:>15.0f} {times['none'] / times['cached']:>18.2f} "
              f"{times['cached'] / times['unchecked']:>19.2f}")

if __name__ == "__main__":
    main()
