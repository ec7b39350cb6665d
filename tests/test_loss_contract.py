"""The contract every registered loss honours: finite values and gradients, dtypes, batch shapes, weights."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shipped
from sklearn_surrogate.losses._registry import base_loss_names
from sklearn_surrogate.losses import SurrogateLoss, get_loss

# reloss_<metric> names are reloss with a bound metric (tests/test_registry.py checks them): each loss runs once
LOSSES = base_loss_names()
DTYPES = [torch.float32, torch.float64]
SIZES = [1, 2, 7, 256, 4096]
SCALES = [1.0, 30.0, 1e4]


def _call(loss, logits, targets, weight=None):
    kwargs = {"sample_weight": weight}
    if loss.needs_sample_index:
        kwargs["index"] = torch.arange(len(targets))
    return loss(logits, targets, **kwargs)


# losses whose default configuration is binary-only but that have a multiclass configuration too
MULTICLASS_PARAMS = {"reloss": {"metric": "macro_f1"}}


def _problems(name):
    """(n_classes, fresh loss set up for it) for each problem kind the loss supports."""
    probe = get_loss(name)
    kinds = [(2, {}) if probe.supports_binary else None]
    if probe.supports_multiclass or name in MULTICLASS_PARAMS:
        kinds.append((4, MULTICLASS_PARAMS.get(name, {})))
    for n_classes, params in filter(None, kinds):
        loss = get_loss(name, **params)
        loss.setup(n_classes, 4096)
        if loss.needs_sample_index:
            loss.eval()  # per-sample state is only updated in training mode: compare like with like
        yield n_classes, loss


def _batch(n_classes, n, scale, dtype, seed, single_class=False):
    g = torch.Generator().manual_seed(seed)
    shape = (n,) if n_classes == 2 else (n, n_classes)
    logits = (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)
    targets = torch.randint(0, n_classes, (n,), generator=g)
    if single_class:
        targets = torch.zeros(n, dtype=torch.long)
    return logits.requires_grad_(True), targets


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_finite_value_and_gradients_everywhere(name, dtype):
    assert isinstance(get_loss(name), SurrogateLoss)
    for n_classes, loss in _problems(name):
        loss.train()
        for n in SIZES:
            for scale in SCALES:
                for single_class in (False, True):
                    logits, targets = _batch(n_classes, n, scale, dtype, seed=n, single_class=single_class)
                    value = _call(loss, logits, targets)
                    assert value.shape == () and value.dtype == dtype, (name, n_classes, n)
                    assert torch.isfinite(value), (name, n_classes, n, scale, single_class)
                    (grad,) = torch.autograd.grad(value, logits, allow_unused=True)
                    assert grad is not None and torch.isfinite(grad).all(), (name, n_classes, n, scale)


@pytest.mark.parametrize("name", LOSSES)
def test_gradients_reach_the_logits(name):
    for n_classes, loss in _problems(name):
        logits, targets = _batch(n_classes, 64, 1.0, torch.float64, seed=1)
        (grad,) = torch.autograd.grad(_call(loss, logits, targets), logits)
        assert grad.abs().sum() > 0, (name, n_classes)


@pytest.mark.parametrize("name", LOSSES)
def test_sample_weights(name):
    for n_classes, loss in _problems(name):
        logits, targets = _batch(n_classes, 256, 2.0, torch.float64, seed=3)
        weights = torch.rand(256, dtype=torch.float64)
        weights[:50] = 0.0
        torch.manual_seed(0)
        weighted = _call(loss, logits, targets, weights)
        assert torch.isfinite(weighted)
        if name == "ensloss":  # a fresh random loss per call: compare with the same draw
            continue
        # scaling every weight leaves a weighted mean unchanged
        assert torch.allclose(_call(loss, logits, targets, weights * 7.5), weighted, rtol=1e-6, atol=1e-9)
        # unit weights are the unweighted loss
        ones = torch.ones(256, dtype=torch.float64)
        assert torch.allclose(_call(loss, logits, targets, ones), _call(loss, logits, targets), rtol=1e-6, atol=1e-9)
        zeros = _call(loss, logits, targets, torch.zeros(256, dtype=torch.float64))
        assert torch.isfinite(zeros), name


@pytest.mark.parametrize("name", LOSSES)
def test_clone_pickle_and_params(name):
    loss = get_loss(name)
    params = loss.get_params()
    copy = clone(loss)
    assert type(copy) is type(loss) and copy.get_params() == params
    restored = pickle.loads(pickle.dumps(loss))
    assert restored.get_params() == params
    with pytest.raises(ValueError, match="Invalid parameter"):
        loss.set_params(not_a_parameter=1)


@pytest.mark.parametrize("name", LOSSES)
def test_bad_inputs_raise_value_errors(name):
    n_classes, loss = list(_problems(name))[-1]
    logits, targets = _batch(n_classes, 16, 1.0, torch.float32, seed=0)
    with pytest.raises(ValueError, match="do not match"):
        _call(loss, logits, targets[:5])
    with pytest.raises(ValueError, match="class indices"):
        _call(loss, logits, torch.full((16,), n_classes))
    with pytest.raises(ValueError, match="NaN"):
        _call(loss, torch.full_like(logits, float("nan")), targets)
    with pytest.raises(ValueError, match="non-negative"):
        _call(loss, logits, targets, -torch.ones(16))
    with pytest.raises(TypeError, match="torch.Tensor"):
        _call(loss, logits.detach().numpy(), targets)
    if not loss.supports_multiclass:
        with pytest.raises(ValueError, match="binary problems only"):
            _call(loss, torch.randn(16, 3), torch.randint(0, 3, (16,)))
    if not loss.supports_binary:
        with pytest.raises(ValueError, match="at least 3 classes"):
            _call(loss, torch.randn(16), torch.randint(0, 2, (16,)))


def _split(name, n_train):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y, _ = load_shipped(name)
    X = StandardScaler().fit_transform(X.to_numpy(dtype=np.float64))
    y = np.asarray(y)
    return train_test_split(X, y, train_size=n_train, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def shipped_binary():
    X, X_test, y, y_test = _split("pc4", 700)
    return X, y, X_test, y_test


@pytest.mark.parametrize("name", LOSSES)
def test_every_loss_trains_an_estimator_end_to_end(name, shipped_binary):
    """Each loss trains a SurrogateClassifier on real OpenML data shipped with the package to a useful model.

    Binary losses: pc4 (OpenML 1049, 12 % positives); multiclass-only losses (Z-loss): wine-quality-red
    (OpenML 40691, 6 classes).
    """
    X, y, X_test, y_test = shipped_binary
    loss = get_loss(name)
    if not loss.supports_binary:  # Z-loss: a multiclass dataset
        X, X_test, y, y_test = _split("wine-quality-red", 800)
    clf = SurrogateClassifier(loss=name, max_epochs=40, random_state=0).fit(X, y)
    from sklearn.metrics import roc_auc_score

    proba = clf.predict_proba(X_test)
    assert np.isfinite(proba).all() and np.isfinite(clf.history_[-1]["train_loss"])
    # the scores rank held-out samples far better than chance (AUC 0.5); wine's two rarest grades have 10
    # and 18 rows, so its one-vs-rest AUC is weighted by prevalence (cross-entropy reaches 0.75 here)
    if len(clf.classes_) == 2:
        auc = roc_auc_score(y_test == clf.classes_[1], proba[:, 1])
        assert auc > 0.7, (name, auc)
    else:
        auc = roc_auc_score(y_test, proba, multi_class="ovr", average="weighted", labels=clf.classes_)
        assert auc > 0.68, (name, auc)
