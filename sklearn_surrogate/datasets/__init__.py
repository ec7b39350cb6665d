"""Datasets: the shipped OpenML dataset, ``fetch_openml`` loading, and shared offline copies."""

from ._openml import (
    SHIPPED_DATASETS,
    load_openml,
    load_shared,
    load_shipped,
    make_preprocessor,
    shared_discovery_disabled,
    shared_manifest,
)

__all__ = [
    "SHIPPED_DATASETS",
    "load_openml",
    "load_shared",
    "load_shipped",
    "make_preprocessor",
    "shared_discovery_disabled",
    "shared_manifest",
]
