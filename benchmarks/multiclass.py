"""Multiclass surrogates on the 12 multiclass shared datasets (the "Choosing a surrogate" evidence).

Usage::

    python benchmarks/multiclass.py --jobs 2      # about 20 min on 2 cores

The benchmark's protocol (5 x 2-fold stratified CV, seeded by dataset name): the macro-F1
(``f1``) and balanced-accuracy AnyLoss surrogates and the shipped learned macro-F1 surrogate
(``reloss_macro_f1``) against cross-entropy and gradient boosting. F1, ROC AUC and average
precision are macro one-vs-rest averages; the ``+threshold`` baselines do not apply to
multiclass problems. Results -> ``benchmarks/results/openml_multiclass/``; each dataset's rows
are check-pointed under its ``datasets/`` folder, so an interrupted run resumes.
"""

import argparse
from pathlib import Path

from sklearn_surrogate.app import run_benchmark, write_report
from sklearn_surrogate.datasets import shared_manifest

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS / "openml_multiclass")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)

    manifest = shared_manifest()
    datasets = list(manifest[manifest["n_classes"] > 2].sort_values("n_rows")["name"])
    scores, timings = run_benchmark(datasets, ["f1", "balanced_accuracy", "reloss_macro_f1"],
                                    baselines=["cross_entropy", "hgb"], target="f1", n_repeats=5, n_splits=2,
                                    random_state=0, n_jobs=args.jobs, checkpoint_dir=args.output / "datasets")
    print(write_report(scores, timings, args.output, target="f1", plots=not args.no_plot,
                       title=f"Multiclass surrogates: {len(datasets)} datasets, 5 x 2-fold CV, macro-F1"))


if __name__ == "__main__":
    main()
