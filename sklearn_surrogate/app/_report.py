"""Summaries of benchmark scores: tables, mean ranks, paired tests, plots."""

import numpy as np
import pandas as pd

__all__ = ["head_to_head", "mean_ranks", "mean_scores", "summary_table", "win_tie_loss", "write_report"]

# the score column a target is read from: macro F1 is the "f1" column of multiclass datasets; the expected cost is
# negated (higher is better, as every column)
_COLUMN_OF_TARGET = {"f1_macro": "f1", "expected_cost": "neg_expected_cost"}


def _metric_columns():
    """The score columns a report summarises, in this order, where present: the runner's (one list for both)."""
    from ._runner import ALL_METRICS

    return ALL_METRICS


def _reported_metrics(scores, column):
    """The score columns a report shows, and those it leaves out for rows that lack them.

    A column is shown when every row scored on the target's ``column`` has
    it, on every dataset where some row has it (the operating-region columns
    are undefined on multiclass datasets: no row has them there). Rows
    check-pointed before a column existed lack it; averaging over the others
    would mix methods scored on different folds, so the column is left out
    (and named), and the target's column is always shown.
    """
    shown, left_out = [], {}
    for metric in [m for m in _metric_columns() if m in scores]:
        has = scores[metric].notna()
        defined = has.groupby(scores["dataset"]).transform("any")
        missing = int((scores[column].notna() & defined & ~has).sum()) if column in scores else 0
        if metric == column or (has.any() and not missing):
            shown.append(metric)
        elif missing:
            left_out[metric] = missing
    return shown, left_out


def _scoring_section(metrics):
    """The scorer of each operating-region column shown, so that a report says what it measured."""
    from ._methods import TARGET_SCORERS
    from ._runner import OPERATING_METRICS

    lines = []
    for metric in [m for m in metrics if m in OPERATING_METRICS]:
        options = ", ".join(f"{key}={value!r}" for key, value in TARGET_SCORERS[OPERATING_METRICS[metric]].items())
        lines.append(f"- `{metric}`: `make_surrogate_scorer({options})`")
    if not lines:
        return None
    return ("## Scoring of the operating-region columns\n\nOn each test fold of a binary dataset (the positive "
            "class is the minority class); `neg_expected_cost` is the mean cost per row of the predicted labels, "
            "negated so that higher is better, with the cost matrix `[[TN, FP], [FN, TP]]`.\n\n"
            + "\n".join(lines) + "\n")


def summary_table(scores, metric):
    """Mean ± sd over folds, one row per dataset, one column per method.

    Parameters
    ----------
    scores : pandas.DataFrame
        Scores as returned by :func:`run_benchmark`: columns ``dataset``,
        ``method`` and ``metric``, one row per fold.
    metric : str
        The score column to summarise.

    Returns
    -------
    table : pandas.DataFrame
        Strings ``"mean ± sd"`` (3 decimals; ``"n/a"`` where the method did
        not apply), columns in the order the methods first appear.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_surrogate.app import summary_table
    >>> base = {("kc2", "hgb"): 0.50, ("kc2", "f1"): 0.55, ("diabetes", "hgb"): 0.62, ("diabetes", "f1"): 0.60}
    >>> scores = pd.DataFrame([
    ...     {"dataset": d, "repeat": 0, "fold": k, "method": m, "f1": b + 0.01 * k + (0.002 * k if m == "f1" else 0)}
    ...     for (d, m), b in base.items() for k in range(6)])
    >>> table = summary_table(scores, "f1")
    >>> table.index.tolist(), table.columns.tolist()
    (['kc2', 'diabetes'], ['hgb', 'f1'])
    >>> table.loc["kc2"].tolist()
    ['0.525 ± 0.019', '0.580 ± 0.022']
    """
    grouped = scores.groupby(["dataset", "method"], sort=False)[metric]
    cell = grouped.mean().map("{:.3f}".format) + " ± " + grouped.std().map("{:.3f}".format)
    cell[grouped.mean().isna()] = "n/a"
    table = cell.unstack("method")
    return table[list(dict.fromkeys(scores["method"]))]


def mean_ranks(scores, metric):
    """Each method's rank per dataset (1 = best mean score, ties averaged), averaged over datasets.

    Methods with no score on some dataset (NaN, e.g. threshold tuning on a
    multiclass problem) are left out.

    Parameters
    ----------
    scores : pandas.DataFrame
        Scores as returned by :func:`run_benchmark`: columns ``dataset``,
        ``method`` and ``metric``.
    metric : str
        The score column to rank by (higher is better).

    Returns
    -------
    ranks : pandas.Series
        Mean rank by method, best first.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_surrogate.app import mean_ranks
    >>> scores = pd.DataFrame({
    ...     "dataset": ["kc2"] * 3 + ["diabetes"] * 3 + ["pc4"] * 3,
    ...     "method": ["hgb", "f1", "cross_entropy"] * 3,
    ...     "f1": [0.60, 0.70, 0.50, 0.80, 0.75, 0.70, 0.40, 0.45, 0.45]})
    >>> mean_ranks(scores, "f1").to_dict()
    {'f1': 1.5, 'hgb': 2.0, 'cross_entropy': 2.5}
    """
    means = scores.groupby(["dataset", "method"], sort=False)[metric].mean().unstack("method").dropna(axis=1)
    return means.rank(axis=1, ascending=False).mean().sort_values()


def win_tie_loss(scores, metric, baseline, *, alpha=0.05):
    """Win/tie/loss of every method against ``baseline``, dataset by dataset.

    On each dataset the fold scores are paired (same folds) and compared by
    the Wilcoxon signed-rank test: a *win* is a higher mean with p < alpha, a
    *loss* a lower mean with p < alpha, anything else a *tie*. The last
    column is the Wilcoxon test over the datasets' mean scores.

    Parameters
    ----------
    scores : pandas.DataFrame
        Scores as returned by :func:`run_benchmark`: columns ``dataset``,
        ``repeat``, ``fold``, ``method`` and ``metric``.
    metric : str
        The score column to compare (higher is better).
    baseline : str
        The method every other method is compared with.
    alpha : float, default=0.05
        Significance level of the per-dataset tests.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``win``, ``tie``, ``loss`` (numbers of datasets),
        ``mean difference`` (method minus baseline, averaged over the
        datasets' means) and ``p (over datasets)``, one row per method.

    Notes
    -----
    With ``n`` paired folds the smallest two-sided Wilcoxon p-value is
    ``2 / 2**n``: below 5 % only from 6 folds on (5 x 2 cross-validation
    gives 10).

    Examples
    --------
    ``f1`` beats ``hgb`` on every fold of kc2 and loses on every fold of
    diabetes:

    >>> import pandas as pd
    >>> from sklearn_surrogate.app import win_tie_loss
    >>> base = {("kc2", "hgb"): 0.50, ("kc2", "f1"): 0.55, ("diabetes", "hgb"): 0.62, ("diabetes", "f1"): 0.60}
    >>> scores = pd.DataFrame([
    ...     {"dataset": d, "repeat": 0, "fold": k, "method": m, "f1": b + 0.01 * k + (0.002 * k if m == "f1" else 0)}
    ...     for (d, m), b in base.items() for k in range(6)])
    >>> win_tie_loss(scores, "f1", "hgb")
        win  tie  loss  mean difference  p (over datasets)
    f1  1.0  0.0   1.0             0.02                1.0
    >>> win_tie_loss(scores, "f1", "hgb", alpha=0.01)[["win", "tie", "loss"]]
        win  tie  loss
    f1  0.0  2.0   0.0
    """
    from scipy.stats import wilcoxon

    pivot = scores.pivot_table(index=["dataset", "repeat", "fold"], columns="method", values=metric)
    rows = {}
    for method in pivot.columns:
        if method == baseline:
            continue
        counts = {"win": 0, "tie": 0, "loss": 0}
        for _, folds in pivot[[method, baseline]].dropna().groupby(level="dataset"):
            diff = folds[method] - folds[baseline]
            p = 1.0 if np.allclose(diff, 0) else wilcoxon(folds[method], folds[baseline]).pvalue
            counts["win" if diff.mean() > 0 and p < alpha else "loss" if diff.mean() < 0 and p < alpha else "tie"] += 1
        means = pivot[[method, baseline]].dropna().groupby(level="dataset").mean()
        diff = means[method] - means[baseline]
        p_all = wilcoxon(means[method], means[baseline]).pvalue if len(means) > 1 and not np.allclose(diff, 0) else 1.0
        rows[method] = {**counts, "mean difference": round(float(diff.mean()), 4), "p (over datasets)": round(p_all, 4)}
    return pd.DataFrame(rows).T


def _scored_methods(scores, metric):
    """The methods with a score on ``metric`` somewhere, in the order they first appear."""
    scored = scores.groupby("method", sort=False)[metric].count()
    return [method for method in scored.index if scored[method] > 0]


def head_to_head(scores, metric, method, *, alpha=0.05):
    """Win/tie/loss of ``method`` against every other method, dataset by dataset.

    :func:`win_tie_loss` seen from ``method``'s side: one row per other
    method with a score (methods that apply nowhere, such as threshold
    tuning on multiclass datasets only, are left out), where a *win* is a
    dataset on which ``method`` has the higher mean score with p < alpha
    (Wilcoxon signed-rank on the paired folds).

    Parameters
    ----------
    scores : pandas.DataFrame
        Scores as returned by :func:`run_benchmark`: columns ``dataset``,
        ``repeat``, ``fold``, ``method`` and ``metric``.
    metric : str
        The score column to compare (higher is better).
    method : str
        The method compared with all the others.
    alpha : float, default=0.05
        Significance level of the per-dataset tests.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``win``, ``tie``, ``loss`` (numbers of datasets, for
        ``method``), ``mean difference`` (``method`` minus the other,
        averaged over the datasets' means) and ``p (over datasets)``; the
        index is ``"vs <other>"``, in the order the methods first appear.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_surrogate.app import head_to_head
    >>> base = {"hgb": 0.50, "f1": 0.55, "cross_entropy": 0.45}
    >>> scores = pd.DataFrame([
    ...     {"dataset": d, "repeat": 0, "fold": k, "method": m, "f1": b + 0.01 * k + (0.002 * k if m == "f1" else 0)}
    ...     for d in ["kc2", "pc4"] for m, b in base.items() for k in range(6)])
    >>> head_to_head(scores, "f1", "f1")
                      win  tie  loss  mean difference  p (over datasets)
    vs hgb            2.0  0.0   0.0            0.055                0.5
    vs cross_entropy  2.0  0.0   0.0            0.105                0.5
    """
    if method not in set(scores["method"]):
        raise ValueError(f"No scores of method {method!r}; methods: {list(dict.fromkeys(scores['method']))}.")
    rows = {}
    for other in _scored_methods(scores, metric):
        if other != method:
            pair = scores[scores["method"].isin([method, other])]
            rows[f"vs {other}"] = win_tie_loss(pair, metric, other, alpha=alpha).loc[method]
    return pd.DataFrame(rows).T


def mean_scores(scores, metrics, *, rank_by):
    """Each method's mean score over datasets for every metric, and its mean rank on one of them.

    Parameters
    ----------
    scores : pandas.DataFrame
        Scores as returned by :func:`run_benchmark`.
    metrics : list of str
        Score columns to average: first over a dataset's folds, then over the
        datasets where the method applies (NaN rows, such as threshold tuning
        on a multiclass dataset, are skipped).
    rank_by : str
        The score column of the ``mean rank`` column (see :func:`mean_ranks`;
        NaN for a method missing on some dataset).

    Returns
    -------
    table : pandas.DataFrame
        One row per method, sorted by mean rank (best first), columns
        ``metrics`` then ``"mean rank (<rank_by>)"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_surrogate.app import mean_scores
    >>> scores = pd.DataFrame({
    ...     "dataset": ["kc2"] * 2 + ["pc4"] * 2, "method": ["hgb", "f1"] * 2,
    ...     "f1": [0.6, 0.7, 0.5, 0.4], "roc_auc": [0.8, 0.7, 0.9, 0.6]})
    >>> mean_scores(scores, ["f1", "roc_auc"], rank_by="f1")
           f1  roc_auc  mean rank (f1)
    hgb  0.55     0.85             1.5
    f1   0.55     0.65             1.5
    """
    per_dataset = scores.groupby(["dataset", "method"], sort=False)[list(metrics)].mean()
    table = per_dataset.groupby(level="method", sort=False).mean()
    table[f"mean rank ({rank_by})"] = mean_ranks(scores, rank_by)
    table.index.name = None
    return table.sort_values(f"mean rank ({rank_by})", kind="stable")


def _fit_time_section(timings, reference, against="cross_entropy+threshold"):
    medians = timings.groupby("method", sort=False)["fit_seconds"].median()
    if against not in medians.index:  # the targets a threshold does not change run no +threshold method
        against = "cross_entropy"
    text = ("## Median fit seconds\n\nMedian over every fit (all datasets and folds) of each method, "
            "preprocessing included.\n\n" + medians.round(3).to_frame().to_markdown() + "\n")
    if reference is not None and reference != against and {reference, against} <= set(medians.index):
        ratio = medians[reference] / medians[against]
        # a campaign report may gather rows fitted by several runs (checkpoints): say what the times share
        text += (f"\nmedian(`{reference}`) / median(`{against}`) = **{ratio:.2f}**, both over the same datasets "
                 "and folds, from the fit times recorded in these rows (one machine; rows of different runs or "
                 "parallel processes may have shared it differently).\n")
    return text


def _environment_section(timings):
    """Which environments (library versions, CPU instruction set, machine) the rows were fitted in, per method.

    None without an ``environment`` column. One environment: one line. More
    (a campaign gathered across machines or library updates, or rows from
    before environments were recorded): a count of rows per method and
    environment, since scores of the same task need not agree to the last
    digit across environments.
    """
    if "environment" not in timings:
        return None
    where = timings["environment"].fillna("not recorded (fitted before environments were)")
    names = list(dict.fromkeys(where))
    if len(names) == 1:
        return f"## Environment\n\nEvery row was fitted with: {names[0]}.\n"
    labels = {name: f"E{i + 1}" for i, name in enumerate(names)}
    counts = pd.crosstab(timings["method"], where.map(labels)).reindex(
        index=list(dict.fromkeys(timings["method"])), columns=list(labels.values()), fill_value=0)
    counts.index.name = None
    legend = "\n".join(f"- {label}: {name}" for name, label in labels.items())
    return ("## Environments\n\nRows per method and environment. Scores of one task agree to the last digit only "
            "within one environment (float rounding differs between CPU instruction sets and library builds, and a "
            "long training can stop at another epoch); to compare two methods exactly, refit both in one.\n\n"
            + legend + "\n\n" + counts.to_markdown() + "\n")


def _rank_plot(scores, metric, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import studentized_range

    ranks = mean_ranks(scores, metric)
    k, n = len(ranks), scores["dataset"].nunique()
    # Nemenyi critical difference at alpha = 0.05 (Demsar 2006)
    cd = studentized_range.ppf(0.95, k, np.inf) / np.sqrt(2) * np.sqrt(k * (k + 1) / (6 * n)) if n > 1 else np.nan
    fig, ax = plt.subplots(figsize=(7, 0.4 * k + 1))
    ax.barh(ranks.index[::-1], ranks.values[::-1], color="tab:blue")
    if np.isfinite(cd):
        ax.errorbar(ranks.values[::-1], range(k), xerr=cd / 2, fmt="none", ecolor="black", capsize=3)
    ax.set(xlabel=f"mean rank on {metric} over {n} datasets (bars: ± CD/2, Nemenyi, α = 0.05)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _dataset_bars(scores, metric, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = scores.groupby(["dataset", "method"], sort=False)[metric].mean().unstack("method")
    means = means[list(dict.fromkeys(scores["method"]))]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(means)), 4))
    means.plot.bar(ax=ax, width=0.85)
    ax.set(ylabel=f"mean {metric}", xlabel="")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(scores, timings, output_dir, *, target="f1", title="Benchmark", plots=True, reference=None):
    """Write ``scores.csv``, ``timings.csv``, ``report.md`` and the plots into ``output_dir``.

    The report has each method's mean scores and mean rank on ``target``
    (:func:`mean_scores`), the mean ranks for every metric present, the
    :func:`head_to_head` table of ``reference`` against every other method,
    the :func:`win_tie_loss` tables of ``target`` against each other
    baseline present, a :func:`summary_table` per metric, the mean fit
    times, the median fit times with the ratio of ``reference``'s
    median to ``cross_entropy+threshold``'s (``cross_entropy``'s where it
    did not run; both measured in the same run), and the environments the
    rows were fitted in. The plots are the mean
    ranks on ``target`` with the Nemenyi critical difference
    (``ranks_<target>.png``) and the mean score of every method on every
    dataset (``datasets_<target>.png``).

    Every score column present is summarised, the operating-region ones
    (``partial_auc``, ``tpr_at_fpr``, ``precision_at_k``,
    ``neg_expected_cost``) with the scorer configuration that computed
    them; a column that some rows lack (rows check-pointed before it was
    scored: see :func:`run_benchmark`) is left out of the tables and named,
    since averages over the other rows would compare methods on different
    folds. The target's column is always shown.

    Parameters
    ----------
    scores : pandas.DataFrame
        Scores as returned by :func:`run_benchmark`.
    timings : pandas.DataFrame
        Timings as returned by :func:`run_benchmark` (a ``fit_seconds``
        column and, optionally, ``environment``: the report then says
        which environments the rows were fitted in, per method when there
        are several).
    output_dir : path-like
        Folder to write into (created if needed); existing files of the same
        names are overwritten.
    target : str, default="f1"
        The metric of the win/tie/loss tables and the plots; the mean-rank
        table is sorted by it. ``"f1_macro"`` reads the ``f1`` column (the
        macro F1 on multiclass datasets), ``"expected_cost"`` the
        ``neg_expected_cost`` column (the cost negated: higher is better).
    title : str, default="Benchmark"
        Title of the report.
    plots : bool, default=True
        Write the two PNG plots (needs matplotlib).
    reference : str, default=None
        The method of the head-to-head table and the fit-time ratio;
        ``"auto"`` when it has scores, else none.

    Returns
    -------
    text : str
        The markdown report (the content of ``report.md``).

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import pandas as pd
    >>> from sklearn_surrogate.app import write_report
    >>> base = {("kc2", "hgb"): 0.50, ("kc2", "f1"): 0.55, ("diabetes", "hgb"): 0.62, ("diabetes", "f1"): 0.60}
    >>> scores = pd.DataFrame([
    ...     {"dataset": d, "repeat": 0, "fold": k, "method": m, "f1": b + 0.01 * k + (0.002 * k if m == "f1" else 0)}
    ...     for (d, m), b in base.items() for k in range(6)])
    >>> timings = scores[["dataset", "repeat", "fold", "method"]].assign(fit_seconds=1.0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     text = write_report(scores, timings, folder, title="Toy benchmark")
    ...     files = sorted(os.listdir(folder))
    >>> files
    ['datasets_f1.png', 'ranks_f1.png', 'report.md', 'scores.csv', 'timings.csv']
    >>> print(*[line for line in text.splitlines() if line.startswith("#")], sep="\\n")
    # Toy benchmark
    ## Mean scores over datasets, mean rank on f1
    ## Mean ranks (1 = best)
    ## f1: win / tie / loss against `hgb`
    ## f1 (mean ± sd over folds)
    ## Mean fit seconds
    ## Median fit seconds

    With a ``reference`` (``auto`` by default, when present), its table
    against every other method and its fit-time ratio to
    ``cross_entropy+threshold`` join the report:

    >>> timings.loc[timings["method"] == "f1", "fit_seconds"] = 3.0
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     text = write_report(scores, timings, folder, reference="f1", plots=False)
    >>> print(*[line for line in text.splitlines() if line.startswith("## `")], sep="\\n")
    ## `f1` against every other method on f1: win / tie / loss
    """
    import pathlib

    from ._methods import BASELINES

    folder = pathlib.Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    scores.to_csv(folder / "scores.csv", index=False, float_format="%.10g")
    timings.to_csv(folder / "timings.csv", index=False, float_format="%.4g")
    column = _COLUMN_OF_TARGET.get(target, target)
    metrics, left_out = _reported_metrics(scores, column)
    methods = list(dict.fromkeys(scores["method"]))
    if reference is None and "auto" in methods:
        reference = "auto"
    parts = [f"# {title}\n"]
    means = mean_scores(scores, metrics, rank_by=column).round(3)
    parts.append(f"## Mean scores over datasets, mean rank on {column}\n\nEach dataset's mean over its folds, then "
                 "the mean over the datasets where the method applies; rank 1 is best.\n\n"
                 + means.to_markdown() + "\n")
    ranks = pd.DataFrame({m: mean_ranks(scores, m) for m in metrics}).round(2)
    parts.append("## Mean ranks (1 = best)\n\n" + ranks.sort_values(column).to_markdown() + "\n")
    if left_out:
        parts.append("Left out of this report, for rows check-pointed before these columns were scored (refit "
                     "them in a fresh checkpoint folder to have them): "
                     + ", ".join(f"`{m}` ({n} rows)" for m, n in left_out.items()) + ".\n")
    scoring = _scoring_section(metrics)
    if scoring is not None:
        parts.append(scoring)
    if reference is not None:
        table = head_to_head(scores, column, reference)
        parts.append(f"## `{reference}` against every other method on {column}: win / tie / loss\n\nWins, ties and "
                     f"losses of `{reference}` per dataset: Wilcoxon signed-rank on the paired folds, p < 0.05; "
                     "mean difference: "
                     f"`{reference}` minus the other; last column: Wilcoxon over the datasets' means.\n\n"
                     + table.to_markdown() + "\n")
    scored = _scored_methods(scores, column)
    for baseline in [b for b in BASELINES if b in scored and b != reference]:  # the reference's table is above
        table = win_tie_loss(scores, column, baseline)
        parts.append(f"## {column}: win / tie / loss against `{baseline}`\n\nPer dataset: Wilcoxon signed-rank on "
                     "the paired folds, p < 0.05; last column: Wilcoxon over the datasets' means.\n\n"
                     + table.to_markdown() + "\n")
    for metric in metrics:
        parts.append(f"## {metric} (mean ± sd over folds)\n\n" + summary_table(scores, metric).to_markdown() + "\n")
    seconds = timings.groupby("method", sort=False)["fit_seconds"].mean().round(2)
    parts.append("## Mean fit seconds\n\n" + seconds.to_frame().to_markdown() + "\n")
    parts.append(_fit_time_section(timings, reference))
    environments = _environment_section(timings)
    if environments is not None:
        parts.append(environments)
    text = "\n".join(parts)
    (folder / "report.md").write_text(text, encoding="utf-8")
    if plots:
        _rank_plot(scores, column, folder / f"ranks_{target}.png")
        _dataset_bars(scores, column, folder / f"datasets_{target}.png")
    return text
