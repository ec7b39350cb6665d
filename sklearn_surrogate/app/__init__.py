"""The application built on the library: the demo, the command line and the benchmark runner.

``sklearn-surrogate`` (also ``python -m sklearn_surrogate``) runs :func:`run_demo`
by default, ``sklearn-surrogate benchmark`` runs :func:`run_benchmark` then
:func:`write_report`, and ``sklearn-surrogate train-surrogates`` re-learns the
shipped ReLoss surrogates.

Benchmarks on OpenML datasets compare surrogate losses against the baselines
users would pick: each surrogate loss and the baselines (cross-entropy at
threshold 0.5 and with a tuned threshold, scikit-learn's ``MLPClassifier``,
gradient boosting with and without a tuned threshold; on request
``SurrogateClassifier(metric=...)`` choosing everything itself, and pytabkit's
RealMLP) are evaluated by repeated stratified cross-validation, and the report
holds every fold, mean ± sd tables, mean ranks, paired tests and fit times.
Per-dataset checkpoints let a campaign resume and grow by methods across
sessions.

The application imports the library (:mod:`sklearn_surrogate`); the library
never imports the application.
"""

import importlib

# Where each public name lives. The names load on first access, so that the command line
# (``sklearn_surrogate.app._cli``, whose package this is) starts without pandas, which only the
# benchmark's modules import at load time.
_SUBMODULE_OF = {
    "BASELINES": "_methods",
    "DEFAULT_BASELINES": "_methods",
    "EXPECTED_COST_MATRIX": "_methods",
    "NO_THRESHOLD_TARGETS": "_methods",
    "TARGETS": "_methods",
    "TARGET_SCORERS": "_methods",
    "default_baselines": "_methods",
    "make_method": "_methods",
    "method_names": "_methods",
    "target_loss_params": "_methods",
    "target_scorer": "_methods",
    "head_to_head": "_report",
    "mean_ranks": "_report",
    "mean_scores": "_report",
    "summary_table": "_report",
    "win_tie_loss": "_report",
    "write_report": "_report",
    "QUICK": "_runner",
    "load_dataset": "_runner",
    "run_benchmark": "_runner",
    "score_predictions": "_runner",
    "run_demo": "_demo",
}

__all__ = [
    "BASELINES",
    "DEFAULT_BASELINES",
    "EXPECTED_COST_MATRIX",
    "NO_THRESHOLD_TARGETS",
    "QUICK",
    "TARGETS",
    "TARGET_SCORERS",
    "default_baselines",
    "head_to_head",
    "load_dataset",
    "make_method",
    "mean_ranks",
    "mean_scores",
    "method_names",
    "run_benchmark",
    "run_demo",
    "score_predictions",
    "summary_table",
    "target_loss_params",
    "target_scorer",
    "win_tie_loss",
    "write_report",
]


def __getattr__(name):
    if name not in _SUBMODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_SUBMODULE_OF[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
