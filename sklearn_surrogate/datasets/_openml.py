"""Loading tabular OpenML datasets: the shipped copy, ``fetch_openml``, and the shared offline copies.

Three sources, one return value ``(X, y, info)``:

* :func:`load_shipped`: the datasets shipped inside the package (OpenML 1049,
  ``pc4``, binary; OpenML 40691, ``wine-quality-red``, 6 classes), read from
  package data, no network;
* :func:`load_openml`: any OpenML dataset by id or name through
  :func:`sklearn.datasets.fetch_openml` (download once, then its cache), or the
  shipped copy when that is the dataset asked for;
* :func:`load_shared`: public offline copies of OpenML datasets in a
  ``shared/datasets`` folder described by ``MANIFEST.tsv`` (used by the tests,
  benchmarks and examples).

:func:`make_preprocessor` builds the imputation, scaling and one-hot encoding
that turns such a mixed-type frame into the dense float matrix a
:class:`~sklearn_surrogate.SurrogateClassifier` needs.
"""

import http.client
import json
import numbers
import os
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "SHIPPED_DATASETS",
    "load_openml",
    "load_shared",
    "load_shipped",
    "make_preprocessor",
    "shared_discovery_disabled",
    "shared_manifest",
]

_SHARED_ENV = "SKLEARN_SURROGATE_SHARED_DATASETS"
_DISCOVERY_OFF = ("off", "0", "false", "none")
_DATA = resources.files(__package__).joinpath("data")
_SHIPPED_NAMES = ("pc4", "wine-quality-red")
# dtypes one-hot encoded by `make_preprocessor`; everything else is treated as numeric
_CATEGORICAL_DTYPES = ["object", "category", "bool", "boolean", "string"]


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


def _is_openml_id(dataset):
    if isinstance(dataset, bool):
        return False
    return isinstance(dataset, numbers.Integral) or (isinstance(dataset, str) and dataset.strip().isdigit())


def load_openml(dataset, *, data_home=None, as_frame=True, shipped_ok=True):
    """Load a tabular classification dataset from OpenML by id or name.

    A shipped dataset (``pc4``, OpenML 1049; ``wine-quality-red``, 40691) is read from the package when
    ``shipped_ok``, without touching the network. Anything else goes through
    :func:`sklearn.datasets.fetch_openml` (``data_id=...`` for an id,
    ``name=..., version="active"`` for a name), which downloads the dataset
    once and then reads it from its cache under ``data_home``.

    Parameters
    ----------
    dataset : int or str
        An OpenML dataset id (``1049`` or ``"1049"``) or name (``"credit-g"``;
        its active version, the first one when there are several, with
        ``fetch_openml``'s warning).
    data_home : str or path-like, default=None
        ``fetch_openml``'s cache folder (scikit-learn's default,
        ``~/scikit_learn_data``, when None). A cache filled online serves the
        dataset offline later.
    as_frame : bool, default=True
        Return a DataFrame and a Series; False returns numpy arrays (as
        ``fetch_openml(as_frame=False)`` encodes them, for fetched datasets).
    shipped_ok : bool, default=True
        Serve the shipped copy when it is the dataset asked for; False always
        asks ``fetch_openml``.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, n_features)
        Features; OpenML's nominal columns are ``category`` columns.
    y : pandas.Series of str
        The default target column, as strings.
    info : dict
        ``name``, ``openml_id``, ``n_samples``, ``n_features``, ``n_classes``,
        ``minority_share``, ``source`` (``"shipped"`` or ``"openml"``) and
        ``licence``.

    Raises
    ------
    RuntimeError
        When OpenML cannot be reached and the dataset is not in the cache; the
        message names the dataset and what to do.
    ValueError
        When OpenML has no such dataset, or it has no single default target.

    See Also
    --------
    load_shipped : The shipped datasets.
    load_shared : OpenML datasets from offline copies.

    Examples
    --------
    The shipped dataset is served without network access, by id or name:

    >>> from sklearn_surrogate.datasets import load_openml
    >>> X, y, info = load_openml(1049)
    >>> X.shape, info["name"], info["source"]
    ((1458, 37), 'pc4', 'shipped')
    >>> X, y, info = load_openml("pc4", as_frame=False)
    >>> X.dtype, y[:3].tolist()
    (dtype('float64'), ['False', 'False', 'False'])

    Any other dataset is downloaded once, then read from the cache, e.g.
    ``load_openml("credit-g")`` or ``load_openml(31, data_home="~/openml")``.
    """
    if shipped_ok:
        name = _shipped_name_for(dataset)
        if name is not None:
            return load_shipped(name, as_frame=as_frame)
    # imported here so that tests (and users) can patch sklearn.datasets.fetch_openml
    from sklearn.datasets import fetch_openml

    if _is_openml_id(dataset):
        query = {"data_id": int(dataset)}
    else:
        query = {"name": str(dataset), "version": "active"}
    try:
        bunch = fetch_openml(**query, as_frame=as_frame, data_home=data_home, parser="auto")
    except (OSError, TimeoutError, http.client.HTTPException) as exc:  # URLError and HTTPError are OSErrors
        cache = "scikit-learn's default data_home" if data_home is None else f"data_home={str(data_home)!r}"
        shipped = ", ".join(f"{n} (OpenML {m['openml_id']})" for n, m in SHIPPED_DATASETS.items())
        raise RuntimeError(
            f"Could not load OpenML dataset {dataset!r}: {type(exc).__name__}: {exc}. fetch_openml needs network "
            f"access the first time it loads a dataset, then reads its cache ({cache}; --data-home on the command "
            f"line). Offline, point data_home/--data-home at a folder where the dataset was fetched before, use the "
            f"shipped dataset {shipped}, or the offline copies of sklearn_surrogate.datasets.load_shared."
        ) from exc
    except ValueError as exc:  # fetch_openml's OpenMLError: no such dataset or version
        raise ValueError(f"Could not load OpenML dataset {dataset!r}: {exc}") from exc
    X, y = bunch.data, bunch.target
    if y is None or getattr(y, "ndim", 1) != 1:
        raise ValueError(
            f"OpenML dataset {dataset!r} has no single default target column; load it with "
            "sklearn.datasets.fetch_openml(target_column=...) instead."
        )
    details = getattr(bunch, "details", None) or {}
    name = details.get("name", str(dataset))
    openml_id = int(details["id"]) if "id" in details else (int(dataset) if _is_openml_id(dataset) else None)
    if as_frame:
        y = y.astype(str)
    else:
        y = np.asarray(y).astype(str).astype(object)
    return X, y, _info(name, openml_id, X, y, "openml", details.get("licence"))


def shared_discovery_disabled():
    """Whether ``$SKLEARN_SURROGATE_SHARED_DATASETS`` turns the shared-folder discovery off.

    The values ``off``, ``0``, ``false`` and ``none`` (any case) make the
    package behave as in a user's clone, where no ``shared/datasets`` folder
    exists: :func:`load_shared` and :func:`shared_manifest` without
    ``shared_dir`` raise ``FileNotFoundError``, the benchmark reads every
    dataset through :func:`load_openml`, and tests that need the shared corpus
    skip. An explicit ``shared_dir`` still works.

    Returns
    -------
    disabled : bool

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> from sklearn_surrogate.datasets import shared_discovery_disabled
    >>> with mock.patch.dict(os.environ, {"SKLEARN_SURROGATE_SHARED_DATASETS": "off"}):
    ...     shared_discovery_disabled()
    True
    >>> with mock.patch.dict(os.environ, {"SKLEARN_SURROGATE_SHARED_DATASETS": "/data/shared"}):
    ...     shared_discovery_disabled()
    False
    """
    return os.environ.get(_SHARED_ENV, "").strip().lower() in _DISCOVERY_OFF


def _find_shared_dir(shared_dir=None):
    """The folder holding the shared datasets' ``MANIFEST.tsv``."""
    if shared_dir is None and shared_discovery_disabled():
        raise FileNotFoundError(
            f"Shared datasets are turned off (${_SHARED_ENV}={os.environ[_SHARED_ENV]!r}); unset it or point it at "
            "a folder holding MANIFEST.tsv, or pass shared_dir (--shared-dir on the command line)."
        )
    if shared_dir is not None or os.environ.get(_SHARED_ENV):
        folder = Path(shared_dir if shared_dir is not None else os.environ[_SHARED_ENV])
        if not (folder / "MANIFEST.tsv").is_file():
            origin = "shared_dir" if shared_dir is not None else f"${_SHARED_ENV}"
            raise FileNotFoundError(f"No MANIFEST.tsv in {str(folder)!r} (given by {origin}).")
        return folder
    repository = Path(__file__).resolve().parents[2]  # <repo>/sklearn_surrogate/datasets/_openml.py
    for start in (Path.cwd(), repository):
        for folder in (start, *start.parents):
            candidate = folder / "shared" / "datasets"
            if (candidate / "MANIFEST.tsv").is_file():
                return candidate
    raise FileNotFoundError(
        "No shared datasets found: no shared/datasets/MANIFEST.tsv in the working directory, the repository "
        f"({repository}) or their parents. Set ${_SHARED_ENV} to the folder or pass shared_dir (--shared-dir on "
        "the command line); offline, sklearn_surrogate.datasets.load_shipped() still works."
    )


def shared_manifest(shared_dir=None):
    """The shared datasets' manifest, one row per dataset.

    Parameters
    ----------
    shared_dir : path-like, default=None
        Folder holding ``MANIFEST.tsv``; found as in :func:`load_shared` when
        None.

    Returns
    -------
    manifest : pandas.DataFrame
        The columns of ``MANIFEST.tsv`` (``name``, ``openml_id``, ``file``,
        ``target``...); ``manifest.attrs["folder"]`` is the folder.

    Raises
    ------
    FileNotFoundError
        When no shared datasets folder is found.

    Examples
    --------
    The manifest is a tab-separated file with (at least) the columns
    ``name``, ``openml_id`` (may be empty), ``file`` (relative to the
    folder) and ``target``. A one-dataset folder:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_surrogate.datasets import shared_manifest
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "MANIFEST.tsv").write_text(
    ...         "name\\topenml_id\\tfile\\ttarget\\tnotes\\n"
    ...         "toy\\t\\ttoy.csv\\tlabel\\ta made-up dataset\\n")
    ...     manifest = shared_manifest(folder)
    >>> manifest[["name", "file", "target"]].to_dict("records")
    [{'name': 'toy', 'file': 'toy.csv', 'target': 'label'}]
    >>> manifest["openml_id"].isna().tolist()
    [True]

    Without ``shared_dir`` it reads ``$SKLEARN_SURROGATE_SHARED_DATASETS``
    or the nearest ``shared/datasets`` folder (see :func:`load_shared`).
    """
    import pandas as pd

    folder = _find_shared_dir(shared_dir)
    manifest = pd.read_csv(folder / "MANIFEST.tsv", sep="\t", dtype={"openml_id": "Int64"})
    manifest.attrs["folder"] = str(folder)
    return manifest


def load_shared(name, shared_dir=None):
    """Load a dataset from the shared offline copies (``../shared/datasets``).

    Parameters
    ----------
    name : str or int
        The dataset's name in ``MANIFEST.tsv`` (``"credit-g"``) or its OpenML
        id (``31``).
    shared_dir : path-like, default=None
        Folder holding ``MANIFEST.tsv`` and the ``.csv.gz`` files. None uses
        the environment variable ``SKLEARN_SURROGATE_SHARED_DATASETS``, else
        the first ``shared/datasets`` folder found walking up from the working
        directory, then from the repository root (``<repo>/../shared/datasets``).
        ``SKLEARN_SURROGATE_SHARED_DATASETS=off`` turns that search off (see
        :func:`shared_discovery_disabled`).

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, n_features)
        Features; ``?`` in the files is read as missing.
    y : pandas.Series of str
        The target (the file's last column) as strings.
    info : dict
        As for :func:`load_shipped`, with ``source="shared"``, ``licence``
        None and the manifest's ``notes``.

    Raises
    ------
    FileNotFoundError
        When the shared datasets folder or the dataset's file is missing.
    ValueError
        When the manifest has no such dataset.

    See Also
    --------
    shared_manifest : The list of the shared datasets.
    load_openml : Any OpenML dataset, downloaded.

    Examples
    --------
    A folder with a manifest and one (uncompressed) csv file; ``?`` marks
    a missing value:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_surrogate.datasets import load_shared
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "toy.csv").write_text(
    ...         "size,colour,label\\n1.5,red,yes\\n?,blue,no\\n2.0,red,no\\n")
    ...     _ = (Path(folder) / "MANIFEST.tsv").write_text(
    ...         "name\\topenml_id\\tfile\\ttarget\\tnotes\\n"
    ...         "toy\\t\\ttoy.csv\\tlabel\\ta made-up dataset\\n")
    ...     X, y, info = load_shared("toy", shared_dir=folder)
    >>> X.shape, int(X["size"].isna().sum()), y.tolist()
    ((3, 2), 1, ['yes', 'no', 'no'])
    >>> info["source"], info["n_classes"], info["notes"]
    ('shared', 2, 'a made-up dataset')

    In a checkout with the shared datasets, ``load_shared("credit-g")`` or
    ``load_shared(31)`` finds them without ``shared_dir``.
    """
    import pandas as pd

    manifest = shared_manifest(shared_dir)
    folder = Path(manifest.attrs["folder"])
    key = str(name).strip()
    rows = manifest[(manifest["name"] == key) | (manifest["openml_id"].astype(str) == key)]
    if rows.empty:
        raise ValueError(
            f"No shared dataset {name!r} in {folder / 'MANIFEST.tsv'}; available: {', '.join(manifest['name'])}."
        )
    row = rows.iloc[0]
    path = folder / row["file"]
    if not path.is_file():
        raise FileNotFoundError(f"The shared dataset {row['name']!r} is listed in MANIFEST.tsv but {path} is missing.")
    X, y = _read_csv(path, row["target"])
    openml_id = None if pd.isna(row["openml_id"]) else int(row["openml_id"])
    info = _info(row["name"], openml_id, X, y, "shared")
    info["notes"] = "" if pd.isna(row.get("notes")) else str(row["notes"])
    return X, y, info


def _as_categories(X):
    """Categorical columns as an object frame of strings, missing values (None, NaN, pd.NA) as NaN.

    ``SimpleImputer`` rejects bool columns and pandas' ``pd.NA``, and
    ``OneHotEncoder`` rejects columns that mix strings and numbers; strings
    with NaN suit both.
    """
    import pandas as pd

    frame = pd.DataFrame(X)
    missing = frame.isna().to_numpy()
    values = frame.astype(str).to_numpy(dtype=object, copy=True)
    values[missing] = np.nan
    return values


def make_preprocessor(X):
    """Imputation, scaling and one-hot encoding for a mixed-type DataFrame.

    Numeric columns: median imputation, then standard scaling. Categorical
    columns (object, string, category or bool dtype): most-frequent
    imputation, then one-hot encoding that ignores categories unseen during
    ``fit``. The output is a dense float64 array, whatever the input.

    Parameters
    ----------
    X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        The training features; only their column dtypes are used. A numpy
        array is taken as all numeric.

    Returns
    -------
    preprocessor : sklearn.compose.ColumnTransformer or sklearn.pipeline.Pipeline
        An unfitted transformer: a ``ColumnTransformer`` with a ``"numeric"``
        and a ``"categorical"`` branch for a DataFrame, the numeric branch
        alone for an array.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_surrogate.datasets import make_preprocessor
    >>> X = pd.DataFrame({"size": [1.0, np.nan, 3.0], "colour": ["red", None, "blue"]})
    >>> make_preprocessor(X).fit_transform(X).shape
    (3, 3)
    """
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    if not hasattr(X, "dtypes"):
        return numeric
    categorical = Pipeline(
        [
            ("as_strings", FunctionTransformer(_as_categories, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64)),
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_exclude=_CATEGORICAL_DTYPES)),
            ("categorical", categorical, make_column_selector(dtype_include=_CATEGORICAL_DTYPES)),
        ],
        sparse_threshold=0.0,
    )
