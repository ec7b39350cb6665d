"""How many members should the ensemble behind ``metric=`` train? (issue 17)

``SurrogateClassifier(metric=...)`` trains ``n_members`` MLPs, member ``j``
on every row but those of the ``j``-th of ``n_members`` stratified folds, and
tunes its epoch and threshold on the out-of-fold predictions. More members
mean that each sees more of the rows (``(k - 1) / k``) and that more of them
are averaged, at a cost linear in ``k``.

This script fits ``SurrogateClassifier(metric=<target>, n_members=k)`` for
each ``k`` of ``--members`` on the benchmark campaign's tasks: the same
datasets, the same 5 x 2 ``RepeatedStratifiedKFold`` splits, the same
preprocessing and the same seeds as ``sklearn-surrogate benchmark``. Its rows
pair with the campaign's (method ``members_<k>`` here, the runner's columns).

Usage::

    python benchmarks/ensemble_members.py                      # k = 4, 8, 16; 22 binary datasets, target F1
    python benchmarks/ensemble_members.py --members 4 32 --datasets kc2 pc1 --output /tmp/members.csv
    python benchmarks/ensemble_members.py --report-only        # fits nothing: the report of the CSV

Each fit runs on one thread; the CSV gains a row after each fit, so a killed
run resumes where it stopped. The report prints, for each ``k`` after the
first, the mean score, the datasets where it is better on average, the median
fit seconds and the paired win / tie / loss against the first ``k`` (Wilcoxon
over the 10 folds of each dataset, p < 0.05).

The committed rows (``benchmarks/results/ensemble_members_f1.csv``, target
F1): ``members_4`` are the F1 campaign's ``auto`` rows from when 4 was the
default (the same fits); ``members_8`` and ``members_16`` were fitted through
the runner's fit (the ``_fit_and_score`` this script calls) on the shared
2-core machine, two processes at a time (``members_16`` has 7 of
electricity's 10 folds).
"""

import argparse
import csv
import pathlib

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def run(datasets, members, target, output):
    """Fit and score every (dataset, fold, k) not yet in ``output``."""
    import torch
    from sklearn.model_selection import RepeatedStratifiedKFold

    from sklearn_surrogate import SurrogateClassifier
    from sklearn_surrogate.app import load_dataset
    from sklearn_surrogate.app._methods import _auto_metric  # the campaign's auto metric, seeds and fit: paired rows
    from sklearn_surrogate.app._runner import _fit_and_score, _seed
    from sklearn_surrogate.datasets import shared_manifest

    torch.set_num_threads(1)
    done = set()
    if output.exists():
        with output.open(newline="") as handle:
            done = {(r["dataset"], int(r["repeat"]), int(r["fold"]), r["method"]) for r in csv.DictReader(handle)}
    if not datasets:  # the campaign's: every binary shared dataset (every multiclass one for f1_macro)
        manifest = shared_manifest()
        kind = (manifest["n_classes"] > 2) if target == "f1_macro" else (manifest["n_classes"] == 2)
        datasets = list(manifest[kind].sort_values("n_rows")["name"])
    for name in datasets:
        _, _, X, y = load_dataset(name)
        cv = RepeatedStratifiedKFold(n_splits=2, n_repeats=5, random_state=_seed(0, name, -1, -1))
        for task, (train, test) in enumerate(cv.split(X, y)):
            repeat, fold = divmod(task, 2)
            for k in members:
                method = f"members_{k}"
                if (name, repeat, fold, method) in done:
                    continue
                estimator = SurrogateClassifier(metric=_auto_metric(target, int(y.max()) + 1), n_members=k,
                                                random_state=_seed(0, name, repeat, fold))
                scores, seconds = _fit_and_score(estimator, X, y, train, test)
                row = {"dataset": name, "repeat": repeat, "fold": fold, "method": method, **scores,
                       "fit_seconds": seconds}
                new = not output.exists()
                with output.open("a", newline="") as handle:
                    writer = csv.DictWriter(handle, fieldnames=list(row))
                    if new:
                        writer.writeheader()
                    writer.writerow(row)
                print(f"{name} repeat {repeat} fold {fold} k={k}: {row['f1']:.4f} ({seconds:.1f} s)", flush=True)


def report(output, members, metric):
    """Print each ``members_<k>`` against ``members_<first k>``, on the folds both have."""
    import pandas as pd

    from sklearn_surrogate.app import win_tie_loss

    rows = pd.read_csv(output)
    base = f"members_{members[0]}"
    for k in members[1:]:
        both = rows[rows["method"].isin([base, f"members_{k}"])]
        both = both[both.groupby(["dataset", "repeat", "fold"])["method"].transform("nunique") == 2]
        means = both.groupby(["dataset", "method"])[metric].mean().unstack()
        seconds = both.groupby("method")["fit_seconds"].median()
        print(f"members_{k} against {base} on {len(means)} datasets ({len(both) // 2} paired folds): mean {metric} "
              f"{means[f'members_{k}'].mean():.4f} vs {means[base].mean():.4f}, datasets better "
              f"{int((means[f'members_{k}'] > means[base]).sum())}, median fit {seconds[f'members_{k}']:.1f} s vs "
              f"{seconds[base]:.1f} s")
        print(win_tie_loss(both, metric, base).to_string(float_format=lambda v: f"{v:.4f}"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[4, 8, 16],
                        help="member counts; the report compares each with the first")
    parser.add_argument("--target", default="f1")
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS / "ensemble_members_f1.csv")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    if not args.report_only:
        run(args.datasets, args.members, args.target, args.output)
    report(args.output, args.members, "f1" if args.target == "f1_macro" else args.target)


if __name__ == "__main__":
    main()
