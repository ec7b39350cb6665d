"""Benchmarks on OpenML datasets: surrogate losses against the baselines users would pick.

``sklearn-surrogate benchmark`` (or :func:`run_benchmark` then
:func:`write_report`) evaluates each surrogate loss and the baselines
(cross-entropy at threshold 0.5 and with a tuned threshold, scikit-learn's
``MLPClassifier``, gradient boosting with and without a tuned threshold) by
repeated stratified cross-validation, and reports every fold, mean ± sd
tables, mean ranks and paired tests.
"""

from ._methods import BASELINES, make_method, method_names
from ._report import mean_ranks, summary_table, win_tie_loss, write_report
from ._runner import QUICK, load_dataset, run_benchmark, score_predictions

__all__ = [
    "BASELINES",
    "QUICK",
    "load_dataset",
    "make_method",
    "mean_ranks",
    "method_names",
    "run_benchmark",
    "score_predictions",
    "summary_table",
    "win_tie_loss",
    "write_report",
]
