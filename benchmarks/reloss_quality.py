"""How faithfully do the learned surrogates rank real models? Held-out Spearman on the shared OpenML datasets.

For every shared dataset of the right kind (binary for F1, ROC AUC, balanced
accuracy, accuracy, MCC and the recall at a precision of 0.8; multiclass for
macro F1), a zoo of 15 real classifiers
(:func:`sklearn_surrogate.learned._prediction_sets.fit_model_zoo`: logistic regressions,
naive Bayes, nearest neighbours, trees, gradient boosting and MLPs of every
quality) is fitted on half the rows; random batches of 256 of their
*unperturbed* predictions on the other half are the evaluation sets. No
surrogate saw these datasets (pc4, which the training zoo uses, is left out).
For each surrogate we report Spearman's correlation between minus its value
and the metric: pooled over all datasets' sets, and the median over datasets
of the per-dataset correlation. For the surrogates that training evaluates
from a table (``ReLoss(evaluation="table")``: set surrogates without rank
features), ``table_pooled_spearman`` is the same pooled correlation with the
tabulated values, and ``table_max_abs_error`` their largest distance to the
network's, relative to the range of its values.

The fidelity is measured at several batch sizes (``--n-samples``, default
64, 256 and 1024: the sets are that many rows) and, for the binary metrics,
at fixed positive rates (``--positive-shares``, default 1 %, 5 %, 20 % and
50 %: every set holds that share of positives whatever the dataset's, as a
class-balanced or a rare-class batch would) besides the datasets' own rates
(``natural``).

Usage::

    python benchmarks/reloss_quality.py                  # the shipped surrogates
    python benchmarks/reloss_quality.py --weights DIR    # surrogate files in DIR

    python benchmarks/reloss_quality.py --metrics mcc    # re-measure shipped surrogates, keep the other rows

Writes ``benchmarks/results/reloss_quality.{csv,md}`` (shipped surrogates, both
architectures, every setting): a run over some of the shipped metrics replaces
their rows and keeps the others'. About 15 minutes on one thread for all of
them.
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
from sklearn_surrogate.learned._metrics import resolve_metric
from sklearn_surrogate.learned._prediction_sets import draw_model_sets, fit_model_zoo
from sklearn_surrogate.learned._spearman import spearman
from sklearn_surrogate.learned._io import SHIPPED_METRIC_PARAMS, SHIPPED_METRICS, shipped_surrogate_path
from sklearn_surrogate.learned._learn import _as_tensors, _metric_values
from sklearn_surrogate.learned._tabulated import TabulatedSetSurrogate, can_tabulate

RESULTS = pathlib.Path(__file__).parent / "results"
N_SAMPLES = (64, 256, 1024)
POSITIVE_SHARES = (0.01, 0.05, 0.2, 0.5)
EXCLUDED = {"pc4"}  # part of the surrogates' training zoo


def datasets(kind):
    """Names of the shared datasets of ``kind`` ("binary" or "multiclass"), minus the training ones."""
    manifest = shared_manifest()
    binary = manifest["n_classes"] == 2
    rows = manifest[binary if kind == "binary" else ~binary]
    return [name for name in rows["name"] if name not in EXCLUDED]


def model_zoos(kind, random_state=0):
    """The fitted zoo of every shared dataset of ``kind``: ``{dataset: predictions}``."""
    rng = np.random.default_rng(random_state)
    zoos = {}
    for name in datasets(kind):
        X, y, _ = load_shared(name)
        X = make_preprocessor(X).fit_transform(X)
        zoos[name] = fit_model_zoo(X, np.asarray(y), random_state=int(rng.integers(2**31 - 1)))
    return zoos


def real_sets(zoos, *, n_sets=48, n_samples=256, positive_share=None, random_state=0):
    """Unperturbed model prediction sets drawn from every dataset's zoo.

    Returns
    -------
    sets : list of (dataset, model, y, logits)
    """
    rng = np.random.default_rng(random_state)
    out = []
    for name, zoo in zoos.items():
        Y, Z, models = draw_model_sets(zoo, n_sets, n_samples=n_samples, perturb=False,
                                       positive_share=positive_share, rng=rng)
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
        # a chunk of sets at a time: the pairwise rank features of 1024-row sets take n^2 memory per set
        for start in range(0, len(rows), 32):
            chunk = rows[start:start + 32]
            log_p, Y = _as_tensors(np.stack([sets[i][2] for i in chunk]), np.stack([sets[i][3] for i in chunk]), k)
            with torch.no_grad():
                values[chunk] = network(torch.softmax(log_p, -1), Y).double().numpy()
    return values


def table_values(loss, sets):
    """Surrogate value of every set from the tabulated evaluation of its network (as training uses it)."""
    table = TabulatedSetSurrogate(loss._network())
    values = np.empty(len(sets))
    for i, (_, _, y, z) in enumerate(sets):
        z = torch.as_tensor(z, dtype=torch.float32)
        logits = z[:, 1] - z[:, 0] if z.shape[1] == 2 else z  # the same softmax probabilities
        with torch.no_grad():
            values[i] = float(table(logits, torch.as_tensor(y, dtype=torch.long)))
    return values


def quality(loss, metric, sets):
    """Pooled Spearman and median per-dataset Spearman of -surrogate vs the metric; the same pooled Spearman
    and the largest relative error of the tabulated evaluation (None where the network is not tabulated)."""
    # the metric at the surrogate's own operating point (recall at a precision of 0.8 for the shipped one)
    options = loss.target_metric_params() if metric in SHIPPED_METRIC_PARAMS else None
    evaluate, *_ = resolve_metric(metric, 2 if SHIPPED_METRICS[metric] == "binary" else 3, metric_params=options)
    m = _metric_values(evaluate, metric, [s[2] for s in sets], [s[3] for s in sets])
    v = -surrogate_values(loss, sets)
    names = np.array([s[0] for s in sets])
    per_dataset = {d: spearman(v[names == d], m[names == d]) for d in np.unique(names) if np.ptp(m[names == d]) > 0}
    table = None
    if can_tabulate(loss._network()):
        t = -table_values(loss, sets)
        table = (spearman(t, m), float(np.max(np.abs(t - v)) / np.ptp(v)))
    return spearman(v, m), float(np.median(list(per_dataset.values()))), per_dataset, table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="folder of <metric>-<architecture>.safetensors files")
    parser.add_argument("--n-sets", type=int, default=48, help="sets per dataset (default: %(default)s)")
    parser.add_argument("--metrics", nargs="*", default=list(SHIPPED_METRICS), choices=list(SHIPPED_METRICS))
    parser.add_argument("--architectures", nargs="*", default=["set", "per_sample"], choices=["set", "per_sample"])
    parser.add_argument("--n-samples", nargs="*", type=int, default=list(N_SAMPLES),
                        help="set sizes (default: %(default)s)")
    parser.add_argument("--positive-shares", nargs="*", type=float, default=list(POSITIVE_SHARES),
                        help="fixed positive rates of binary sets, besides the natural ones (default: %(default)s)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    start = time.perf_counter()
    zoos, cache, rows = {}, {}, []
    for metric in args.metrics:
        kind = SHIPPED_METRICS[metric]
        if kind not in zoos:
            zoos[kind] = model_zoos(kind)
        shares = [None] + (list(args.positive_shares) if kind == "binary" else [])
        for architecture in args.architectures:
            path = (pathlib.Path(args.weights) / f"{metric}-{architecture}.safetensors" if args.weights
                    else shipped_surrogate_path(metric, architecture))
            if not pathlib.Path(path).exists():
                continue
            loss = load_surrogate(path)
            for n_samples in args.n_samples:
                for share in shares:
                    key = (kind, n_samples, share)
                    if key not in cache:
                        cache[key] = real_sets(zoos[kind], n_sets=args.n_sets, n_samples=n_samples,
                                               positive_share=share)
                    pooled, median, per_dataset, table = quality(loss, metric, cache[key])
                    rows.append({"metric": metric, "architecture": architecture, "n_samples": n_samples,
                                 "positive_share": "natural" if share is None else share,
                                 "pooled_spearman": round(pooled, 4), "median_dataset_spearman": round(median, 4),
                                 "worst_dataset": min(per_dataset, key=per_dataset.get),
                                 "worst_dataset_spearman": round(min(per_dataset.values()), 4),
                                 "n_sets": len(cache[key]), "n_datasets": len(per_dataset),
                                 "table_pooled_spearman": None if table is None else round(table[0], 4),
                                 "table_max_abs_error": None if table is None else float(f"{table[1]:.2g}")})
                    print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(f"\n{table.to_markdown(index=False)}\n({time.perf_counter() - start:.0f} s)")
    every_setting = (args.n_samples == list(N_SAMPLES) and args.positive_shares == list(POSITIVE_SHARES)
                     and args.n_sets == 48)
    if args.weights is None and len(args.architectures) == 2 and every_setting:
        RESULTS.mkdir(exist_ok=True)
        previous = RESULTS / "reloss_quality.csv"
        if previous.exists() and args.metrics != list(SHIPPED_METRICS):  # keep the rows of the metrics not re-run
            kept = pd.read_csv(previous)
            kept = kept[~kept["metric"].isin(args.metrics) & kept["metric"].isin(list(SHIPPED_METRICS))]
            table = pd.concat([kept, table], ignore_index=True)
            order = {metric: i for i, metric in enumerate(SHIPPED_METRICS)}
            table = table.sort_values("metric", key=lambda column: column.map(order), kind="stable")
        table.to_csv(previous, index=False)
        binary, multi = datasets("binary"), datasets("multiclass")
        (RESULTS / "reloss_quality.md").write_text(
            "# Learned surrogates: held-out Spearman on real model predictions\n\n"
            "Produced by `python benchmarks/reloss_quality.py`. Sets: batches of `n_samples` unperturbed "
            f"predictions of 15 real classifiers per dataset, {args.n_sets} sets per dataset and setting; "
            "`positive_share`: the datasets' own positive rates (natural) or a fixed share of positives in every "
            f"set (binary metrics). Binary datasets ({len(binary)}): "
            f"{', '.join(binary)}. Multiclass datasets ({len(multi)}): {', '.join(multi)}.\n\n"
            + table.astype(object).where(table.notna(), "–").to_markdown(index=False) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
