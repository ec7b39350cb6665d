"""The contract every registered loss honours.

Finite scalar of the input dtype and finite gradients for any batch size, logit scale, weighting and class
mix; the same value for equivalent logit layouts; sample weights (scale invariance, integer weights equal
repetition); bad inputs refused with clear errors; get/set_params, clone and pickle; and every loss trains an
estimator on real data. Each loss's own formulas are tested in the file of its module.
"""

import pickle
import re

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.base import clone

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shipped
from sklearn_surrogate.losses import (
    AccuracyLoss,
    AUCExponentialLoss,
    AUCSquaredHingeLoss,
    AUCSquareLoss,
    BalancedAccuracyLoss,
    CompSumLoss,
    CrossEntropyLoss,
    FBetaLoss,
    FocalLoss,
    GMeanLoss,
    MCCLoss,
    get_loss,
)

from ._helpers import (
    DTYPES,
    LOSS_NAMES,
    N_CLASSES_MULTI,
    SUPPORTED,
    UNSUPPORTED,
    _call,
    _f,
    _fresh_loss,
    _is_stochastic,
    _loss_for,
    _make_batch,
    _valid_batch,
)

pytestmark = pytest.mark.usefixtures("single_torch_thread")


def _check_finite_scalar_and_grad(loss, logits, targets, sample_weight, dtype):
    logits = logits.clone().requires_grad_(True)
    value = _call(loss, logits, targets, sample_weight)
    assert isinstance(value, torch.Tensor)
    assert value.ndim == 0, f"expected a scalar, got shape {tuple(value.shape)}"
    assert value.dtype == dtype
    assert torch.isfinite(value), f"non-finite loss {value}"
    assert value.requires_grad, "the loss is not differentiable w.r.t. the logits"
    value.backward()
    assert logits.grad is not None
    assert logits.grad.shape == logits.shape
    assert torch.isfinite(logits.grad).all(), "non-finite gradient"
    return value


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("n", [1, 2, 7, 256, 4096])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, kind", SUPPORTED)
def test_contract(name, kind, dtype, n, scale):
    rng = np.random.RandomState(n)
    logits, targets = _make_batch(kind, n, dtype, scale, rng)
    w = rng.uniform(0.0, 2.0, size=n)
    w[::3] = 0.0  # some zero weights (n=1: all weights zero)
    for sample_weight in (None, torch.tensor(w, dtype=dtype)):
        # a fresh loss each time: stateful losses start from the same state
        loss = _fresh_loss(name, kind, n)
        _check_finite_scalar_and_grad(loss, logits, targets, sample_weight, dtype)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("which_class", ["first", "last"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, kind", SUPPORTED)
def test_contract_single_class_batch(name, kind, dtype, which_class, weighted):
    n = 16
    loss = _fresh_loss(name, kind, n)
    rng = np.random.RandomState(0)
    logits, _ = _make_batch(kind, n, dtype, 5.0, rng)
    label = 0 if which_class == "first" else (1 if kind == "binary" else N_CLASSES_MULTI - 1)
    targets = torch.full((n,), label, dtype=torch.int64)
    sample_weight = torch.tensor(rng.uniform(0.5, 2.0, n), dtype=dtype) if weighted else None
    _check_finite_scalar_and_grad(loss, logits, targets, sample_weight, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, kind", SUPPORTED)
def test_contract_all_zero_weights(name, kind, dtype):
    n = 10
    loss = _fresh_loss(name, kind, n)
    logits, targets = _make_batch(kind, n, dtype, 3.0, np.random.RandomState(0))
    _check_finite_scalar_and_grad(loss, logits, targets, torch.zeros(n, dtype=dtype), dtype)


@pytest.mark.parametrize(
    "name, kind", UNSUPPORTED or [pytest.param(None, None, marks=pytest.mark.skip(reason="every loss supports both"))]
)
def test_contract_unsupported_problem_raises(name, kind):
    logits, targets = _make_batch(kind, 8, torch.float64, 1.0, np.random.RandomState(0))
    match = "binary problems only" if kind == "multiclass" else "at least 3 classes"
    with pytest.raises(ValueError, match=match):
        _call(get_loss(name), logits, targets)



@pytest.mark.parametrize("name, kind", SUPPORTED)
def test_gradients_reach_the_logits(name, kind):
    logits, targets = _make_batch(kind, 64, torch.float64, 1.0, np.random.RandomState(1))
    logits.requires_grad_(True)
    (grad,) = torch.autograd.grad(_call(_fresh_loss(name, kind, 64), logits, targets), logits)
    assert grad.abs().sum() > 0, (name, kind)


@pytest.mark.parametrize("name", [name for name, kind in SUPPORTED if kind == "binary"])
def test_n_by_1_logits_equal_1d_logits(name):
    loss = _fresh_loss(name, "binary", 12)
    logits, targets = _make_batch("binary", 12, torch.float64, 3.0, np.random.RandomState(3))
    expected = _call(loss, logits, targets)
    got = _call(_fresh_loss(name, "binary", 12), logits[:, None], targets[:, None])
    assert_allclose(_f(got), _f(expected), rtol=1e-12)


# two-column logits (z0, z1) describe the same binary problem as z1 - z0
_TWO_COLUMN_EQUIVALENT = [
    CrossEntropyLoss,
    FocalLoss,
    CompSumLoss,
    AccuracyLoss,
    BalancedAccuracyLoss,
    GMeanLoss,
    MCCLoss,
    AUCSquareLoss,
    AUCSquaredHingeLoss,
    AUCExponentialLoss,
    FBetaLoss,
]


@pytest.mark.parametrize("loss_cls", _TWO_COLUMN_EQUIVALENT)
def test_two_column_logits_equal_binary_logit(loss_cls):
    # a two-class problem given as (n, 2) logits is the binary problem with logit z1 - z0
    rng = np.random.RandomState(0)
    Z = torch.tensor(rng.normal(0, 2, size=(20, 2)))
    y = torch.tensor(rng.randint(0, 2, 20))
    w = torch.tensor(rng.uniform(0.5, 2.0, 20))
    z = Z[:, 1] - Z[:, 0]
    assert_allclose(_f(loss_cls()(Z, y, w)), _f(loss_cls()(z, y, w)), rtol=1e-4, atol=1e-6)



# ---------------------------------------------------------------------------
# sample weights: scale invariance, integer weights == repetition, 0 == removal
# ---------------------------------------------------------------------------
def _weights_keeping_every_class(targets, n_classes, rng, low, high):
    """Integer weights in [low, high] with at least one positive weight per present class."""
    w = rng.randint(low, high + 1, size=len(targets)).astype(np.float64)
    for c in range(n_classes):
        idx = np.flatnonzero(targets == c)
        if idx.size:
            w[idx[0]] = max(w[idx[0]], 1.0)
    return w


@pytest.mark.parametrize("name, kind", SUPPORTED)
def test_integer_weights_equal_repetition(name, kind, global_random_seed):
    n = 30
    if _is_stochastic(name, kind):
        pytest.skip(f"{name} is stochastic: each sample's random draw depends on the batch's composition")
    rng = np.random.RandomState(global_random_seed)
    logits, targets = _make_batch(kind, n, torch.float64, 3.0, rng)
    n_classes = 2 if kind == "binary" else N_CLASSES_MULTI
    w = _weights_keeping_every_class(targets.numpy(), n_classes, rng, 0, 3)
    weighted = _call(_fresh_loss(name, kind, n), logits, targets, torch.tensor(w))
    reps = torch.tensor(w.astype(np.int64))
    repeated = _call(
        _fresh_loss(name, kind, int(reps.sum())),
        logits.repeat_interleave(reps, dim=0),
        targets.repeat_interleave(reps),
    )
    assert_allclose(_f(weighted), _f(repeated), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name, kind", SUPPORTED)
def test_weights_scale_invariant_and_ones_equal_none(name, kind, global_random_seed):
    n = 25
    rng = np.random.RandomState(global_random_seed)
    logits, targets = _make_batch(kind, n, torch.float64, 3.0, rng)
    w = torch.tensor(rng.uniform(0.1, 3.0, n))
    base = _f(_call(_fresh_loss(name, kind, n), logits, targets, w))
    scaled = _f(_call(_fresh_loss(name, kind, n), logits, targets, 7.5 * w))
    assert_allclose(scaled, base, rtol=1e-9, atol=1e-12)
    none = _f(_call(_fresh_loss(name, kind, n), logits, targets))
    ones = _f(_call(_fresh_loss(name, kind, n), logits, targets, torch.ones(n, dtype=torch.float64)))
    assert_allclose(ones, none, rtol=1e-12, atol=1e-14)
    # and weights matter (the test above could not fail otherwise)
    skewed = torch.tensor(rng.uniform(0.0, 1.0, n) ** 4)
    assert _f(_call(_fresh_loss(name, kind, n), logits, targets, skewed)) != pytest.approx(none, abs=1e-9)



# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
_BAD_INPUTS = {
    "logits_3d": (lambda z, y, K: (z.reshape(4, -1)[:, :, None].repeat(1, 1, 2), y, None), ValueError, "shape"),
    "targets_too_short": (lambda z, y, K: (z, y[:3], None), ValueError, ("targets", "do not match")),
    "targets_2d": (lambda z, y, K: (z, torch.stack([y, y], 1), None), ValueError, "targets"),
    "target_too_large": (lambda z, y, K: (z, torch.tensor([0, 1, K, 0]), None), ValueError, "class indices"),
    "target_negative": (lambda z, y, K: (z, torch.tensor([0, -1, 1, 0]), None), ValueError, "class indices"),
    "target_not_integer": (lambda z, y, K: (z, torch.tensor([0.0, 0.5, 1.0, 0.0]), None), ValueError, "integer"),
    "nan_logits": (
        lambda z, y, K: (z.index_put((torch.tensor([1]),), torch.tensor(float("nan"))), y, None),
        ValueError,
        "NaN",
    ),
    "inf_logits": (
        lambda z, y, K: (z.index_put((torch.tensor([0]),), torch.tensor(float("inf"))), y, None),
        ValueError,
        "infinity",
    ),
    "negative_weight": (lambda z, y, K: (z, y, torch.tensor([1.0, -0.5, 1.0, 1.0])), ValueError, "non-negative"),
    "weight_wrong_shape": (lambda z, y, K: (z, y, torch.ones(5)), ValueError, "sample_weight"),
    "logits_numpy": (lambda z, y, K: (z.numpy(), y, None), TypeError, "torch.Tensor"),
    "logits_list": (lambda z, y, K: (z.tolist(), y, None), TypeError, "torch.Tensor"),
    "logits_integer": (lambda z, y, K: (z.round().long(), y, None), TypeError, "floating-point"),
}


@pytest.mark.parametrize("case", list(_BAD_INPUTS))
@pytest.mark.parametrize("name, kind", SUPPORTED)
def test_bad_input_raises(name, kind, case):
    loss = _loss_for(name, kind)
    z, y, K = _valid_batch(loss, kind)
    loss.setup(K, 4)
    make, error, match = _BAD_INPUTS[case]
    logits, targets, sample_weight = make(z, y, K)
    patterns = (match,) if isinstance(match, str) else match
    with pytest.raises(error, match=patterns[0]) as excinfo:
        _call(loss, logits, targets, sample_weight)
    for pattern in patterns[1:]:
        assert re.search(pattern, str(excinfo.value)), (pattern, str(excinfo.value))


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_valid_input_variants_accepted(name):
    # numpy targets, float targets holding integers, weights as a numpy array
    loss = get_loss(name)
    z, y, K = _valid_batch(loss)
    loss.setup(K, 4)
    expected = _f(_call(loss, z, y))
    assert_allclose(_f(_call(get_loss(name), z, y.numpy())), expected, rtol=1e-6)
    assert_allclose(_f(_call(get_loss(name), z, y.to(torch.float32))), expected, rtol=1e-6)
    assert_allclose(_f(_call(get_loss(name), z, y, np.ones(4))), expected, rtol=1e-6)



# ---------------------------------------------------------------------------
# get_params / set_params / clone / pickle
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_get_set_params_clone_roundtrip(name):
    loss = get_loss(name)
    params = loss.get_params()
    assert isinstance(params, dict)
    assert loss.get_params(deep=False) == params
    cloned = clone(loss)
    assert type(cloned) is type(loss)
    assert cloned is not loss
    assert cloned.get_params() == params
    # rebuilding from the params gives the same loss
    rebuilt = type(loss)(**params)
    z, y, K = _valid_batch(loss)
    for a in (loss, cloned, rebuilt):
        a.setup(K, 4)
    expected = _f(_call(loss, z, y))
    assert_allclose(_f(_call(cloned, z, y)), expected, rtol=1e-7)
    assert_allclose(_f(_call(rebuilt, z, y)), expected, rtol=1e-7)
    # set_params returns self and rejects unknown names, naming them
    assert loss.set_params(**params) is loss
    with pytest.raises(ValueError, match="not_a_param"):
        loss.set_params(not_a_param=1)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_pickle_roundtrip(name):
    loss = get_loss(name)
    z, y, K = _valid_batch(loss)
    loss.setup(K, 4)
    _call(loss, z, y)  # a forward pass first: stateful losses (AUC-M, ALDR-KL) then hold state
    restored = pickle.loads(pickle.dumps(loss))
    assert type(restored) is type(loss)
    assert restored.get_params() == loss.get_params()
    assert restored.check_input == loss.check_input
    assert restored.training == loss.training
    for (k1, v1), (k2, v2) in zip(loss.state_dict().items(), restored.state_dict().items()):
        assert k1 == k2
        assert torch.equal(v1, v2)
    # same state, same next value
    assert_allclose(_f(_call(restored, z, y)), _f(_call(loss, z, y)), rtol=1e-12)



# ---------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------
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


# the backbones: the single MLP, metric='s cross-fitted ensemble (MLPEnsemble, each member on its own folds), and
# the ensemble with a learned scale on its inputs (learn_scale=True); 40 epochs on each
BACKBONES = {
    "mlp": {},
    "ensemble": {"n_members": 4, "early_stopping": False},
    "ensemble_scaled": {"n_members": 4, "early_stopping": False, "learn_scale": True},
}


@pytest.mark.parametrize("backbone", list(BACKBONES))
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_every_loss_trains_an_estimator_end_to_end(name, backbone, shipped_binary):
    """Each loss trains a SurrogateClassifier on real OpenML data shipped with the package to a useful model.

    On each backbone. Binary losses: pc4 (OpenML 1049, 12 % positives); multiclass-only losses (Z-loss):
    wine-quality-red (OpenML 40691, 6 classes).
    """
    X, y, X_test, y_test = shipped_binary
    loss = get_loss(name)
    if not loss.supports_binary:  # Z-loss: a multiclass dataset
        X, X_test, y, y_test = _split("wine-quality-red", 800)
    clf = SurrogateClassifier(loss=name, max_iter=40, random_state=0, **BACKBONES[backbone]).fit(X, y)
    if backbone.startswith("ensemble"):
        from sklearn_surrogate._ensemble import CrossFitLoss, MLPEnsemble

        assert isinstance(clf.net_.module_, MLPEnsemble) and isinstance(clf.loss_, CrossFitLoss)
        assert all(type(member) is type(loss) for member in clf.loss_.members)
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
