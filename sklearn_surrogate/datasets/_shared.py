"""The shared offline copies of OpenML datasets: finding the folder, its manifest, loading one.

A ``shared/datasets`` folder described by ``MANIFEST.tsv`` (used by the
tests, benchmarks and examples) is found through
``$SKLEARN_SURROGATE_SHARED_DATASETS`` or by walking up from the working
directory and the repository; :func:`shared_discovery_disabled` says when that
search is turned off, :func:`shared_manifest` lists the datasets and
:func:`load_shared` loads one.
"""

import os
from pathlib import Path

from ._shipped import _info, _read_csv

__all__ = ["load_shared", "shared_discovery_disabled", "shared_manifest"]

_SHARED_ENV = "SKLEARN_SURROGATE_SHARED_DATASETS"
_DISCOVERY_OFF = ("off", "0", "false", "none")


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
    repository = Path(__file__).resolve().parents[2]  # <repo>/sklearn_surrogate/datasets/_shared.py
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
