"""AUC and balanced-accuracy surrogates on the 22 binary shared datasets (the "Choosing a surrogate" evidence).

Usage::

    python benchmarks/auc_and_balanced_accuracy.py --jobs 2      # about 40 min on 2 cores

Two runs with the benchmark's protocol and folds (5 x 2-fold stratified CV, seeded by dataset
name, so the rows line up with the F1 run in ``benchmarks/results/openml``):

1. ``auc_margin``, ``auc_squared_hinge`` and ``balanced_accuracy`` against ``cross_entropy`` and
   ``hgb``, report aimed at ROC AUC -> ``benchmarks/results/openml_auc/``;
2. ``cross_entropy+threshold`` and ``hgb+threshold`` with thresholds tuned for *balanced accuracy*;
   the report joins them with run 1's rows, aimed at balanced accuracy
   -> ``benchmarks/results/openml_bacc/``.

Each dataset's rows are check-pointed under ``<output>/datasets/``, so an interrupted run resumes.
"""

import argparse
from pathlib import Path

import pandas as pd

from sklearn_surrogate.app import run_benchmark, write_report
from sklearn_surrogate.datasets import shared_manifest

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--auc-output", type=Path, default=RESULTS / "openml_auc")
    parser.add_argument("--bacc-output", type=Path, default=RESULTS / "openml_bacc")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)

    manifest = shared_manifest()
    datasets = list(manifest[manifest["n_classes"] == 2].sort_values("n_rows")["name"])
    common = {"n_repeats": 5, "n_splits": 2, "random_state": 0, "n_jobs": args.jobs}

    scores, timings = run_benchmark(datasets, ["auc_margin", "auc_squared_hinge", "balanced_accuracy"],
                                    baselines=["cross_entropy", "hgb"], target="roc_auc",
                                    checkpoint_dir=args.auc_output / "datasets", **common)
    write_report(scores, timings, args.auc_output, target="roc_auc", plots=not args.no_plot,
                 title=f"AUC and balanced-accuracy surrogates: {len(datasets)} binary datasets, 5 x 2-fold CV")

    tuned, tuned_timings = run_benchmark(datasets, (), baselines=["cross_entropy+threshold", "hgb+threshold"],
                                         target="balanced_accuracy",
                                         checkpoint_dir=args.bacc_output / "datasets", **common)
    text = write_report(pd.concat([scores, tuned], ignore_index=True),
                        pd.concat([timings, tuned_timings], ignore_index=True), args.bacc_output,
                        target="balanced_accuracy", plots=not args.no_plot,
                        title=f"Balanced accuracy: surrogates vs thresholds tuned for it, {len(datasets)} datasets")
    print(text)


if __name__ == "__main__":
    main()
