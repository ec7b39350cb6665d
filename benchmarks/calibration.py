"""Are surrogate-trained probabilities calibrated, and what does ``CalibratedClassifierCV`` do to them?

Usage::

    python benchmarks/calibration.py            # about 5 min on 2 cores

On the shipped pc4 (OpenML 1049, 1458 rows, 12 % positives; no download), over 5 stratified 70/30
splits, each loss is fitted as ``Pipeline(StandardScaler, SurrogateClassifier(loss=...))`` and then
wrapped in ``CalibratedClassifierCV`` (sigmoid and isotonic, 5 folds, ``ensemble=True``). The test
split gives the calibration measures (Brier score, log loss, expected calibration error over 10
equal-width bins) and the ranking and decision measures (ROC AUC, F1 at the 0.5 threshold of the
predicted probability). The markdown table is printed and written to
``benchmarks/results/calibration.md``.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import brier_score_loss, f1_score, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shipped

RESULTS = Path(__file__).resolve().parent / "results" / "calibration.md"
LOSSES = ("cross_entropy", "f1", "auc_margin")
WRAPPERS = ("none", "sigmoid", "isotonic")


def expected_calibration_error(y, proba, n_bins=10):
    """Weighted mean gap between the mean predicted probability and the positive rate in equal-width bins."""
    bins = np.minimum((proba * n_bins).astype(int), n_bins - 1)
    error = 0.0
    for b in range(n_bins):
        members = bins == b
        if members.any():
            error += members.mean() * abs(proba[members].mean() - y[members].mean())
    return float(error)


def evaluate(loss, wrapper, X_train, y_train, X_test, y_test, seed):
    model = make_pipeline(StandardScaler(), SurrogateClassifier(loss=loss, random_state=seed))
    if wrapper != "none":
        model = CalibratedClassifierCV(model, method=wrapper, cv=5)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    proba = np.clip(model.predict_proba(X_test)[:, 1], 1e-15, 1 - 1e-15)
    return {
        "loss": loss,
        "calibration": wrapper,
        "Brier": brier_score_loss(y_test, proba),
        "log loss": log_loss(y_test, proba),
        "ECE": expected_calibration_error(y_test, proba),
        "mean p - rate": float(proba.mean() - y_test.mean()),
        "ROC AUC": roc_auc_score(y_test, proba),
        "F1 at 0.5": f1_score(y_test, (proba >= 0.5).astype(int), zero_division=0.0),
        "fit s": seconds,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    X, y, _ = load_shipped()
    X = X.to_numpy(dtype=np.float64)
    y = (np.asarray(y) == "True").astype(int)
    rows = []
    splitter = StratifiedShuffleSplit(n_splits=args.splits, test_size=0.3, random_state=0)
    for split, (train, test) in enumerate(splitter.split(X, y)):
        for loss in LOSSES:
            for wrapper in WRAPPERS:
                rows.append({"split": split, **evaluate(loss, wrapper, X[train], y[train], X[test], y[test], split)})
    frame = pd.DataFrame(rows)
    columns = ["Brier", "log loss", "ECE", "mean p - rate", "ROC AUC", "F1 at 0.5", "fit s"]
    table = frame.groupby(["loss", "calibration"], sort=False)[columns].mean().reset_index()
    lines = [
        f"Calibration on pc4 (OpenML 1049, shipped; {len(y)} rows, {y.mean():.1%} positives), "
        f"{args.splits} stratified 70/30 splits, mean over splits. `CalibratedClassifierCV(cv=5)` wraps "
        "`Pipeline(StandardScaler, SurrogateClassifier(loss=...))`; ECE over 10 equal-width bins; "
        "'mean p - rate' is the mean predicted probability minus the test positive rate. "
        "Lower is better for Brier, log loss and ECE.",
        "",
        "| loss | calibration | " + " | ".join(columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for _, row in table.iterrows():
        values = " | ".join(f"{row[c]:+.3f}" if c == "mean p - rate" else f"{row[c]:.3f}" for c in columns)
        lines.append(f"| {row['loss']} | {row['calibration']} | {values} |")
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
