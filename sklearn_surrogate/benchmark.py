"""Deprecated alias of :mod:`sklearn_surrogate.app` (the benchmark runner moved there).

Importing ``sklearn_surrogate.benchmark`` warns with a ``FutureWarning`` and
gives the same objects as :mod:`sklearn_surrogate.app`. The alias will be
removed in a future release: import from ``sklearn_surrogate.app`` instead.
"""

import warnings

from . import app as _app

# the names sklearn_surrogate.benchmark had: everything the application exports but the demo
__all__ = [name for name in _app.__all__ if name != "run_demo"]
globals().update({name: getattr(_app, name) for name in __all__})

warnings.warn(
    "sklearn_surrogate.benchmark is deprecated and will be removed in a future release; "
    "import the same names from sklearn_surrogate.app instead.",
    FutureWarning,
    stacklevel=2,
)
