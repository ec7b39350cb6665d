"""The datasets shipped inside the package, and the ``(X, y, info)`` format every loader returns.

:func:`load_shipped` reads OpenML 1049 (``pc4``, binary) and OpenML 40691
(``wine-quality-red``, 6 classes) from package data, without network;
:data:`SHIPPED_DATASETS` holds their metadata and provenance. The helpers
that read a ``csv(.gz)`` copy and describe it (``_read_csv``, ``_info``,
``_to_arrays``) serve :mod:`._openml` and :mod:`._shared` too.
"""

import json
from importlib import resources

import numpy as np

__all__ = ["SHIPPED_DATASETS", "load_shipped"]

_DATA = resources.files(__package__).joinpath("data")
_SHIPPED_NAMES = ("pc4", "wine-quality-red")


def _read_shipped_metadata(name):
    return json.loads(_DATA.joinpath(f"{name}.json").read_text(encoding="utf-8"))


SHIPPED_DATASETS = {name: _read_shipped_metadata(name) for name in _SHIPPED_NAMES}
"""dict: metadata of the datasets shipped inside the package, by name.

Each value is the content of ``data/<name>.json``: ``name``, ``openml_id``,
``openml_url``, ``description``, ``target``, ``n_samples``, ``n_features``,
``n_classes``, ``positive_label``, ``minority_share``, ``label_order``,
``licence``, ``licence_notes``, ``citation`` and the provenance of the copy
(``source_repo``, ``source_path``, ``source_commit``). Load the data with
:func:`load_shipped`.

Examples
--------
>>> from sklearn_surrogate.datasets import SHIPPED_DATASETS
>>> sorted(SHIPPED_DATASETS)
['pc4', 'wine-quality-red']
>>> meta = SHIPPED_DATASETS["pc4"]
>>> meta["openml_id"], meta["target"], meta["n_samples"], meta["positive_label"]
(1049, 'Class', 1458, 'True')
"""


def _info(name, openml_id, X, y, source, licence=None):
    """The ``info`` dict returned by every loader."""
    values, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    return {
        "name": name,
        "openml_id": openml_id,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "n_classes": len(values),
        "minority_share": float(counts.min() / counts.sum()) if len(counts) else float("nan"),
        "source": source,
        "licence": licence,
    }


def _read_csv(path, target):
    """Features and target of a csv(.gz) copy; ``?`` marks a missing value (ARFF's convention)."""
    import pandas as pd

    frame = pd.read_csv(path, na_values=["?"], keep_default_na=True)
    if target not in frame.columns:
        target = frame.columns[-1]
    y = frame.pop(target).astype(str)
    y.name = target
    return frame, y


def _to_arrays(X, y):
    """``as_frame=False``: numpy features (float64 when all columns are numeric) and an object array of labels."""
    from pandas.api.types import is_numeric_dtype

    numeric = all(is_numeric_dtype(dtype) for dtype in X.dtypes)
    return X.to_numpy(dtype=np.float64 if numeric else object), y.to_numpy(dtype=object)


def load_shipped(name=None, *, as_frame=True):
    """Load a dataset shipped inside the package (no network).

    Parameters
    ----------
    name : {"pc4", "wine-quality-red"} or None, default=None
        The shipped dataset; None means ``"pc4"``, OpenML dataset 1049: 1458
        modules of NASA's PC4 flight software, 37 static code metrics, target
        ``Class`` (``"True"``, a reported defect, for 12.2 % of the rows).
        ``"wine-quality-red"`` is OpenML dataset 40691, the multiclass one:
        1599 red wines, 11 physico-chemical measurements, target ``quality``
        (grades ``"3"`` to ``"8"``, 6 classes, the rarest 0.6 % of the rows).
    as_frame : bool, default=True
        Return a DataFrame and a Series; False returns numpy arrays.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, n_features)
        The features as in the file.
    y : pandas.Series of str
        The labels as written in the file (for pc4 ``"False"``, ``"True"``).
        pc4's minority class is the greater label when sorted, so a fitted
        classifier's ``classes_[1]``, the positive class of the surrogate
        losses and of binary F1, is the rare class.
    info : dict
        ``name``, ``openml_id``, ``n_samples``, ``n_features``, ``n_classes``,
        ``minority_share``, ``source`` (``"shipped"``) and ``licence``. The
        provenance of the copy is in :data:`SHIPPED_DATASETS`.

    Examples
    --------
    >>> from sklearn_surrogate.datasets import load_shipped
    >>> X, y, info = load_shipped()
    >>> X.shape, sorted(y.unique()), info["openml_id"]
    ((1458, 37), ['False', 'True'], 1049)
    >>> X, y, info = load_shipped("wine-quality-red")
    >>> X.shape, info["n_classes"], y.value_counts().sort_index().tolist()
    ((1599, 11), 6, [10, 53, 681, 638, 199, 18])
    """
    if not isinstance(as_frame, (bool, np.bool_)):  # a string such as "no" would otherwise count as True
        raise TypeError(f"as_frame must be a bool, got {as_frame!r}.")
    name = _SHIPPED_NAMES[0] if name is None else str(name)
    if name not in SHIPPED_DATASETS:
        raise ValueError(f"No shipped dataset named {name!r}; shipped: {', '.join(SHIPPED_DATASETS)}.")
    meta = SHIPPED_DATASETS[name]
    with resources.as_file(_DATA.joinpath(f"{name}.csv.gz")) as path:
        X, y = _read_csv(path, meta["target"])
    info = _info(name, meta["openml_id"], X, y, "shipped", meta["licence"])
    if not as_frame:
        X, y = _to_arrays(X, y)
    return X, y, info


def _shipped_name_for(dataset):
    """The shipped dataset that ``dataset`` (a name or an OpenML id) designates, or None."""
    key = str(dataset).strip()
    for name, meta in SHIPPED_DATASETS.items():
        if key in (name, str(meta["openml_id"])):
            return name
    return None
