"""Batch orders: random, stratified, class-balanced; and the estimator's batch_sampling options."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate._sampling import balanced_order, epoch_order, stratified_order


def _y(counts):
    return torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_stratified_order_is_a_permutation_spreading_every_class(seed):
    y = _y([950, 40, 10])
    order = stratified_order(y, 3, torch.Generator().manual_seed(seed))
    assert sorted(order.tolist()) == list(range(len(y)))
    for start in range(0, len(y), 100):  # every window of 100 rows holds ~4 of class 1 and ~1 of class 2
        counts = np.bincount(y[order[start : start + 100]].numpy(), minlength=3)
        assert 3 <= counts[1] <= 5 and counts[2] == 1


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_balanced_order_fixes_class_shares(seed):
    y = _y([950, 50])
    order = balanced_order(y, 2, 64, torch.Generator().manual_seed(seed), shares=[0.75, 0.25])
    assert len(order) == 16 * 64  # ceil(1000 / 64) batches of 64
    for start in range(0, len(order), 64):
        assert int(y[order[start : start + 64]].sum()) == 16
    # positives are cycled through: over the epoch each is used 5 or 6 times (256 slots, 50 rows)
    uses = np.bincount(order[y[order] == 1].numpy() - 950, minlength=50)
    assert uses.min() >= 5 and uses.max() <= 6


def test_balanced_order_equal_shares_multiclass():
    y = _y([500, 300, 30])
    order = balanced_order(y, 3, 30, torch.Generator().manual_seed(0))
    counts = np.bincount(y[order[:30]].numpy(), minlength=3)
    assert counts.tolist() == [10, 10, 10]


def test_epoch_order_rejects_unknown_mode():
    with pytest.raises(ValueError, match="batch sampling"):
        epoch_order(_y([5, 5]), 2, 4, "sorted", torch.Generator())


@pytest.fixture(scope="module")
def rare():
    return make_classification(n_samples=1000, n_features=6, weights=[0.97], random_state=0)


def test_estimator_batch_sampling_options(rare):
    X, y = rare
    auto_f1 = SurrogateClassifier(loss="f1", max_iter=3, random_state=0).fit(X, y)
    assert auto_f1.net_.batch_sampling == "stratified"  # batch-level loss
    auto_ce = SurrogateClassifier(max_iter=3, random_state=0).fit(X, y)
    assert auto_ce.net_.batch_sampling == "random"
    balanced = SurrogateClassifier(
        loss="auc_square", batch_sampling="balanced", positive_fraction=0.25, batch_size=100, max_iter=2,
        random_state=0,
    ).fit(X, y)
    assert balanced.net_.class_shares == [0.75, 0.25]
    assert balanced.history_[0]["train_batch_count"] == 10
    with pytest.raises(ValueError, match="positive_fraction is used with batch_sampling='balanced'"):
        SurrogateClassifier(positive_fraction=0.5, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="batch_sampling"):
        SurrogateClassifier(batch_sampling="sorted", max_iter=1).fit(X, y)
