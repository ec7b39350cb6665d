"""Deprecated alias of :mod:`sklearn_surrogate.app` (the benchmark runner moved there).

Importing ``sklearn_surrogate.benchmark`` warns with a ``FutureWarning`` and
gives the same objects as :mod:`sklearn_surrogate.app`. The alias will be
removed in a future release: import from ``sklearn_surrogate.app`` instead.
"""

import warnings

from .app import (
    BASELINES,
    QUICK,
    load_dataset,
    make_method,
    mean_ranks,
    method_names,
    run_benchmark,
    score_predictions,
    summary_table,
    win_tie_loss,
    write_report,
)

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

warnings.warn(
    "sklearn_surrogate.benchmark is deprecated and will be removed in a future release; "
    "import the same names from sklearn_surrogate.app instead.",
    FutureWarning,
    stacklevel=2,
)
