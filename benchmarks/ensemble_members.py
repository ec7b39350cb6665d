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
import pathlib

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def run(datasets, members, target, output):
    """Fit and score every (dataset, fold, k) not yet in ``output``."""
    from campaign_variants import fit_paired  # this folder's: the campaign's tasks, seeds and fit

    from sklearn_surrogate import SurrogateClassifier
    from sklearn_surrogate.app._methods import _auto_metric  # the campaign's auto metric

    def make(method, n_classes, seed):
        return SurrogateClassifier(metric=_auto_metric(target, n_classes), n_members=int(method.split("_")[1]),
                                   random_state=seed)

    fit_paired(datasets, [f"members_{k}" for k in members], target, output, make)


def report(output, members, metric):
    """Print each ``members_<k>`` against ``members_<first k>``, on the folds both have."""
    from campaign_variants import report as report_variants

    report_variants(output, f"members_{members[0]}", metric)


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
