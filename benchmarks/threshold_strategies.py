"""Which held-out predictions should ``threshold="auto"`` tune the decision threshold on? (issue 17)

``SurrogateClassifier(threshold="auto")`` is to pick the decision threshold
that maximises the target metric on predictions for rows the network did not
train on, made *during* ``fit`` and without refitting. This script measures
the candidate recipes against scikit-learn's
:class:`~sklearn.model_selection.TunedThresholdClassifierCV`, which refits,
for two targets: F1 (positive class = the minority class) and balanced
accuracy.

Methods (every network is ``SurrogateClassifier(random_state=seed,
n_threads=1)`` with cross-entropy and default parameters except ``max_iter``,
behind ``make_preprocessor`` in a ``Pipeline``):

* ``a``: the network alone, threshold 0.5.
* ``b5`` / ``b25``: ``TunedThresholdClassifierCV(refit=True)`` around it,
  with scikit-learn's default ``cv`` (5-fold) and with ``cv=0.25`` (one
  stratified 25 % hold-out); one wrapper per target metric (scikit-learn's
  API tunes for one scorer at a time, so each target pays its own fits).
* ``c``: hold-out recipe: fit one network on a stratified 80 % of the
  training fold, choose the threshold maximising the metric on the other
  20 %, no refit (what the early-stopping validation split would give).
* ``d5`` / ``d3``: cross-fitting: k networks on the k folds of the training
  fold (``StratifiedKFold(k, shuffle=True)``, network ``i`` seeded
  ``seed + i``), the threshold maximising the metric on all out-of-fold
  predictions, predictions from the mean of the k networks' probabilities.
* ``e``: ``HistGradientBoostingClassifier`` in ``TunedThresholdClassifierCV``
  (default 5-fold, refit), the outside anchor (``--no-hgb`` drops it).

The methods ``c``, ``d5`` and ``d3`` get the thresholds for both targets from
one fit (the sweep over stored predictions is cheap); their fit time is
recorded once and appears under both targets. The threshold sweep is our own:
every cut between adjacent distinct held-out probabilities is a candidate
(predict positive when ``p >= threshold``, the threshold being the midpoint
between the two probabilities), the metric is computed for all cuts at once
from cumulative counts, and among equally good cuts the middle one is taken.

Datasets: the binary datasets of the shared OpenML copies
(``shared_manifest()``, ``n_classes == 2``) with at most ``--max-rows`` rows,
the ``--max-datasets`` smallest of them. Outer evaluation:
``StratifiedKFold(3, shuffle=True, random_state=0)``. Recorded per dataset,
fold, target and method: test F1, test balanced accuracy, the threshold, fit
wall seconds and fit CPU seconds (everything the method needs before it can
predict, all k networks included). The report gives, per target, the mean
test metric, the mean rank (per dataset, fold-averaged), wins/ties/losses of
``c``/``d`` against ``b5`` and ``b25`` (fold-averaged per dataset, a tie when
the difference is at most ``--tie``), and the median over (dataset, fold) of
each method's fit-time ratio to ``b5`` and ``b25``.

Usage::

    python benchmarks/threshold_strategies.py            # 12 datasets, about 10 min on one core (2-core machine)
    python benchmarks/threshold_strategies.py --quick    # 2 datasets, max_iter=20: a smoke test (~30 s)
    python benchmarks/threshold_strategies.py --max-iter 100 --max-datasets 6 --resume
    python benchmarks/threshold_strategies.py --report-only   # rebuild the .md from the .csv

Everything runs in one process on one core (torch and OpenMP limited to one
thread). The per-fold CSV is rewritten after each dataset, so ``--resume``
continues an interrupted run. Outputs ``benchmarks/results/threshold_strategies.md``
and ``.csv`` (``--output`` changes the stem). The committed ``.md`` ends with
hand-written conclusions, which a new run or ``--report-only`` overwrites.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import balanced_accuracy_score, f1_score, make_scorer
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV, train_test_split
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shared, make_preprocessor, shared_manifest

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = ("f1", "balanced_accuracy")
METHODS = {
    "a": "CE, threshold 0.5",
    "b5": "CE + TunedThresholdClassifierCV(cv=5, refit)",
    "b25": "CE + TunedThresholdClassifierCV(cv=0.25, refit)",
    "c": "CE, threshold on a 20 % hold-out, no refit",
    "d5": "CE cross-fit k=5, OOF threshold, mean of 5",
    "d3": "CE cross-fit k=3, OOF threshold, mean of 3",
    "e": "HGB + TunedThresholdClassifierCV(cv=5, refit)",
}


# --------------------------------------------------------------------------- threshold sweep


def best_threshold(positive, scores, target):
    """The threshold on ``scores`` that maximises ``target`` for ``positive``.

    Parameters
    ----------
    positive : ndarray of bool
        Whether each held-out row belongs to the positive class.
    scores : ndarray of float
        The positive-class probability of each row.
    target : {"f1", "balanced_accuracy"}

    Returns
    -------
    threshold : float
        Predict positive when ``score >= threshold``.
    best : float
        The metric's value on the held-out rows at that threshold.
    """
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    s, p = scores[order], positive[order]
    n_pos = p.sum()
    n_neg = len(p) - n_pos
    # cut after position i (top i+1 rows positive) is a candidate where the next score differs
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    tp = np.r_[0, np.cumsum(p)[ends]]
    fp = np.r_[0, np.cumsum(~p)[ends]]
    if target == "f1":
        denominator = tp + fp + n_pos
        values = np.divide(2.0 * tp, denominator, out=np.zeros(len(tp)), where=denominator > 0)
    elif target == "balanced_accuracy":
        recall = tp / n_pos if n_pos else np.zeros(len(tp))
        specificity = (n_neg - fp) / n_neg if n_neg else np.zeros(len(tp))
        values = 0.5 * (recall + specificity)
    else:
        raise ValueError(f"Unknown target {target!r}; expected one of {TARGETS}.")
    # candidate thresholds: above the maximum, then midpoints, then the minimum itself (all positive)
    upper = s[ends]
    lower = np.r_[s[ends[:-1] + 1], -np.inf]
    thresholds = np.r_[np.nextafter(s[0], np.inf), np.where(np.isfinite(lower), (upper + lower) / 2, upper)]
    winners = np.flatnonzero(values == values.max())
    pick = winners[len(winners) // 2]
    return float(thresholds[pick]), float(values[pick])


def _check_sweep(rng):
    """The sweep agrees with sklearn.metrics on every candidate it reports (a self-check run once)."""
    positive = rng.random(60) < 0.3
    scores = np.round(rng.random(60), 1)  # many ties
    for target, metric in (("f1", f1_score), ("balanced_accuracy", balanced_accuracy_score)):
        threshold, value = best_threshold(positive, scores, target)
        brute = max(metric(positive, scores >= t) for t in np.r_[np.unique(scores), np.inf])
        assert np.isclose(metric(positive, scores >= threshold), value) and np.isclose(value, brute), target


# --------------------------------------------------------------------------- methods


def _network(X, seed, max_iter):
    return make_pipeline(make_preprocessor(X), SurrogateClassifier(random_state=seed, n_threads=1, max_iter=max_iter))


def _scorer(target, pos_label):
    # F1's scorer names the positive class, which TunedThresholdClassifierCV then thresholds; balanced accuracy
    # is symmetric, so there the threshold applies to classes_[1] (the ``threshold`` column is not comparable)
    if target == "f1":
        return make_scorer(f1_score, pos_label=pos_label)
    return "balanced_accuracy"


class _Clock:
    """Wall and CPU seconds of a ``with`` block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def _proba(model, X, pos_label):
    classes = list(model.classes_)
    return model.predict_proba(X)[:, classes.index(pos_label)]


def _labels(proba, threshold, pos_label, neg_label):
    return np.where(proba >= threshold, pos_label, neg_label).astype(object)


def run_fold(X_tr, y_tr, X_te, y_te, pos_label, neg_label, seed, max_iter, hgb):
    """All methods on one outer fold; one record per (target, method)."""
    records = []

    def record(target, method, pred, threshold, clock):
        records.append(dict(target=target, method=method, threshold=threshold,
                            test_f1=f1_score(y_te, pred, pos_label=pos_label),
                            test_balanced_accuracy=balanced_accuracy_score(y_te, pred),
                            fit_seconds=clock.wall, fit_cpu_seconds=clock.cpu))

    # a: one network, threshold 0.5
    with _Clock() as clock:
        model = _network(X_tr, seed, max_iter).fit(X_tr, y_tr)
    pred = _labels(_proba(model, X_te, pos_label), 0.5, pos_label, neg_label)
    for target in TARGETS:
        record(target, "a", pred, 0.5, clock)

    # b5 / b25 (and e): TunedThresholdClassifierCV, one per target
    wrapped = [("b5", None, _network(X_tr, seed, max_iter)), ("b25", 0.25, _network(X_tr, seed, max_iter))]
    if hgb:
        wrapped.append(("e", None, make_pipeline(make_preprocessor(X_tr), HistGradientBoostingClassifier(
            random_state=seed))))
    for method, cv, base in wrapped:
        for target in TARGETS:
            tuned = TunedThresholdClassifierCV(clone(base), scoring=_scorer(target, pos_label), cv=cv, refit=True,
                                               random_state=seed)
            with _Clock() as clock:
                tuned.fit(X_tr, y_tr)
            record(target, method, tuned.predict(X_te), tuned.best_threshold_, clock)

    # c: hold-out 20 %, no refit
    with _Clock() as clock:
        X_fit, X_val, y_fit, y_val = train_test_split(X_tr, y_tr, test_size=0.2, stratify=y_tr, random_state=seed)
        model = _network(X_fit, seed, max_iter).fit(X_fit, y_fit)
        val_proba = _proba(model, X_val, pos_label)
        thresholds = {t: best_threshold(y_val == pos_label, val_proba, t)[0] for t in TARGETS}
    test_proba = _proba(model, X_te, pos_label)
    for target in TARGETS:
        record(target, "c", _labels(test_proba, thresholds[target], pos_label, neg_label), thresholds[target], clock)

    # d: cross-fitting, k networks, out-of-fold threshold, mean probability
    for k in (5, 3):
        with _Clock() as clock:
            oof = np.empty(len(y_tr))
            models = []
            folds = StratifiedKFold(k, shuffle=True, random_state=seed).split(X_tr, y_tr)
            for i, (inner_fit, inner_val) in enumerate(folds):
                X_fit = X_tr.iloc[inner_fit]
                model = _network(X_fit, seed + i, max_iter).fit(X_fit, y_tr[inner_fit])
                oof[inner_val] = _proba(model, X_tr.iloc[inner_val], pos_label)
                models.append(model)
            thresholds = {t: best_threshold(y_tr == pos_label, oof, t)[0] for t in TARGETS}
        test_proba = np.mean([_proba(m, X_te, pos_label) for m in models], axis=0)
        for target in TARGETS:
            record(target, f"d{k}", _labels(test_proba, thresholds[target], pos_label, neg_label),
                   thresholds[target], clock)
    return records


# --------------------------------------------------------------------------- datasets and report


def pick_datasets(max_rows, max_datasets):
    manifest = shared_manifest()
    binary = manifest[(manifest["n_classes"] == 2) & (manifest["n_rows"] <= max_rows)].sort_values("n_rows")
    return binary, list(binary["name"][:max_datasets])


def run_dataset(name, args, done):
    X, y, _ = load_shared(name)
    y = np.asarray(y).astype(object)
    labels, counts = np.unique(y, return_counts=True)
    pos_label = labels[np.argmin(counts)]  # minority class (first in sorted order on a tie)
    neg_label = labels[labels != pos_label][0]
    rows = []
    outer = StratifiedKFold(3, shuffle=True, random_state=args.seed).split(X, y)
    for fold, (train, test) in enumerate(outer):
        if (name, fold) in done:
            continue
        start = time.perf_counter()
        records = run_fold(X.iloc[train], y[train], X.iloc[test], y[test], pos_label, neg_label,
                           args.seed, args.max_iter, not args.no_hgb)
        for r in records:
            rows.append(dict(dataset=name, n_rows=len(y), minority_share=counts.min() / len(y), fold=fold, **r))
        print(f"{name:24s} fold {fold}: {time.perf_counter() - start:6.1f} s", flush=True)
    return rows


def _wtl(diff, tie):
    return f"{(diff > tie).sum()}/{(diff.abs() <= tie).sum()}/{(diff < -tie).sum()}"


def report(df, args, datasets, skipped, total_seconds):
    fits = df.drop_duplicates(["dataset", "fold", "method", "fit_seconds"])  # c, d and a appear once per target
    run_time = (f"Total run time {total_seconds / 60:.1f} min." if total_seconds is not None else
                f"Report rebuilt from the CSV (--report-only); sum of the recorded fit times "
                f"{fits['fit_seconds'].sum() / 60:.1f} min.")
    lines = [
        "# Threshold strategies for `threshold=\"auto\"` (issue 17)",
        "",
        f"Produced by `python benchmarks/threshold_strategies.py{' ' + args.argv if args.argv else ''}`; "
        f"{len(datasets)} binary shared datasets with at most {args.max_rows:,} rows "
        f"(the {args.max_datasets} smallest of {len(datasets) + len(skipped)}; left out: "
        f"{', '.join(skipped) if skipped else 'none'}), StratifiedKFold(3, shuffle, random_state={args.seed}), "
        f"`SurrogateClassifier(random_state={args.seed}, n_threads=1, max_iter={args.max_iter})` (cross-entropy), "
        f"one core. {run_time}",
        "",
        "Methods: " + "; ".join(f"**{k}** {v}" for k, v in METHODS.items() if k in set(df["method"])) + ".",
        "",
        f"W/T/L: wins/ties/losses per dataset (fold-averaged test metric, tie when |diff| <= {args.tie}). "
        "Rank: per dataset among the methods shown (1 = best), averaged. Time ratio: median over "
        "(dataset, fold) of the method's fit wall time (CPU time in brackets) divided by b5's / b25's for the "
        "same target. c and d fit once for both targets; b and e fit once per target.",
    ]
    for target in TARGETS:
        column = f"test_{target}"
        sub = df[df["target"] == target]
        per_dataset = sub.groupby(["dataset", "method"])[column].mean().unstack()
        methods = [m for m in METHODS if m in per_dataset.columns]
        per_dataset = per_dataset[methods]
        ranks = per_dataset.rank(axis=1, ascending=False).mean()
        wall = sub.pivot_table(index=["dataset", "fold"], columns="method", values="fit_seconds")
        cpu = sub.pivot_table(index=["dataset", "fold"], columns="method", values="fit_cpu_seconds")
        fold_sd = sub.groupby(["dataset", "method"])[column].std().unstack()[methods].mean()
        lines += ["", f"## Target: {'F1 (positive = minority class)' if target == 'f1' else 'balanced accuracy'}",
                  "", f"| method | mean test {target} | mean sd over folds | mean rank | W/T/L vs b5 | W/T/L vs b25 "
                  "| mean diff vs b5 ± se | time / b5 | time / b25 | time / a | mean fit s |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for m in methods:
            d5 = per_dataset[m] - per_dataset["b5"]
            d25 = per_dataset[m] - per_dataset["b25"]
            se = d5.std() / np.sqrt(len(d5)) if len(d5) > 1 else float("nan")
            lines.append(
                f"| {m} | {per_dataset[m].mean():.4f} | {fold_sd[m]:.3f} | {ranks[m]:.2f} | "
                f"{'—' if m == 'b5' else _wtl(d5, args.tie)} | {'—' if m == 'b25' else _wtl(d25, args.tie)} | "
                f"{'—' if m == 'b5' else f'{d5.mean():+.4f} ± {se:.4f}'} | "
                f"{(wall[m] / wall['b5']).median():.2f} ({(cpu[m] / cpu['b5']).median():.2f}) | "
                f"{(wall[m] / wall['b25']).median():.2f} ({(cpu[m] / cpu['b25']).median():.2f}) | "
                f"{(wall[m] / wall['a']).median():.2f} | "
                f"{sub[sub['method'] == m]['fit_seconds'].mean():.1f} |")
        lines += ["", f"Per dataset (fold-averaged test {target}):", "",
                  "| dataset | rows | minority | " + " | ".join(methods) + " |",
                  "|---|---:|---:|" + "---:|" * len(methods)]
        info = sub.groupby("dataset")[["n_rows", "minority_share"]].first().sort_values("n_rows")
        for name, row in info.iterrows():
            best = per_dataset.loc[name].max()
            cells = [f"**{v:.3f}**" if v == best else f"{v:.3f}" for v in per_dataset.loc[name]]
            lines.append(f"| {name} | {int(row['n_rows'])} | {row['minority_share']:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=200, help="epoch budget of every network (default 200)")
    parser.add_argument("--max-rows", type=int, default=15_000)
    parser.add_argument("--max-datasets", type=int, default=12, help="keep the N smallest qualifying datasets")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tie", type=float, default=0.005, help="|difference| counted as a tie in W/T/L")
    parser.add_argument("--no-hgb", action="store_true", help="skip the HistGradientBoosting anchor (e)")
    parser.add_argument("--quick", action="store_true", help="2 datasets, max_iter=20: a smoke test")
    parser.add_argument("--resume", action="store_true", help="keep the rows already in the CSV")
    parser.add_argument("--report-only", action="store_true", help="rebuild the Markdown report from the CSV")
    parser.add_argument("--output", type=Path, default=RESULTS / "threshold_strategies",
                        help="output stem: <stem>.csv and <stem>.md")
    args = parser.parse_args(argv)
    args.argv = " ".join(a for a in (argv if argv is not None else os.sys.argv[1:])
                         if a not in ("--resume", "--report-only"))
    if args.quick:
        args.max_datasets, args.max_iter = 2, 20

    _check_sweep(np.random.default_rng(0))
    binary, datasets = pick_datasets(args.max_rows, args.max_datasets)
    skipped = list(binary["name"][args.max_datasets:])
    csv_path, md_path = args.output.with_suffix(".csv"), args.output.with_suffix(".md")
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        df = pd.read_csv(csv_path)
        text = report(df[df["dataset"].isin(datasets)], args, datasets, skipped, None)
        md_path.write_text(text)
        print(text)
        return
    previous = pd.read_csv(csv_path) if args.resume and csv_path.exists() else pd.DataFrame()
    done = set(zip(previous["dataset"], previous["fold"])) if len(previous) else set()
    rows = previous.to_dict("records")
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        for name in datasets:
            rows += run_dataset(name, args, done)
            pd.DataFrame(rows).to_csv(csv_path, index=False, float_format="%.6g")
    df = pd.DataFrame(rows)
    df = df[df["dataset"].isin(datasets)]
    text = report(df, args, datasets, skipped, time.perf_counter() - start)
    md_path.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
