"""Preprocessing for the datasets' mixed-type frames.

:func:`make_preprocessor` builds the imputation, scaling and one-hot encoding
that turns such a frame into the dense float matrix a
:class:`~sklearn_surrogate.SurrogateClassifier` needs.
"""

import numpy as np

__all__ = ["make_preprocessor"]

# dtypes one-hot encoded by `make_preprocessor`; everything else is treated as numeric
_CATEGORICAL_DTYPES = ["object", "category", "bool", "boolean", "string"]


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
