"""Variants of a benchmark method on the campaign's tasks, paired fold by fold (design runs of issues 17 and 20).

A variant is a runner method (``sklearn-surrogate benchmark --methods``) with
some parameters changed, written ``method:param=value,param=value``:

* ``auto:loss=reloss_macro_f1`` -- ``SurrogateClassifier(metric=...)`` (the
  cross-fitted ensemble with its decision rule tuned for the metric) trained
  on the shipped macro-F1 surrogate instead of cross-entropy;
* ``reloss_f1:loss__ce_weight=0`` -- the learned F1 surrogate without its
  cross-entropy term;
* a plain method name (``auto``, ``reloss_f1``) is the method as shipped.

* ``reloss_roc_auc:loss__surrogate=candidate/roc_auc-set.safetensors`` -- the
  learned ROC AUC loss with a candidate surrogate file's network instead of
  the shipped one (a value ending in ``.safetensors`` is such a file), so a
  re-learned surrogate is judged against the shipped one in one run.

Values are Python literals (``0``, ``0.5``, ``'linear'``, ``(64, 64)``); a
bare word is a string. Every variant is fitted on the campaign's tasks: the
same datasets, 5 x 2 ``RepeatedStratifiedKFold`` splits, preprocessing, seeds
and fit (``_fit_and_score``) as the runner, so its rows pair with the
reference's. The reference (the first of ``--methods``) is fitted here too
rather than read from a campaign checkpoint: a campaign's rows are those of
the code and library versions that wrote them, and the comparison must be
between two fits of the same code.

Usage::

    python benchmarks/campaign_variants.py --target f1_macro --methods auto auto:loss=reloss_macro_f1 \\
        --output benchmarks/results/learned_in_auto_f1_macro.csv
    python benchmarks/campaign_variants.py --target f1 --methods reloss_f1 reloss_f1:loss__ce_weight=0 \\
        --output benchmarks/results/reloss_ce_weight_f1.csv
    python benchmarks/campaign_variants.py ... --report-only        # fits nothing: the report of the CSV

The datasets default to the campaign's (every binary shared dataset, every
multiclass one for ``f1_macro``), smallest first; ``--folds k`` fits only the
first k of the 10 folds (a timing run in one process: ``--folds 1``). Each fit runs on one
thread; the CSV gains a row after each fit, so a killed run resumes where it
stopped. The report prints each variant against the reference: its mean
score, the datasets where it is better on average, the median fit seconds and
the paired win / tie / loss (Wilcoxon over the 10 folds of each dataset,
p < 0.05).
"""

import argparse
import ast
import csv
import pathlib

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def parse_variant(text):
    """``"method:a=1,b=x"`` -> ``("method", {"a": 1, "b": "x"})``."""
    method, _, options = text.partition(":")
    params = {}
    for item in filter(None, options.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"Variant {text!r}: {item!r} is not param=value.")
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value
    return method, params


def build(variant, target, n_classes, seed):
    """The unfitted estimator of a variant, seeded as the campaign seeds its method."""
    from sklearn_surrogate.app import make_method

    method, params = parse_variant(variant)
    for key, value in params.items():
        if isinstance(value, str) and value.endswith(".safetensors"):  # a surrogate file: its network
            from sklearn_surrogate.learned import load_surrogate

            params[key] = load_surrogate(value).surrogate
    estimator = make_method(method, random_state=seed, n_classes=n_classes, target=target)
    return estimator.set_params(**params) if params else estimator


def run(datasets, variants, target, output, n_folds=10):
    """Fit and score every (dataset, fold, variant) of the first ``n_folds`` folds not yet in ``output``."""
    for variant in variants:  # a typo fails now, not after an hour of fits
        build(variant, target, 3 if target == "f1_macro" else 2, 0)
    def make(variant, n_classes, seed):
        return build(variant, target, n_classes, seed)

    fit_paired(datasets, variants, target, output, make, n_folds)


def fit_paired(datasets, methods, target, output, make, n_folds=10, prepare=None):
    """Fit ``make(method, n_classes, seed)`` on the campaign's tasks; one CSV row per fit, appended as it ends.

    The tasks are the runner's: its datasets (every binary shared dataset, or
    every multiclass one for ``f1_macro``, smallest first, when ``datasets``
    is empty), 5 x 2 ``RepeatedStratifiedKFold`` splits, seeds and fit
    (``_fit_and_score``), so the rows pair with a campaign's. The rows already
    in ``output`` are skipped: a killed run resumes. ``prepare(name, X, y)``,
    when given, returns the ``X`` and ``y`` to fit (the folds are drawn on
    that ``y``) and a dict of columns for the dataset's rows, written after
    ``method`` (``benchmarks/reloss_recipe_selection.py`` makes multiclass
    datasets binary this way).
    """
    import torch
    from sklearn.model_selection import RepeatedStratifiedKFold

    from sklearn_surrogate.app import load_dataset
    from sklearn_surrogate.app._runner import _fit_and_score, _seed  # the campaign's seeds and fit: paired rows
    from sklearn_surrogate.datasets import shared_manifest

    torch.set_num_threads(1)
    done = set()
    if output.exists():
        with output.open(newline="") as handle:
            done = {(r["dataset"], int(r["repeat"]), int(r["fold"]), r["method"]) for r in csv.DictReader(handle)}
    if not datasets:
        manifest = shared_manifest()
        kind = (manifest["n_classes"] > 2) if target == "f1_macro" else (manifest["n_classes"] == 2)
        datasets = list(manifest[kind].sort_values("n_rows")["name"])
    for name in datasets:
        _, _, X, y = load_dataset(name)
        X, y, columns = prepare(name, X, y) if prepare is not None else (X, y, {})
        n_classes = int(y.max()) + 1
        cv = RepeatedStratifiedKFold(n_splits=2, n_repeats=5, random_state=_seed(0, name, -1, -1))
        for task, (train, test) in enumerate(cv.split(X, y)):
            if task >= n_folds:
                break
            repeat, fold = divmod(task, 2)
            for method in methods:
                if (name, repeat, fold, method) in done:
                    continue
                estimator = make(method, n_classes, _seed(0, name, repeat, fold))
                scores, seconds = _fit_and_score(estimator, X, y, train, test)
                row = {"dataset": name, "repeat": repeat, "fold": fold, "method": method, **columns, **scores,
                       "fit_seconds": seconds}
                new = not output.exists()
                with output.open("a", newline="") as handle:
                    writer = csv.DictWriter(handle, fieldnames=list(row))
                    if new:
                        writer.writeheader()
                    writer.writerow(row)
                print(f"{name} repeat {repeat} fold {fold} {method}: {row['f1']:.4f} ({seconds:.1f} s)", flush=True)


def report(output, reference, metric):
    """Print each variant of the CSV against ``reference``, on the folds both have."""
    import pandas as pd

    from sklearn_surrogate.app import win_tie_loss

    rows = pd.read_csv(output)
    for variant in [m for m in dict.fromkeys(rows["method"]) if m != reference]:
        both = rows[rows["method"].isin([reference, variant])]
        both = both[both.groupby(["dataset", "repeat", "fold"])["method"].transform("nunique") == 2]
        means = both.groupby(["dataset", "method"])[metric].mean().unstack()[[reference, variant]]
        seconds = both.groupby("method")["fit_seconds"].median()
        print(f"{variant} against {reference} on {len(means)} datasets ({len(both) // 2} paired folds): mean "
              f"{metric} {means[variant].mean():.4f} vs {means[reference].mean():.4f}, datasets better "
              f"{int((means[variant] > means[reference]).sum())}, median fit {seconds[variant]:.1f} s vs "
              f"{seconds[reference]:.1f} s")
        print(means.round(4).to_string())
        print(win_tie_loss(both, metric, reference).to_string(float_format=lambda v: f"{v:.4f}"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="+", required=True,
                        help="variants (method:param=value,...); the first is the reference")
    parser.add_argument("--target", default="f1")
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--output", type=pathlib.Path, required=True, help="CSV of every fit (resumed)")
    parser.add_argument("--folds", type=int, default=10,
                        help="only the first folds of the 5 x 2 (a quick timing run: --folds 1)")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    if not args.report_only:
        run(args.datasets, args.methods, args.target, args.output, args.folds)
    if not args.output.exists():
        raise SystemExit(f"{args.output} holds no rows yet: nothing to report.")
    report(args.output, args.methods[0], "f1" if args.target == "f1_macro" else args.target)


if __name__ == "__main__":
    main()
