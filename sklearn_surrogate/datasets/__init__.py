"""Datasets: the shipped OpenML datasets, ``fetch_openml`` loading, the shared offline copies, preprocessing.

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

from ._openml import load_openml
from ._preprocessing import make_preprocessor
from ._shared import load_shared, shared_discovery_disabled, shared_manifest
from ._shipped import SHIPPED_DATASETS, load_shipped

__all__ = [
    "SHIPPED_DATASETS",
    "load_openml",
    "load_shared",
    "load_shipped",
    "make_preprocessor",
    "shared_discovery_disabled",
    "shared_manifest",
]
