"""Fixtures and helpers shared by the app tests: a user's offline clone, and made-up shared datasets."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def users_clone_offline(monkeypatch):
    """What a user's clone sees offline: no shared corpus, and fetch_openml cannot reach OpenML."""
    import sklearn.datasets

    def offline(**kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setenv("SKLEARN_SURROGATE_SHARED_DATASETS", "off")
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)


def _write_toy_binary(folder, rng):
    """Write ``toy.csv`` to ``folder``: 160 made-up rows, 4 features, labels "yes" (about 30 %) and "no"."""
    X = rng.normal(size=(160, 4))
    frame = pd.DataFrame(X, columns=list("abcd")).assign(
        label=np.where(X[:, 0] + 0.5 * rng.normal(size=160) > 0.5, "yes", "no"))
    frame.to_csv(folder / "toy.csv", index=False)


@pytest.fixture
def write_toy_binary():
    """The writer of the made-up binary dataset ``toy`` that the shared folders of these tests hold."""
    return _write_toy_binary
