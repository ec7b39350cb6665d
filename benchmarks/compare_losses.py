"""Every registered loss against cross-entropy on shared OpenML datasets.

Usage::

    python benchmarks/compare_losses.py --datasets kc1 churn --repeats 5 --out benchmarks/results/compare_losses.csv

Protocol: the same network (MLP 100, Adam, lr 1e-3, batch 256, 200 epochs, no
early stopping unless the loss's value does not track progress), the same
preprocessing (median imputation, scaling, one-hot) and the same repeated
stratified 70/30 splits for every loss; defaults everywhere, nothing tuned.
Reports test F1 (positive = minority class; macro for multiclass), ROC AUC and
balanced accuracy, mean ± sd over the splits.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shared, make_preprocessor
from sklearn_surrogate.losses import get_loss, get_loss_names


def evaluate(name, losses, repeats, seed):
    X, y, info = load_shared(name)
    y = np.asarray(y)
    rows = []
    splits = StratifiedShuffleSplit(repeats, test_size=0.3, random_state=seed).split(X, y)
    for repeat, (train, test) in enumerate(splits):
        for loss in losses:
            n_classes = len(np.unique(y))
            probe = get_loss(loss)
            if (n_classes == 2 and not probe.supports_binary) or (n_classes > 2 and not probe.supports_multiclass):
                continue
            model = make_pipeline(
                make_preprocessor(X.iloc[train]), SurrogateClassifier(loss=loss, random_state=seed + repeat)
            )
            start = time.perf_counter()
            model.fit(X.iloc[train], y[train])
            seconds = time.perf_counter() - start
            classes = model[-1].classes_
            proba = model.predict_proba(X.iloc[test])
            pred = model.predict(X.iloc[test])
            if n_classes == 2:
                f1 = f1_score(y[test], pred, pos_label=classes[1])
                auc = roc_auc_score(y[test] == classes[1], proba[:, 1])
            else:
                f1 = f1_score(y[test], pred, average="macro")
                auc = roc_auc_score(y[test], proba, multi_class="ovr", labels=classes)
            rows.append(dict(dataset=name, loss=loss, repeat=repeat, f1=f1, roc_auc=auc,
                             balanced_accuracy=balanced_accuracy_score(y[test], pred), fit_seconds=seconds))
            print(f"{name} {repeat} {loss:18s} F1 {f1:.3f} AUC {auc:.3f} {seconds:.1f}s", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["kc1", "churn"])
    parser.add_argument("--losses", nargs="+", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/compare_losses.csv")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: fastest for these small nets)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    losses = args.losses or get_loss_names()
    rows = []
    for name in args.datasets:
        rows += evaluate(name, losses, args.repeats, args.seed)
    frame = pd.DataFrame(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    summary = frame.groupby(["dataset", "loss"])[["f1", "roc_auc", "balanced_accuracy", "fit_seconds"]].agg(["mean", "std"])
    lines = []
    for dataset in args.datasets:
        lines.append(f"\n### {dataset}\n\n| loss | test F1 | ROC AUC | balanced acc. | fit s |\n|---|---:|---:|---:|---:|")
        part = summary.loc[dataset].sort_values(("f1", "mean"), ascending=False)
        for loss, r in part.iterrows():
            cells = [f"{r[(m, 'mean')]:.3f} ± {r[(m, 'std')]:.3f}" for m in ("f1", "roc_auc", "balanced_accuracy")]
            lines.append(f"| {loss} | " + " | ".join(cells) + f" | {r[('fit_seconds', 'mean')]:.1f} |")
    text = "\n".join(lines)
    print(text)
    out.with_suffix(".md").write_text(text.lstrip() + "\n")


if __name__ == "__main__":
    main()
