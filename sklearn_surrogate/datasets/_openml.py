"""Loading any tabular OpenML dataset by id or name through :func:`sklearn.datasets.fetch_openml`.

:func:`load_openml` downloads a dataset once, then reads it from
``fetch_openml``'s cache, and serves the shipped copy (:mod:`._shipped`)
without network when that is the dataset asked for.
"""

import http.client
import numbers

import numpy as np

from ._shipped import SHIPPED_DATASETS, _info, _shipped_name_for, load_shipped

__all__ = ["load_openml"]


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
