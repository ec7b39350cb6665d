"""Summaries of benchmark scores: tables, mean ranks, paired tests, plots."""

import numpy as np
import pandas as pd

__all__ = ["mean_ranks", "summary_table", "win_tie_loss", "write_report"]


def summary_table(scores, metric):
    """Mean ± sd over folds, one row per dataset, one column per method."""
    grouped = scores.groupby(["dataset", "method"], sort=False)[metric]
    cell = grouped.mean().map("{:.3f}".format) + " ± " + grouped.std().map("{:.3f}".format)
    cell[grouped.mean().isna()] = "n/a"
    table = cell.unstack("method")
    return table[list(dict.fromkeys(scores["method"]))]


def mean_ranks(scores, metric):
    """Each method's rank per dataset (1 = best mean score, ties averaged), averaged over datasets."""
    means = scores.groupby(["dataset", "method"], sort=False)[metric].mean().unstack("method").dropna(axis=1)
    return means.rank(axis=1, ascending=False).mean().sort_values()


def win_tie_loss(scores, metric, baseline, *, alpha=0.05):
    """Win/tie/loss of every method against ``baseline``, dataset by dataset.

    On each dataset the fold scores are paired (same folds) and compared by
    the Wilcoxon signed-rank test: a *win* is a higher mean with p < alpha, a
    *loss* a lower mean with p < alpha, anything else a *tie*. The last
    column is the Wilcoxon test over the datasets' mean scores.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``win``, ``tie``, ``loss``, ``mean difference`` and
        ``p (over datasets)``, one row per method.
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


def write_report(scores, timings, output_dir, *, target="f1", title="Benchmark", plots=True):
    """Write ``scores.csv``, ``timings.csv``, ``report.md`` and the plots into ``output_dir``.

    Returns
    -------
    text : str
        The markdown report.
    """
    import pathlib

    from ._methods import BASELINES

    folder = pathlib.Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    scores.to_csv(folder / "scores.csv", index=False, float_format="%.10g")
    timings.to_csv(folder / "timings.csv", index=False, float_format="%.4g")
    metrics = [m for m in ("f1", "roc_auc", "average_precision", "balanced_accuracy") if m in scores]
    parts = [f"# {title}\n"]
    ranks = pd.DataFrame({m: mean_ranks(scores, m) for m in metrics}).round(2)
    parts.append("## Mean ranks (1 = best)\n\n" + ranks.sort_values(target).to_markdown() + "\n")
    for baseline in [b for b in BASELINES if b in set(scores["method"])]:
        table = win_tie_loss(scores, target, baseline)
        parts.append(f"## {target}: win / tie / loss against `{baseline}`\n\nPer dataset: Wilcoxon signed-rank on "
                     "the paired folds, p < 0.05; last column: Wilcoxon over the datasets' means.\n\n"
                     + table.to_markdown() + "\n")
    for metric in metrics:
        parts.append(f"## {metric} (mean ± sd over folds)\n\n" + summary_table(scores, metric).to_markdown() + "\n")
    seconds = timings.groupby("method", sort=False)["fit_seconds"].mean().round(2)
    parts.append("## Mean fit seconds\n\n" + seconds.to_frame().to_markdown() + "\n")
    text = "\n".join(parts)
    (folder / "report.md").write_text(text, encoding="utf-8")
    if plots:
        _rank_plot(scores, target, folder / f"ranks_{target}.png")
        _dataset_bars(scores, target, folder / f"datasets_{target}.png")
    return text
