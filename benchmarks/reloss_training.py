"""Does training with the shipped F1 surrogate (ReLoss) beat cross-entropy on imbalanced data?

Trains ``Pipeline(preprocessing, SurrogateClassifier(loss=...))`` with every
default (MLP 100, Adam, batch 256, 200 epochs, early stopping above 10,000
rows) on the shared imbalanced binary OpenML datasets (minority share below
25 %), over stratified 70/30 splits, and reports test F1 at the 0.5 threshold
(the estimator's ``predict``) for:

* ``cross_entropy``;
* ``anyloss_f1``: the AnyLoss F1 loss (``loss="f1"``);
* ``reloss_f1``: the shipped set-level F1 surrogate alone (``loss="reloss", loss__ce_weight=0``);
* ``reloss_f1+ce``: the same plus 0.5 x cross-entropy (``loss__ce_weight=0.5``, the default);
* ``reloss_f1+ce_decay``: plus cross-entropy with weight 1 decayed linearly to 0;
* ``reloss_f1_per_sample``: the ReLoss paper's per-sample surrogate.

Usage::

    python benchmarks/reloss_training.py [--repeats 3] [--jobs 2] [--datasets kc1 pc3 ...]

Writes ``benchmarks/results/reloss_training.{csv,md}``. About 25 minutes on 2 cores with the defaults.
"""

import argparse
import pathlib
import sys
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shared, make_preprocessor, shared_manifest

RESULTS = pathlib.Path(__file__).parent / "results"
METHODS = {
    "cross_entropy": {"loss": "cross_entropy"},
    "anyloss_f1": {"loss": "f1"},
    "reloss_f1": {"loss": "reloss", "loss__metric": "f1", "loss__ce_weight": 0.0},
    "reloss_f1+ce": {"loss": "reloss", "loss__metric": "f1", "loss__ce_weight": 0.5},
    "reloss_f1+ce_decay": {"loss": "reloss", "loss__metric": "f1", "loss__ce_weight": 1.0,
                           "loss__ce_schedule": "linear"},
    "reloss_f1_per_sample": {"loss": "reloss", "loss__metric": "f1", "loss__architecture": "per_sample",
                             "loss__ce_weight": 0.0},
}


def imbalanced_datasets(max_share=0.25):
    manifest = shared_manifest()
    rows = manifest[(manifest["n_classes"] == 2) & (manifest["minority_share"] < max_share)]
    return list(rows.sort_values("n_rows")["name"])


def _fit_one(dataset, repeat, method, params, train, test, X, y):
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    model = make_pipeline(make_preprocessor(X.iloc[train]),
                          SurrogateClassifier(random_state=repeat, **params))
    model.fit(X.iloc[train], y[train])
    seconds = time.perf_counter() - start
    positive = model[-1].classes_[1]
    return {"dataset": dataset, "repeat": repeat, "method": method,
            "f1": f1_score(y[test], model.predict(X.iloc[test]), pos_label=positive),
            "epochs": model[-1].n_iter_, "fit_seconds": seconds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--output", default=str(RESULTS / "reloss_training"))
    args = parser.parse_args(argv)
    names = args.datasets or imbalanced_datasets()
    tasks = []
    for name in names:
        X, y, _ = load_shared(name)
        y = np.asarray(y)
        splits = StratifiedShuffleSplit(args.repeats, test_size=0.3, random_state=0).split(X, y)
        for repeat, (train, test) in enumerate(splits):
            tasks += [(name, repeat, method, METHODS[method], train, test, X, y) for method in args.methods]
    start = time.perf_counter()
    rows = Parallel(n_jobs=args.jobs, verbose=5)(delayed(_fit_one)(*task) for task in tasks)
    frame = pd.DataFrame(rows)
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output.with_suffix(".csv"), index=False)
    means = frame.pivot_table(index="dataset", columns="method", values="f1", aggfunc="mean")[args.methods]
    means = means.loc[[n for n in names if n in means.index]]
    wins = {m: int((means[m] > means["cross_entropy"]).sum()) for m in args.methods if m != "cross_entropy"}
    table = means.round(3)
    table.loc["mean"] = means.mean().round(3)
    table.loc["wins vs cross_entropy"] = [wins.get(m, "") for m in args.methods]
    if "anyloss_f1" in means:
        table.loc["wins vs anyloss_f1"] = [int((means[m] > means["anyloss_f1"]).sum()) if m != "anyloss_f1" else ""
                                           for m in args.methods]
    seconds = frame.groupby("method")["fit_seconds"].mean().reindex(args.methods).round(1)
    text = (
        "# Training with the shipped F1 surrogate: test F1 at threshold 0.5\n\n"
        f"Produced by `python benchmarks/reloss_training.py` ({args.repeats} stratified 70/30 splits, every "
        f"default, nothing tuned; {time.perf_counter() - start:.0f} s with {args.jobs} jobs). Mean test F1 per "
        "dataset; a win is a higher mean than the baseline.\n\n"
        + table.to_markdown() + "\n\nMean fit seconds per method: "
        + ", ".join(f"{m} {s}" for m, s in seconds.items()) + "\n"
    )
    output.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
