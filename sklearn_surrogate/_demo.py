"""The main job: F1 surrogate vs cross-entropy on a real, imbalanced OpenML dataset."""

import time
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import Pipeline

from ._classifier import SurrogateClassifier
from .datasets import load_openml, load_shipped, make_preprocessor

__all__ = ["run_demo"]

_COLUMNS = ["loss", "test F1", "ROC AUC", "balanced acc.", "fit s"]


def _metrics(y_true, y_pred, proba, classes):
    if len(classes) == 2:
        positive = classes[1]
        f1 = f1_score(y_true, y_pred, pos_label=positive)
        auc = roc_auc_score(y_true == positive, proba[:, 1])
    else:
        f1 = f1_score(y_true, y_pred, average="macro")
        auc = roc_auc_score(y_true, proba, multi_class="ovr", labels=classes)
    return f1, auc, balanced_accuracy_score(y_true, y_pred)


def run_demo(
    dataset=None,
    *,
    data_home=None,
    losses=("cross_entropy", "f1"),
    test_size=0.3,
    n_repeats=5,
    random_state=0,
    max_epochs=200,
    output_dir="demo_output",
    plot=True,
    verbose=True,
):
    """Train the same network with each loss and compare test metrics.

    Fits ``Pipeline([("prep", preprocessing), ("clf", SurrogateClassifier(loss=...))])``
    (preprocessing: imputation and ``StandardScaler``, one-hot encoding for
    categorical columns) on ``n_repeats`` stratified train/test splits and
    reports the mean and standard deviation of test F1 (macro F1 for
    multiclass data), ROC AUC (one-vs-rest for multiclass), balanced accuracy
    and fit time. Every loss sees the same splits and the same seeds.

    Parameters
    ----------
    dataset : int, str or None, default=None
        An OpenML id or name, loaded with :func:`~sklearn_surrogate.datasets.load_openml`
        (``fetch_openml``); None uses the shipped dataset (OpenML 1049, ``pc4``).
    data_home : path-like, default=None
        ``fetch_openml``'s cache folder.
    losses : sequence of str, default=("cross_entropy", "f1")
        Registered loss names.
    test_size : float, default=0.3
    n_repeats : int, default=5
        Number of random stratified splits.
    random_state : int, default=0
        Seeds the splits and every network.
    max_epochs : int, default=200
    output_dir : path-like or None, default="demo_output"
        Where ``demo.csv`` and ``demo.png`` go; None writes nothing.
    plot : bool, default=True
        Save the bar plot (needs matplotlib).
    verbose : bool, default=True
        Print the dataset and the table.

    Returns
    -------
    table : pandas.DataFrame
        One row per loss: the means, and ``<metric> sd`` columns.
    """
    import pandas as pd

    X, y, info = load_shipped() if dataset is None else load_openml(dataset, data_home=data_home)
    y = np.asarray(y)
    splits = list(
        StratifiedShuffleSplit(n_splits=n_repeats, test_size=test_size, random_state=random_state).split(X, y)
    )
    if verbose:
        print(
            f"Dataset {info['name']} (OpenML {info['openml_id']}, {info['source']}): {info['n_samples']} rows, "
            f"{info['n_features']} features, {info['n_classes']} classes, minority share {info['minority_share']:.1%}; "
            f"{n_repeats} stratified {1 - test_size:.0%}/{test_size:.0%} splits"
        )
    rows = []
    for loss in losses:
        scores = []
        for repeat, (train, test) in enumerate(splits):
            X_train, X_test = X.iloc[train], X.iloc[test]
            model = Pipeline(
                [
                    ("prep", make_preprocessor(X_train)),
                    ("clf", SurrogateClassifier(loss=loss, max_epochs=max_epochs, random_state=random_state + repeat)),
                ]
            )
            start = time.perf_counter()
            model.fit(X_train, y[train])
            seconds = time.perf_counter() - start
            classes = model[-1].classes_
            scores.append(
                [*_metrics(y[test], model.predict(X_test), model.predict_proba(X_test), classes), seconds]
            )
        scores = np.array(scores)
        rows.append([loss, *scores.mean(0), *scores.std(0)])
    table = pd.DataFrame(rows, columns=_COLUMNS + [f"{c} sd" for c in _COLUMNS[1:]])
    if verbose:
        print(_markdown(table))
    if output_dir is not None:
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "demo.csv", index=False)
        if plot:
            _plot(table, info, out / "demo.png")
        if verbose:
            print(f"Saved {out / 'demo.csv'}" + (f" and {out / 'demo.png'}" if plot else ""))
    return table


def _markdown(table):
    """The table as markdown, ``mean ± sd`` per cell."""
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "|".join(["---"] + ["---:"] * (len(_COLUMNS) - 1)) + "|"]
    for _, row in table.iterrows():
        cells = [str(row["loss"])]
        for column in _COLUMNS[1:]:
            digits = 1 if column == "fit s" else 3
            cells.append(f"{row[column]:.{digits}f} ± {row[column + ' sd']:.{digits}f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _plot(table, info, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["test F1", "ROC AUC", "balanced acc."]
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    width = 0.8 / len(table)
    x = np.arange(len(metrics))
    for i, (_, row) in enumerate(table.iterrows()):
        bars = ax.bar(
            x + i * width, [row[m] for m in metrics], width, yerr=[row[m + " sd"] for m in metrics],
            capsize=3, label=row["loss"],
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks(x + width * (len(table) - 1) / 2, metrics)
    ax.set_ylim(0, 1.18)
    ax.set_ylabel("test score (mean ± sd over splits)")
    ax.set_title(f"{info['name']} (OpenML {info['openml_id']}): loss vs test metrics")
    ax.legend(loc="upper right", ncol=len(table), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
