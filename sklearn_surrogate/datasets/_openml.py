"""Loading tabular OpenML datasets: the shipped copy, ``fetch_openml``, and the shared offline copies."""

import json
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
]

SHIPPED_DATASETS = ("pc4",)
_SHARED_ENV = "SKLEARN_SURROGATE_SHARED_DATASETS"


def _info(name, openml_id, X, y, source, licence=None):
    values, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    return {
        "name": name,
        "openml_id": openml_id,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "n_classes": int(len(values)),
        "minority_share": float(counts.min() / counts.sum()),
        "source": source,
        "licence": licence,
    }


def _read_csv(path, target):
    import pandas as pd

    frame = pd.read_csv(path, na_values=["?"], keep_default_na=True)
    if target not in frame.columns:
        target = frame.columns[-1]
    y = frame.pop(target).astype(str)
    y.name = target
    return frame, y


def _shipped_metadata(name):
    text = resources.files(__package__).joinpath("data", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_shipped(name="pc4"):
    """Load a dataset shipped inside the package (no network).

    Parameters
    ----------
    name : {"pc4"}, default="pc4"
        OpenML dataset 1049: NASA PC4 software modules, 37 code metrics,
        target ``Class`` (``"True"``, a reported defect, for 12.2 % of rows).

    Returns
    -------
    X : pandas.DataFrame
    y : pandas.Series of str
        Labels as strings; the minority class is the greater label
        (``classes_[1]``, the positive class of the surrogate losses).
    info : dict
        ``name``, ``openml_id``, ``n_samples``, ``n_features``, ``n_classes``,
        ``minority_share``, ``source`` (``"shipped"``) and ``licence``; see
        ``sklearn_surrogate/datasets/data/pc4.json`` for the provenance.

    Examples
    --------
    >>> from sklearn_surrogate.datasets import load_shipped
    >>> X, y, info = load_shipped()
    >>> X.shape, sorted(y.unique()), info["openml_id"]
    ((1458, 37), ['False', 'True'], 1049)
    """
    if name not in SHIPPED_DATASETS:
        raise ValueError(f"No shipped dataset named {name!r}; shipped: {', '.join(SHIPPED_DATASETS)}.")
    meta = _shipped_metadata(name)
    with resources.as_file(resources.files(__package__).joinpath("data", f"{name}.csv.gz")) as path:
        X, y = _read_csv(path, meta["target"])
    return X, y, _info(name, meta["openml_id"], X, y, "shipped", meta["licence"])


def _shipped_name_for(dataset):
    for name in SHIPPED_DATASETS:
        meta = _shipped_metadata(name)
        if str(dataset) in (name, str(meta["openml_id"])):
            return name
    return None


def load_openml(dataset, *, data_home=None, shipped_ok=True):
    """Load a tabular classification dataset from OpenML by id or name.

    The shipped dataset (``pc4``, id 1049) is read from the package when
    ``shipped_ok``; anything else goes through
    :func:`sklearn.datasets.fetch_openml`, which downloads once and caches
    under ``data_home``.

    Parameters
    ----------
    dataset : int or str
        An OpenML dataset id (``1049``, ``"1049"``) or name (``"credit-g"``;
        the active version is taken).
    data_home : str or path-like, default=None
        Cache folder of ``fetch_openml`` (scikit-learn's default when None).
    shipped_ok : bool, default=True
        Serve the shipped copy when it is the dataset asked for.

    Returns
    -------
    X : pandas.DataFrame
    y : pandas.Series of str
    info : dict
        As for :func:`load_shipped`, with ``source="openml"`` when fetched.

    Raises
    ------
    RuntimeError
        When OpenML cannot be reached and nothing is cached, naming the
        dataset and what to do.
    """
    if shipped_ok:
        name = _shipped_name_for(dataset)
        if name is not None:
            return load_shipped(name)
    from sklearn.datasets import fetch_openml

    is_id = isinstance(dataset, (int, np.integer)) or (isinstance(dataset, str) and dataset.isdigit())
    kwargs = {"data_id": int(dataset)} if is_id else {"name": str(dataset), "version": "active"}
    try:
        bunch = fetch_openml(**kwargs, as_frame=True, data_home=data_home, parser="auto")
    except Exception as exc:  # network errors surface as URLError, OSError, HTTPError...
        raise RuntimeError(
            f"Could not load OpenML dataset {dataset!r} ({type(exc).__name__}: {exc}). fetch_openml needs "
            "network access the first time, then reads its cache under data_home"
            f"{'' if data_home is None else f' ({data_home})'}. Offline, use the shipped dataset "
            f"({', '.join(SHIPPED_DATASETS)}) or sklearn_surrogate.datasets.load_shared."
        ) from exc
    X, y = bunch.data, bunch.target
    if y is None or getattr(y, "ndim", 1) != 1:
        raise ValueError(f"OpenML dataset {dataset!r} has no single default target column.")
    y = y.astype(str)
    details = getattr(bunch, "details", {}) or {}
    name = details.get("name", str(dataset))
    openml_id = int(details["id"]) if "id" in details else (int(dataset) if is_id else None)
    return X, y, _info(name, openml_id, X, y, "openml", details.get("licence"))


def _find_shared_dir(shared_dir):
    candidates = []
    if shared_dir is not None:
        candidates.append(Path(shared_dir))
    if os.environ.get(_SHARED_ENV):
        candidates.append(Path(os.environ[_SHARED_ENV]))
    for start in (Path.cwd(), Path(__file__).resolve().parents[2]):
        for folder in (start, *start.parents):
            candidates.append(folder / "shared" / "datasets")
    for candidate in candidates:
        if (candidate / "MANIFEST.tsv").is_file():
            return candidate
    raise FileNotFoundError(
        "No shared OpenML datasets found: looked for shared/datasets/MANIFEST.tsv beside the repository and "
        f"its parents; set {_SHARED_ENV} or pass shared_dir."
    )


def shared_manifest(shared_dir=None):
    """The shared datasets' manifest as a DataFrame (one row per dataset).

    Parameters
    ----------
    shared_dir : path-like, default=None
        Folder holding ``MANIFEST.tsv``; found automatically when None.

    Returns
    -------
    manifest : pandas.DataFrame
    """
    import pandas as pd

    folder = _find_shared_dir(shared_dir)
    manifest = pd.read_csv(folder / "MANIFEST.tsv", sep="\t")
    manifest.attrs["folder"] = str(folder)
    return manifest


def load_shared(name, shared_dir=None):
    """Load a dataset from the shared offline copies (``../shared/datasets``).

    Parameters
    ----------
    name : str or int
        The dataset's name in ``MANIFEST.tsv`` (``"credit-g"``) or its OpenML id.
    shared_dir : path-like, default=None
        Folder holding ``MANIFEST.tsv``; found from the environment variable
        ``SKLEARN_SURROGATE_SHARED_DATASETS`` or a ``shared/datasets`` folder
        beside the working directory or the repository.

    Returns
    -------
    X : pandas.DataFrame
    y : pandas.Series of str
    info : dict
        As for :func:`load_shipped`, with ``source="shared"``.
    """
    manifest = shared_manifest(shared_dir)
    folder = Path(manifest.attrs["folder"])
    ids = manifest["openml_id"].astype("Int64").astype(str)
    rows = manifest[(manifest["name"] == str(name)) | (ids == str(name))]
    if rows.empty:
        raise ValueError(f"No shared dataset {name!r}; available: {', '.join(manifest['name'])}.")
    row = rows.iloc[0]
    X, y = _read_csv(folder / row["file"], row["target"])
    openml_id = None if str(row["openml_id"]) == "nan" else int(row["openml_id"])
    info = _info(row["name"], openml_id, X, y, "shared")
    info["notes"] = "" if str(row.get("notes")) == "nan" else row.get("notes")
    return X, y, info


def make_preprocessor(X):
    """Imputation, scaling and one-hot encoding for a mixed-type DataFrame.

    Numeric columns: median imputation then standard scaling. Categorical
    columns (object, string, category or bool dtype): most-frequent imputation
    then one-hot encoding that ignores unseen categories. The output is a
    dense float array.

    Parameters
    ----------
    X : pandas.DataFrame or array-like
        The training features (only their column types are used).

    Returns
    -------
    preprocessor : sklearn.compose.ColumnTransformer or sklearn.pipeline.Pipeline
    """
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    if not hasattr(X, "dtypes"):
        return numeric
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    cat_types = ["object", "category", "bool", "string"]
    return ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_exclude=cat_types)),
            ("categorical", categorical, make_column_selector(dtype_include=cat_types)),
        ],
        sparse_threshold=0.0,
    )
