"""How faithfully do the learned surrogates rank real models? Held-out Spearman on the shared OpenML datasets.

For every shared dataset of the right kind (binary for F1, ROC AUC, balanced
accuracy and accuracy; multiclass for macro F1), a zoo of 15 real classifiers
(:func:`sklearn_surrogate.learned._prediction_sets.fit_model_zoo`: logistic regressions,
naive Bayes, nearest neighbours, trees, gradient boosting and MLPs of every
quality) is fitted on half the rows; random batches of 256 of their
*unperturbed* predictions on the other half are the evaluation sets. No
surrogate saw these datasets (pc4, which the training zoo uses, is left out).
For each surrogate we report Spearman's correlation between minus its value
and the metric: pooled over all datasets' sets, and the median over datasets
of the per-dataset correlation.

Usage::

    python benchmarks/reloss_quality.py                  # the shipped surrogates
    python benchmarks/reloss_quality.py --weights DIR    # surrogate files in DIR

Writes ``benchmarks/results/reloss_quality.{csv,md}`` (shipped surrogates only).
About 3 minutes on one thread.
"""

import argparse
import pathlib
import sys
import time

import numpy as np
import pandas as pd
import torch

from sklearn_surrogate.datasets import load_shared, make_preprocessor, shared_manifest
from sklearn_surrogate.learned import load_surrogate
from sklearn_surrogate.learned._metrics import BUILTIN_METRICS
from sklearn_surrogate.learned._prediction_sets import draw_model_sets, fit_model_zoo
from sklearn_surrogate.learned._spearman import spearman
from sklearn_surrogate.learned._io import SHIPPED_METRICS, shipped_surrogate_path
from sklearn_surrogate.learned._learn import _as_tensors, _metric_values

RESULTS = pathlib.Path(__file__).parent / "results"
EXCLUDED = {"pc4"}  # part of the surrogates' training zoo


def datasets(kind):
    """Names of the shared datasets of ``kind`` ("binary" or "multiclass"), minus the training ones."""
    manifest = shared_manifest()
    binary = manifest["n_classes"] == 2
    rows = manifest[binary if kind == "binary" else ~binary]
    return [name for name in rows["name"] if name not in EXCLUDED]


def real_sets(kind, *, n_sets=48, n_samples=256, random_state=0):
    """Unperturbed model prediction sets on every shared dataset of ``kind``.

    Returns
    -------
    sets : list of (dataset, model, y, logits)
    """
    rng = np.random.default_rng(random_state)
    out = []
    for name in datasets(kind):
        X, y, _ = load_shared(name)
        X = make_preprocessor(X).fit_transform(X)
        zoo = fit_model_zoo(X, np.asarray(y), random_state=int(rng.integers(2**31 - 1)))
        Y, Z, models = draw_model_sets(zoo, n_sets, n_samples=n_samples, perturb=False, rng=rng)
        out += [(name, model, y_, z) for model, y_, z in zip(models, Y, Z)]
    return out


def surrogate_values(loss, sets):
    """Surrogate value of every set (lower = better), one batched call per class count."""
    network = loss._network()
    values = np.empty(len(sets))
    by_k = {}
    for i, (_, _, _, z) in enumerate(sets):
        by_k.setdefault(z.shape[1], []).append(i)
    for k, rows in by_k.items():
        log_p, Y = _as_tensors(np.stack([sets[i][2] for i in rows]), np.stack([sets[i][3] for i in rows]), k)
        with torch.no_grad():
            values[rows] = network(torch.softmax(log_p, -1), Y).double().numpy()
    return values


def quality(loss, metric, sets):
    """Pooled Spearman and median per-dataset Spearman of -surrogate vs the metric."""
    m = _metric_values(BUILTIN_METRICS[metric][0], [s[2] for s in sets], [s[3] for s in sets])
    v = -surrogate_values(loss, sets)
    names = np.array([s[0] for s in sets])
    per_dataset = {d: spearman(v[names == d], m[names == d]) for d in np.unique(names) if np.ptp(m[names == d]) > 0}
    return spearman(v, m), float(np.median(list(per_dataset.values()))), per_dataset


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="folder of <metric>-<architecture>.safetensors files")
    parser.add_argument("--n-sets", type=int, default=48, help="sets per dataset (default: %(default)s)")
    parser.add_argument("--metrics", nargs="*", default=list(SHIPPED_METRICS), choices=list(SHIPPED_METRICS))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    start = time.perf_counter()
    cache, rows = {}, []
    for metric in args.metrics:
        kind = SHIPPED_METRICS[metric]
        if kind not in cache:
            cache[kind] = real_sets(kind, n_sets=args.n_sets)
        for architecture in ("set", "per_sample"):
            path = (pathlib.Path(args.weights) / f"{metric}-{architecture}.safetensors" if args.weights
                    else shipped_surrogate_path(metric, architecture))
            if not pathlib.Path(path).exists():
                continue
            loss = load_surrogate(path)
            pooled, median, per_dataset = quality(loss, metric, cache[kind])
            rows.append({"metric": metric, "architecture": architecture, "pooled_spearman": round(pooled, 4),
                         "median_dataset_spearman": round(median, 4),
                         "worst_dataset": min(per_dataset, key=per_dataset.get),
                         "worst_dataset_spearman": round(min(per_dataset.values()), 4),
                         "n_sets": len(cache[kind]), "n_datasets": len(per_dataset)})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(f"\n{table.to_markdown(index=False)}\n({time.perf_counter() - start:.0f} s)")
    if args.weights is None and args.metrics == list(SHIPPED_METRICS):
        RESULTS.mkdir(exist_ok=True)
        table.to_csv(RESULTS / "reloss_quality.csv", index=False)
        binary, multi = datasets("binary"), datasets("multiclass")
        (RESULTS / "reloss_quality.md").write_text(
            "# Learned surrogates: held-out Spearman on real model predictions\n\n"
            "Produced by `python benchmarks/reloss_quality.py`. Sets: batches of 256 unperturbed predictions of "
            f"15 real classifiers per dataset, {args.n_sets} sets per dataset. Binary datasets ({len(binary)}): "
            f"{', '.join(binary)}. Multiclass datasets ({len(multi)}): {', '.join(multi)}.\n\n"
            + table.to_markdown(index=False) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
