"""The main job: the F1 surrogate vs cross-entropy on a real, imbalanced OpenML dataset.

``run_demo`` is what ``make demo``, ``sklearn-surrogate demo`` and
``python -m sklearn_surrogate`` run.
"""

import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import Pipeline

from .._classifier import SurrogateClassifier
from .._metric_table import METRIC_TABLE
from .._torch_utils import torch_threads
from ..datasets import load_openml, load_shipped, make_preprocessor
from ..losses import get_loss
from ._paths import check_output_dir

__all__ = ["run_demo"]

METRICS = ["test F1", "ROC AUC", "balanced acc."]
COLUMNS = ["loss", *METRICS, "fit s"]


DEFAULT_METHODS = ("metric=f1", "cross_entropy", "cross_entropy+threshold", "hgb+threshold")
"""tuple: what ``make demo`` compares: the metric-first estimator against what a user would pick instead."""


def _check_losses(losses, n_classes):
    """Fail before any training when a method is unknown or does not fit the problem."""
    from .._scorer import get_metric_names

    losses = list(losses)
    if not losses:
        raise ValueError("losses is empty: give at least one registered loss name.")
    for name in losses:
        if name.startswith("metric="):
            if name[len("metric="):] not in get_metric_names():
                raise ValueError(f"Unknown metric in {name!r}; metrics: {', '.join(get_metric_names())}.")
            continue
        if name.endswith("+threshold"):
            if n_classes != 2:
                raise ValueError(f"{name!r} tunes a binary decision threshold; the dataset has {n_classes} classes.")
            name = name[: -len("+threshold")]
        if name == "hgb":
            continue
        loss = get_loss(name)  # ValueError naming the registered losses when unknown
        if n_classes > 2 and not getattr(loss, "supports_multiclass", True):
            raise ValueError(f"The loss {name!r} supports binary problems only; the dataset has {n_classes} classes.")
        if n_classes == 2 and not getattr(loss, "supports_binary", True):
            raise ValueError(f"The loss {name!r} needs at least 3 classes; the dataset is binary.")
    return losses


def _ovr_auc(y_true, proba, classes):
    """Macro one-vs-rest ROC AUC over the classes present in ``y_true`` (a rare class may miss the test set)."""
    aucs = []
    for column, label in enumerate(classes):
        positive = y_true == label
        if positive.any() and not positive.all():
            aucs.append(METRIC_TABLE["roc_auc"].score(positive, proba[:, column]))
    return float(np.mean(aucs)) if aucs else float("nan")


def _test_metrics(y_true, y_pred, proba, classes):
    """Test F1, ROC AUC and balanced accuracy.

    Binary problems: F1 and AUC of the positive class ``classes[1]``.
    Multiclass problems: macro F1 (over the labels present in ``y_true`` or
    ``y_pred``) and macro one-vs-rest AUC (over the labels in ``y_true``).
    """
    f1, roc_auc, balanced = (METRIC_TABLE[name] for name in ("f1", "roc_auc", "balanced_accuracy"))
    if len(classes) == 2:
        positive = classes[1]
        f1_value = f1.score(y_true, y_pred, pos_label=positive)
        auc = roc_auc.score(y_true == positive, proba[:, 1])
    else:
        f1_value = f1.score(y_true, y_pred, average="macro")
        auc = _ovr_auc(y_true, proba, classes)
    return f1_value, auc, balanced.score(y_true, y_pred)


def _method(name, max_iter, seed, positive=None):
    """The classifier of a demo method: ``metric=<name>``, ``<method>+threshold``, ``hgb`` or a loss name."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import TunedThresholdClassifierCV

    if name.startswith("metric="):
        return SurrogateClassifier(metric=name[len("metric="):], max_iter=max_iter, random_state=seed)
    if name.endswith("+threshold"):  # tuned for F1 on a 25 % hold-out, then refitted (as the benchmark does)
        from sklearn.metrics import f1_score, make_scorer

        cv = StratifiedShuffleSplit(n_splits=1, test_size=0.25, random_state=seed)
        scoring = make_scorer(f1_score, pos_label=positive)  # F1 of classes_[1], as the table reports
        return TunedThresholdClassifierCV(_method(name[: -len("+threshold")], max_iter, seed), scoring=scoring, cv=cv)
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=seed)
    return SurrogateClassifier(loss=name, max_iter=max_iter, random_state=seed)


def _evaluate(loss, X, y, splits, random_state, max_iter):
    """One table row: mean and spread over the splits of the test metrics and fit time of one loss."""
    scores = []
    for repeat, (train, test) in enumerate(splits):
        X_train, X_test = X.iloc[train], X.iloc[test]
        seed = None if random_state is None else random_state + repeat
        model = Pipeline([("prep", make_preprocessor(X_train)), ("clf", _method(loss, max_iter, seed, np.unique(y)[-1]))])
        start = time.perf_counter()
        model.fit(X_train, y[train])
        seconds = time.perf_counter() - start
        classes = model.classes_
        metrics = _test_metrics(y[test], model.predict(X_test), model.predict_proba(X_test), classes)
        scores.append([*metrics, seconds])
    scores = np.asarray(scores, dtype=np.float64)
    spread = scores.std(axis=0) if len(scores) > 1 else np.full(scores.shape[1], np.nan)
    return [loss, *scores.mean(axis=0), *spread]


def run_demo(
    dataset=None,
    *,
    data_home=None,
    losses=DEFAULT_METHODS,
    test_size=0.3,
    n_repeats=5,
    random_state=0,
    max_iter=200,
    n_threads=1,
    output_dir="demo_output",
    plot=True,
    verbose=True,
):
    """Train the same network with each loss and compare the test metrics.

    For each loss, fits ``Pipeline([("prep", make_preprocessor(X)), ("clf",
    SurrogateClassifier(loss=loss, max_iter=max_iter, random_state=...))])``
    on ``n_repeats`` stratified train/test splits and reports the mean (and
    standard deviation over splits) of test F1, ROC AUC, balanced accuracy and
    fit time. The preprocessing is median imputation and ``StandardScaler``
    for numeric columns (all of the shipped dataset's columns) and one-hot
    encoding for categorical ones. Every loss sees the same splits and seeds.

    Parameters
    ----------
    dataset : int, str or None, default=None
        An OpenML dataset id or name, loaded with
        :func:`~sklearn_surrogate.datasets.load_openml` (``fetch_openml``,
        except for the shipped dataset); None uses the shipped dataset
        (OpenML 1049, ``pc4``).
    data_home : path-like, default=None
        ``fetch_openml``'s cache folder.
    losses : sequence of str, default=DEFAULT_METHODS
        The methods: ``"metric=<name>"`` (``SurrogateClassifier(metric=<name>)``,
        everything else at its defaults), a registered loss name
        (:func:`~sklearn_surrogate.get_loss_names`; ``SurrogateClassifier(loss=<name>)``),
        ``"hgb"`` (``HistGradientBoostingClassifier``), or any of these with
        ``"+threshold"`` (a :class:`~sklearn.model_selection.TunedThresholdClassifierCV`
        tuning the F1 threshold on a 25 % hold-out, then refitting; binary
        problems only). By default ``metric=f1`` against cross-entropy, cross-entropy
        + threshold and gradient boosting + threshold.
    test_size : float, default=0.3
        Share of the rows held out for testing in each split.
    n_repeats : int, default=5
        Number of random stratified train/test splits; 1 gives a single split.
        The metrics of one split of a small, imbalanced dataset are noisy.
    random_state : int or None, default=0
        Seeds the splits; split ``i`` trains the networks with seed
        ``random_state + i``.
    max_iter : int, default=200
        ``SurrogateClassifier``'s epoch budget (lower it for quick checks).
    n_threads : int or None, default=1
        Torch intra-op threads while training (restored afterwards), read as
        ``SurrogateClassifier``'s ``n_threads``: negative counts from the
        cores (``-1``: all of them), and a count above the cores is lowered
        to it with a ``UserWarning``. The demo's small networks train fastest
        on one thread; more threads than free cores can slow training tens
        of times. None keeps torch's setting.
    output_dir : path-like or None, default="demo_output"
        Folder for ``demo.csv`` (the table) and ``demo.png`` (the plot),
        created if needed; None writes nothing. It is checked before any
        work: a ``ValueError`` if it is a file, or a folder that cannot be
        written into or created.
    plot : bool, default=True
        Save the bar plot (needs matplotlib).
    verbose : bool, default=True
        Print the dataset, the markdown table and the files written.

    Returns
    -------
    table : pandas.DataFrame
        One row per loss; columns ``loss``, ``test F1``, ``ROC AUC``,
        ``balanced acc.``, ``fit s`` (means over splits) and the same names
        suffixed ``" sd"`` (standard deviations; NaN for a single split).

    Notes
    -----
    For a binary dataset, F1 and ROC AUC are those of the positive class,
    the fitted classifier's ``classes_[1]`` (the greater label; for the
    shipped dataset the minority class ``"True"``), which is also the class
    the surrogate losses treat as positive. For a multiclass dataset F1 is
    the macro F1 and ROC AUC the macro one-vs-rest AUC.

    Examples
    --------
    A quick run on the shipped dataset (``make demo`` runs the full one):

    >>> from sklearn_surrogate.app import run_demo
    >>> table = run_demo(losses=("cross_entropy", "f1"), n_repeats=1, max_iter=3,
    ...                  output_dir=None, verbose=False)
    >>> table["loss"].tolist()
    ['cross_entropy', 'f1']
    >>> list(table.columns[:5])
    ['loss', 'test F1', 'ROC AUC', 'balanced acc.', 'fit s']
    """
    import pandas as pd

    if output_dir is not None:  # before any work: a bad folder must not cost the results
        try:
            check_output_dir(output_dir)
        except ValueError as exc:
            raise ValueError(f"Bad output_dir: {exc}") from None
    if dataset is None:
        X, y, info = load_shipped()
    else:
        X, y, info = load_openml(dataset, data_home=data_home)
    y = np.asarray(y)
    losses = _check_losses(losses, info["n_classes"])
    if int(n_repeats) < 1:
        raise ValueError(f"n_repeats must be at least 1, got {n_repeats!r}.")
    splitter = StratifiedShuffleSplit(n_splits=int(n_repeats), test_size=test_size, random_state=random_state)
    splits = list(splitter.split(X, y))
    if verbose:
        split = f"stratified {1 - test_size:.0%}/{test_size:.0%} split"
        kind = f"one {split}" if n_repeats == 1 else f"{n_repeats} {split}s"
        print(
            f"Dataset {info['name']} (OpenML {info['openml_id']}, {info['source']}): {info['n_samples']} rows, "
            f"{info['n_features']} features, {info['n_classes']} classes, minority share {info['minority_share']:.1%}; "
            f"{kind}"
        )
    with torch_threads(n_threads):  # the estimator's convention: -1 all cores, at most the cores
        rows = [_evaluate(loss, X, y, splits, random_state, max_iter) for loss in losses]
    table = pd.DataFrame(rows, columns=COLUMNS + [f"{column} sd" for column in COLUMNS[1:]])
    if verbose:
        print(format_markdown(table))
    if output_dir is not None:
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "demo.csv", index=False)
        if plot:
            _save_plot(table, info, out / "demo.png")
        if verbose:
            print(f"Saved {out / 'demo.csv'}" + (f" and {out / 'demo.png'}" if plot else ""))
    return table


def format_markdown(table):
    """The demo table as markdown: ``mean ± sd`` per cell (the mean alone for a single split).

    Parameters
    ----------
    table : pandas.DataFrame
        A table returned by :func:`run_demo`.

    Returns
    -------
    text : str
    """
    header = "| " + " | ".join(COLUMNS) + " |"
    rule = "|" + "|".join(["---"] + ["---:"] * (len(COLUMNS) - 1)) + "|"
    lines = [header, rule]
    for _, row in table.iterrows():
        cells = [str(row["loss"])]
        for column in COLUMNS[1:]:
            digits = 1 if column == "fit s" else 3
            cell = f"{row[column]:.{digits}f}"
            spread = row.get(f"{column} sd", np.nan)
            if not np.isnan(spread):
                cell += f" ± {spread:.{digits}f}"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _save_plot(table, info, path):
    """Grouped bar plot of the three test metrics per loss, drawn with the Agg backend (no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 3.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / len(table)
    x = np.arange(len(METRICS))
    for i, (_, row) in enumerate(table.iterrows()):
        spread = [row[f"{metric} sd"] for metric in METRICS]
        bars = ax.bar(
            x + i * width,
            [row[metric] for metric in METRICS],
            width,
            yerr=None if np.isnan(spread).all() else spread,
            capsize=3,
            label=row["loss"],
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks(x + width * (len(table) - 1) / 2, METRICS)
    ax.set_ylim(0, 1.18)
    ax.set_ylabel("test score" if len(table) and np.isnan(table["test F1 sd"]).all() else "test score (mean ± sd)")
    ax.set_title(f"{info['name']} (OpenML {info['openml_id']}): test metrics per training loss")
    ax.legend(loc="upper right", ncol=len(table), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
