"""The net and its data path (``sklearn_surrogate._net``).

The lean training loop against skorch's per-batch loop, the shared-tensor dataset and batch iterator, and
the guard that stops training on a non-finite loss or parameter.
"""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from skorch.callbacks import Callback

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate._net import TensorBatchIterator, TensorDataset


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=600, n_features=10, n_informative=6, weights=[0.75], random_state=0)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(
        n_samples=400, n_features=8, n_informative=5, weights=[0.8], class_sep=1.0, random_state=0
    )
    return X, y


def fast(**params):
    return SurrogateClassifier(**{"max_iter": 4, "random_state": 0, "hidden_layer_sizes": (16,), **params})


class BatchCounter(Callback):
    """Listens to training batches, so the net falls back to skorch's own loop."""

    def initialize(self):
        self.n_batches_ = 0
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        self.n_batches_ += int(training)



# -- lean training loop -------------------------------------------------------
@pytest.mark.parametrize("loss", ["cross_entropy", "f1", "aldr_kl"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_lean_loop_matches_skorch_loop(data, loss, early_stopping):
    """The lean loop and skorch's per-batch loop train to the same weights and history.

    cross_entropy is a per-sample loss, f1 a batch loss, aldr_kl a loss with per-sample state.
    """
    X, y = data
    lean = fast(loss=loss, early_stopping=early_stopping).fit(X, y)
    counter = BatchCounter()
    slow = fast(loss=loss, early_stopping=early_stopping, callbacks=[("counter", counter)]).fit(X, y)
    assert not lean.net_._listens_to_training_batches()
    assert slow.net_._listens_to_training_batches()
    assert dict(slow.net_.callbacks_)["counter"].n_batches_ > 0
    np.testing.assert_array_equal(lean.decision_function(X), slow.decision_function(X))
    lean_weights, slow_weights = lean.net_.module_.state_dict(), slow.net_.module_.state_dict()
    assert lean_weights.keys() == slow_weights.keys()
    for key in lean_weights:  # bit for bit: the same batches, the same arithmetic
        torch.testing.assert_close(lean_weights[key], slow_weights[key], rtol=0, atol=0, msg=key)
    for a, b in zip(lean.net_.history, slow.net_.history):
        assert len(a["batches"]) == len(b["batches"])
        for batch_a, batch_b in zip(a["batches"], b["batches"]):
            assert batch_a.keys() == batch_b.keys()  # training batches, then validation batches
            for key in batch_a:
                assert batch_a[key] == pytest.approx(batch_b[key], rel=1e-6)
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-6)


def test_lean_loop_supports_closure_optimizers(data):
    X, y = data
    clf = fast(optimizer=torch.optim.LBFGS, learning_rate_init=0.5, batch_size=-1, max_iter=3).fit(X, y)
    assert np.isfinite(clf.history_[-1]["train_loss"])
    assert clf.score(X, y) > 0.7
    with pytest.raises(ValueError, match="weight_decay=0.1 needs an optimizer that takes weight_decay"):
        fast(optimizer=torch.optim.LBFGS, weight_decay=0.1).fit(X, y)


class _QuietAdam(torch.optim.Adam):
    """An optimizer whose step returns None, as torch allows."""

    def step(self, closure=None):
        super().step(closure)


def test_lean_loop_records_the_loss_when_the_optimizer_step_returns_none(data):
    X, y = data
    quiet = fast(optimizer=_QuietAdam).fit(X, y)
    adam = fast(optimizer="adam").fit(X, y)
    assert [row["train_loss"] for row in quiet.history_] == [row["train_loss"] for row in adam.history_]
    np.testing.assert_array_equal(quiet.predict_proba(X), adam.predict_proba(X))


# -- shared tensors ---------------------------------------------------------------
def test_training_and_validation_sets_share_the_data(data):
    X, y = data
    clf = fast()
    clf.fit(X, y)  # sets fitted attributes the helpers read
    X_t, y_t, w_t = clf._tensors(X, y, None)[:3]  # (and the costs, None here)
    assert X_t.data_ptr() == X.__array_interface__["data"][0]  # float32 input: not copied
    train = clf._dataset((X_t, y_t, w_t), np.array([5, 1, 3]))
    valid = clf._dataset((X_t, y_t, w_t), np.array([0, 2]))
    assert train.X is valid.X is X_t and len(train) == 3 and len(valid) == 2
    Xb, target = train[torch.tensor([0, 2])]
    np.testing.assert_array_equal(Xb.numpy(), X[[5, 3]])
    np.testing.assert_array_equal(target["y"].numpy(), y[[5, 3]])


@pytest.mark.parametrize("rows", [None, torch.tensor([7, 2, 9, 4, 0, 5])])
def test_batch_iterator_visits_every_row_once(rows):
    n = 10
    X = torch.arange(n, dtype=torch.float32)[:, None]
    y = torch.arange(n) % 2
    dataset = TensorDataset(X, y, torch.ones(n), rows, with_index=True)
    expected = sorted(range(n)) if rows is None else sorted(rows.tolist())
    for shuffle in (False, True):
        iterator = TensorBatchIterator(dataset, 4, shuffle=shuffle, generator=torch.Generator().manual_seed(0))
        seen, indices = [], []
        for Xb, target in iterator:
            seen += Xb[:, 0].long().tolist()
            indices += target["index"].tolist()
            assert target["sample_weight"].shape == (len(Xb),)
        assert sorted(seen) == expected and seen == indices
        assert len(iterator) == -(-len(dataset) // 4)



# -- numerical faults during training ------------------------------------------------------------
class _PoisonWeights(Callback):
    """Set the first layer's weights to NaN after a given training batch of a given epoch."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, net, training=False, **kwargs):
        batches = net.history[-1]["batches"]
        if training and len(net.history) == self.epoch and len(batches) == self.batch:
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))


def test_non_finite_loss_stops_fit_naming_epoch_and_batch(binary_data):
    X, y = binary_data  # 400 rows, batches of 50: 8 per epoch
    clf = SurrogateClassifier(batch_size=50, max_iter=5, callbacks=[_PoisonWeights(2, 2)], random_state=0)
    with pytest.raises(FloatingPointError, match=r"training loss became nan at epoch 2, batch 3\. Try a lower"):
        clf.fit(X, y)


def test_non_finite_parameter_after_the_last_batch_stops_fit(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(batch_size=50, max_iter=2, callbacks=[_PoisonWeights(2, 8)], random_state=0)
    with pytest.raises(FloatingPointError, match=r"parameter module\.\S+ became non-finite during epoch 2"):
        clf.fit(X, y)


def test_diverging_learning_rate_is_stopped_not_returned_as_a_nan_model(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(optimizer="sgd", learning_rate_init=1e38, max_iter=20, random_state=0)
    with pytest.raises(FloatingPointError, match="Try a lower learning rate"):
        clf.fit(X * 1e30, y)
