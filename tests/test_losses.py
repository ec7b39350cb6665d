"""Tests of the surrogate losses (``sklearn_surrogate.losses``).

* a contract test run on every registered loss (finite scalar of the input
  dtype, finite gradients, for any batch size, logit scale and weighting);
* the AnyLoss confusion-matrix losses against independent implementations of
  the formulas of Han, Moniz & Chawla (KDD 2024) and, for confident logits,
  against scikit-learn's exact metrics;
* cross-entropy against torch, the pairwise AUC losses against brute force;
* input validation, hyper-parameter validation, get/set_params, clone, pickle.
"""

import functools
import math
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    fbeta_score,
    matthews_corrcoef,
    recall_score,
)

from sklearn_surrogate.losses._registry import base_loss_names
from sklearn_surrogate.losses import (
    AccuracyLoss,
    AUCExponentialLoss,
    AUCLogisticLoss,
    AUCMarginLoss,
    AUCSquaredHingeLoss,
    AUCSquareLoss,
    BalancedAccuracyLoss,
    CompSumLoss,
    CrossEntropyLoss,
    FBetaLoss,
    FocalLoss,
    GeneralizedCrossEntropyLoss,
    GMeanLoss,
    MCCLoss,
    SurrogateLoss,
    ZLoss,
    get_loss,
)

# reloss_<metric> names are reloss with a bound metric (tests/test_registry.py checks them): each loss runs once
LOSS_NAMES = base_loss_names()
CONFUSION_LOSSES = [FBetaLoss, AccuracyLoss, BalancedAccuracyLoss, GMeanLoss, MCCLoss]
PAIRWISE_AUC_LOSSES = [AUCSquareLoss, AUCSquaredHingeLoss, AUCExponentialLoss, AUCLogisticLoss]
DTYPES = [torch.float32, torch.float64]
N_CLASSES_MULTI = 3


@pytest.fixture(autouse=True, scope="module")
def _single_torch_thread():
    """These tensors are tiny: one intra-op thread avoids OpenMP hand-off costs (ms per op on a busy machine)."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


@pytest.fixture(params=[0, 1, 42])
def global_random_seed(request):
    """Fixed seeds: every randomised assertion must hold for each of them."""
    return request.param


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _supports(loss, kind):
    return loss.supports_binary if kind == "binary" else loss.supports_multiclass


_KINDS = ("binary", "multiclass")
# (name, kind) for every problem kind each registered loss supports, and the ones it refuses
SUPPORTED = [(name, kind) for name in LOSS_NAMES for kind in _KINDS if _supports(get_loss(name), kind)]
UNSUPPORTED = [(name, kind) for name in LOSS_NAMES for kind in _KINDS if not _supports(get_loss(name), kind)]


def _fresh_loss(name, kind, n_samples):
    """A registered loss with defaults, set up as the estimator would."""
    loss = get_loss(name)
    loss.setup(2 if kind == "binary" else N_CLASSES_MULTI, n_samples)
    return loss


def _call(loss, logits, targets, sample_weight=None, seed=0):
    """Call a loss as the estimator does; a stochastic loss (EnsLoss) draws from a fixed seed."""
    kwargs = {"index": torch.arange(len(targets))} if loss.needs_sample_index else {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return loss(logits, targets, sample_weight=sample_weight, **kwargs)


@functools.cache
def _is_stochastic(name, kind):
    """Whether the loss's value depends on torch's random numbers (same inputs, two seeds)."""
    logits, targets = _make_batch(kind, 16, torch.float64, 2.0, np.random.RandomState(0))
    values = [_f(_call(_fresh_loss(name, kind, 16), logits, targets, seed=seed)) for seed in (0, 1)]
    return values[0] != values[1]


def _make_batch(kind, n, dtype, scale, rng):
    """Random logits in [-scale, scale] (both extremes hit when n allows) and targets."""
    shape = (n,) if kind == "binary" else (n, N_CLASSES_MULTI)
    logits = rng.uniform(-1.0, 1.0, size=shape) * scale
    flat = logits.reshape(-1)
    flat[0] = scale
    if flat.size > 1:
        flat[-1] = -scale
    n_classes = 2 if kind == "binary" else N_CLASSES_MULTI
    targets = rng.randint(0, n_classes, size=n)
    return torch.tensor(logits, dtype=dtype), torch.tensor(targets)


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


def _f(x):
    """A Python float from a number or a 0-d tensor (detached: some losses have parameters)."""
    return float(x.detach()) if isinstance(x, torch.Tensor) else float(x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------
# contract: every registered loss
# ---------------------------------------------------------------------------
def test_registry_is_not_empty():
    assert len(LOSS_NAMES) >= 10
    for name in LOSS_NAMES:
        assert isinstance(get_loss(name), SurrogateLoss)


@pytest.mark.parametrize("scale", [1.0, 1e4])
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
    with pytest.raises(ValueError, match="binary|classes"):
        _call(get_loss(name), logits, targets)


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


def test_fbeta_average_binary_accepts_two_column_logits():
    Z = torch.tensor([[0.0, 2.0], [0.0, -2.0], [1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([1, 0, 0, 1])
    value = FBetaLoss(average="binary")(Z, y)
    assert_allclose(_f(value), _f(FBetaLoss(average="binary")(Z[:, 1] - Z[:, 0], y)), rtol=1e-5)


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


@pytest.mark.parametrize(
    "loss_cls",
    [cls for cls in PAIRWISE_AUC_LOSSES],
)
def test_multiclass_auc_zero_weight_class_equals_absent_class(loss_cls):
    rng = np.random.RandomState(0)
    Z = torch.tensor(rng.normal(size=(12, 3)))
    y = torch.tensor([0, 1, 2] * 4)
    w = torch.tensor([1.0, 2.0, 0.0] * 4)  # class 2 only has zero-weight samples
    keep = w > 0
    assert_allclose(_f(loss_cls()(Z, y, w)), _f(loss_cls()(Z[keep], y[keep], w[keep])), rtol=1e-9)


# ---------------------------------------------------------------------------
# AnyLoss: independent implementation of the paper's formulas
# ---------------------------------------------------------------------------
def _ref_binary_counts(z, y, L, w=None):
    """Paper counts a = 1/(1+exp(-L(p-0.5))), p = sigmoid(z), normalised by the batch weight."""
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(z) if w is None else np.asarray(w, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-z))
    a = 1.0 / (1.0 + np.exp(-L * (p - 0.5)))
    total = w.sum()
    TP = np.sum(w * y * a) / total
    FN = np.sum(w * y * (1 - a)) / total
    FP = np.sum(w * (1 - y) * a) / total
    TN = np.sum(w * (1 - y) * (1 - a)) / total
    return TP, FN, FP, TN


def _ref_binary_metric(metric, TP, FN, FP, TN, beta=1.0, eps=0.0):
    """The paper's metric formulas; eps > 0 adds the documented stabilisers."""
    if metric == "fbeta":
        b2 = beta**2
        return (1 + b2) * TP / ((1 + b2) * TP + b2 * FN + FP + eps)
    if metric == "accuracy":
        return (TP + TN) / (TP + FN + FP + TN)
    if metric == "balanced_accuracy":
        return (TP / (TP + FN + eps) + TN / (TN + FP + eps)) / 2
    if metric == "gmean":
        return math.sqrt(TP / (TP + FN + eps) * TN / (TN + FP + eps) + eps)
    if metric == "mcc":
        return (TP * TN - FP * FN) / math.sqrt((TP + FP) * (TP + FN) * (TN + FP) * (TN + FN) + eps**2)
    raise AssertionError(metric)


_BINARY_LOSSES = {
    "fbeta": FBetaLoss,
    "accuracy": AccuracyLoss,
    "balanced_accuracy": BalancedAccuracyLoss,
    "gmean": GMeanLoss,
    "mcc": MCCLoss,
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_anyloss_hand_computed_example(dtype):
    # y = [1, 1, 0, 0], z = [ln 3, 0, -ln 3, ln 3], L = 4:
    #   p = [3/4, 1/2, 1/4, 3/4], L(p - 1/2) = [1, 0, -1, 1],
    #   a = [s(1), 1/2, s(-1), s(1)] = [0.7310586, 0.5, 0.2689414, 0.7310586]   (s = sigmoid)
    #   TP = s(1) + 1/2        = 1.2310586     FN = s(-1) + 1/2 = 0.7689414
    #   FP = s(-1) + s(1) = 1  = 1.0           TN = s(1) + s(-1) = 1.0
    #   F1   = 2TP / (2TP + FN + FP)             = 2.4621172 / 4.2310586 = 0.5819152
    #   F2   = 5TP / (5TP + 4FN + FP)            = 6.1552929 / 10.2310586 = 0.6016282
    #   acc  = (TP + TN) / 4                     = 0.5577646
    #   bacc = (TP / 2 + TN / 2) / 2             = 0.5577646
    #   G    = sqrt(TP / 2 * TN / 2)             = 0.5547654
    #   MCC  = (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))
    #        = 0.4621172 / sqrt(2.2310586 * 2 * 2 * 1.7689414) = 0.1163081
    z = torch.tensor([math.log(3), 0.0, -math.log(3), math.log(3)], dtype=dtype)
    y = torch.tensor([1, 1, 0, 0])
    expected = {
        FBetaLoss(L=4.0): 0.5819152,
        FBetaLoss(L=4.0, beta=2.0): 0.6016282,
        AccuracyLoss(L=4.0): 0.5577646,
        BalancedAccuracyLoss(L=4.0): 0.5577646,
        GMeanLoss(L=4.0): 0.5547654,
        MCCLoss(L=4.0): 0.1163081,
    }
    for loss, metric in expected.items():
        value = loss(z, y)
        assert value.dtype == dtype
        assert_allclose(1.0 - _f(value), metric, atol=2e-6, err_msg=repr(loss))


# small hand-chosen batches (4-6 samples, both classes present)
_SMALL_BATCHES = [
    ([2.0, -1.0, 0.5, -3.0], [1, 0, 0, 1], None),
    ([0.3, 0.1, -0.2, 1.5, -0.7], [1, 1, 0, 0, 1], [1.0, 2.0, 0.5, 1.0, 3.0]),
    ([4.0, 3.0, -2.0, -0.1, 0.2, -5.0], [1, 1, 0, 0, 1, 0], [0.2, 1.0, 1.0, 0.0, 2.0, 1.0]),
    ([-1.2, 0.8, 0.05, -0.05, 2.5, -2.5], [0, 1, 1, 0, 0, 1], None),
]


_METRIC_BETA = [("fbeta", 0.5), ("fbeta", 1.0), ("fbeta", 2.0)] + [(m, 1.0) for m in _BINARY_LOSSES if m != "fbeta"]


@pytest.mark.parametrize("L", [1.0, 10.0, 73.0])
@pytest.mark.parametrize("batch", _SMALL_BATCHES)
@pytest.mark.parametrize("metric, beta", _METRIC_BETA)
def test_anyloss_binary_matches_paper_formulas(metric, beta, batch, L):
    z, y, w = batch
    kwargs = {"L": L, **({"beta": beta} if metric == "fbeta" else {})}
    loss = _BINARY_LOSSES[metric](**kwargs)
    sw = None if w is None else torch.tensor(w, dtype=torch.float64)
    got = _f(loss(torch.tensor(z, dtype=torch.float64), torch.tensor(y), sw))
    counts = _ref_binary_counts(z, y, L, w)
    # the documented formulas, eps included, to float64 precision ...
    assert_allclose(got, 1.0 - _ref_binary_metric(metric, *counts, beta=beta, eps=loss.eps), rtol=1e-10, atol=1e-12)
    # ... and the paper's eps-free ones up to eps's effect (counts are fractions of the batch weight)
    assert_allclose(got, 1.0 - _ref_binary_metric(metric, *counts, beta=beta, eps=0.0), atol=2e-4)


@pytest.mark.parametrize("metric", list(_BINARY_LOSSES))
def test_anyloss_unnormalised_counts_formula(metric):
    # the paper's TP = sum y a, FN = sum y - TP, FP = sum a - TP, TN = N - sum y - sum a + TP, not normalised
    z = np.array([1.0, -0.5, 0.25, 2.0, -1.5])
    y = np.array([1, 0, 1, 0, 1])
    L = 5.0
    a = 1.0 / (1.0 + np.exp(-L * (1.0 / (1.0 + np.exp(-z)) - 0.5)))
    TP = _f(np.sum(y * a))
    FN = _f(np.sum(y)) - TP
    FP = _f(np.sum(a)) - TP
    TN = len(y) - _f(np.sum(y)) - _f(np.sum(a)) + TP
    expected = _ref_binary_metric(metric, TP, FN, FP, TN)
    got = 1.0 - _f(_BINARY_LOSSES[metric](L=L)(torch.tensor(z), torch.tensor(y)))
    assert_allclose(got, expected, atol=1e-4)


def test_anyloss_amplifier_limits():
    # L -> 0: a -> 1/2 for every sample; large L: a -> step(p - 1/2)
    z = torch.tensor([3.0, -3.0, 1.0, -1.0], dtype=torch.float64)
    y = torch.tensor([1, 0, 0, 1])
    # tiny L: TP = FN = FP = TN = 1/4 of the batch, accuracy 1/2, F1 = 1/2
    assert_allclose(1 - _f(AccuracyLoss(L=1e-8)(z, y)), 0.5, atol=1e-6)
    assert_allclose(1 - _f(FBetaLoss(L=1e-8)(z, y)), 0.5, atol=1e-5)
    # huge L: hard predictions [1, 0, 1, 0] -> TP=1, FN=1, FP=1, TN=1
    assert_allclose(1 - _f(AccuracyLoss(L=1e4)(z, y)), 0.5, atol=1e-9)
    assert_allclose(1 - _f(FBetaLoss(L=1e4)(z, y)), 0.5, atol=1e-5)
    assert_allclose(1 - _f(MCCLoss(L=1e4)(z, y)), 0.0, atol=1e-5)


def _confident_binary(rng, n=60, flip=0.2, margin=8.0):
    y = rng.randint(0, 2, n)
    y[:2] = [0, 1]
    pred = np.where(rng.uniform(size=n) < flip, 1 - y, y)
    z = np.where(pred == 1, 1.0, -1.0) * rng.uniform(margin, 2 * margin, n)
    return z, y, pred


@pytest.mark.parametrize("L", [73.0, 1000.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_anyloss_binary_confident_logits_match_sklearn(L, weighted, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    z, y, pred = _confident_binary(rng)
    w = rng.uniform(0.5, 2.0, len(y)) if weighted else None
    zt, yt = torch.tensor(z), torch.tensor(y)
    wt = None if w is None else torch.tensor(w)
    exact = {
        FBetaLoss(L=L): f1_score(y, pred, sample_weight=w),
        FBetaLoss(L=L, beta=2.0): fbeta_score(y, pred, beta=2.0, sample_weight=w),
        AccuracyLoss(L=L): accuracy_score(y, pred, sample_weight=w),
        BalancedAccuracyLoss(L=L): balanced_accuracy_score(y, pred, sample_weight=w),
        GMeanLoss(L=L): math.sqrt(np.prod(recall_score(y, pred, average=None, sample_weight=w))),
        MCCLoss(L=L): matthews_corrcoef(y, pred, sample_weight=w),
    }
    for loss, value in exact.items():
        assert_allclose(1.0 - _f(loss(zt, yt, wt)), value, atol=1e-4, err_msg=repr(loss))


@pytest.mark.parametrize("n_pos", [1, 2])
def test_mcc_eps_negligible_on_imbalanced_batch(n_pos):
    y = torch.zeros(256, dtype=torch.int64)
    y[:n_pos] = 1
    z = torch.where(y == 1, 10.0, -10.0).to(torch.float64)  # every sample right, confidently
    assert matthews_corrcoef(y.numpy(), (z > 0).numpy().astype(int)) == 1.0
    assert _f(MCCLoss()(z, y)) == pytest.approx(0.0, abs=1e-3)


def test_anyloss_weighted_counts_equal_duplicated_samples():
    z = np.array([0.4, -1.3, 2.2, 0.1, -0.6])
    y = np.array([1, 0, 1, 0, 1])
    w = np.array([2, 1, 3, 0, 1])
    zd, yd = np.repeat(z, w), np.repeat(y, w)
    for loss in [cls(L=10.0) for cls in CONFUSION_LOSSES]:
        weighted = _f(loss(torch.tensor(z), torch.tensor(y), torch.tensor(w, dtype=torch.float64)))
        duplicated = _f(loss(torch.tensor(zd), torch.tensor(yd)))
        assert_allclose(weighted, duplicated, rtol=1e-12, err_msg=repr(loss))
        # and against the reference with the duplicated, unweighted batch
    counts_w = _ref_binary_counts(z, y, 10.0, w)
    counts_d = _ref_binary_counts(zd, yd, 10.0)
    assert_allclose(counts_w, counts_d, rtol=1e-12)


def test_fbeta_beta_weighs_recall():
    L = 1e3
    # batch A: all predicted positive -> TP=4, FN=0, FP=4 (recall 1, precision 1/2)
    zA = torch.tensor([5.0] * 8)
    yA = torch.tensor([1] * 4 + [0] * 4)
    # batch B: half the positives missed -> TP=4, FN=4, FP=0 (recall 1/2, precision 1)
    zB = torch.tensor([5.0] * 4 + [-5.0] * 8)
    yB = torch.tensor([1] * 8 + [0] * 4)
    f = {b: (1 - _f(FBetaLoss(beta=b, L=L)(zA, yA)), 1 - _f(FBetaLoss(beta=b, L=L)(zB, yB))) for b in (0.5, 1, 2)}
    # F1 is the same (2/3) for both
    assert_allclose(f[1], [2 / 3, 2 / 3], atol=1e-5)
    # beta = 2 weighs recall: A (recall 1) scores higher; beta = 1/2 weighs precision: B scores higher
    assert_allclose(f[2], [5 * 4 / (5 * 4 + 0 + 4), 5 * 4 / (5 * 4 + 4 * 4 + 0)], atol=1e-5)
    assert f[2][0] > f[1][0] > f[0.5][0]
    assert f[2][1] < f[1][1] < f[0.5][1]


def _ref_multiclass_A(Z, L):
    P = _softmax(Z)
    n, K = P.shape
    A = np.empty_like(P)
    for i in range(n):
        for c in range(K):
            best_other = max(P[i, k] for k in range(K) if k != c)
            A[i, c] = 1.0 / (1.0 + math.exp(-L * (P[i, c] - best_other) / 2.0))
    return A


def _ref_multiclass_metric(metric, Z, y, L, w=None, beta=1.0, average="macro", eps=1e-6):
    """One-vs-rest soft confusion matrices as documented in ``_confusion.py``."""
    A = _ref_multiclass_A(Z, L)
    n, K = A.shape
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    w = w / w.sum()
    Y = np.eye(K)[y]
    tp = np.array([sum(w[i] * Y[i, c] * A[i, c] for i in range(n)) for c in range(K)])
    fn = np.array([sum(w[i] * Y[i, c] * (1 - A[i, c]) for i in range(n)) for c in range(K)])
    fp = np.array([sum(w[i] * (1 - Y[i, c]) * A[i, c] for i in range(n)) for c in range(K)])
    b2 = beta**2

    def fb(tp_, fp_, fn_):
        return (1 + b2) * tp_ / ((1 + b2) * tp_ + b2 * fn_ + fp_ + eps)

    if metric == "fbeta":
        if average == "micro":
            return fb(tp.sum(), fp.sum(), fn.sum())
        scores = fb(tp, fp, fn)
        if average == "macro":
            return scores.mean()
        support = tp + fn
        return (scores * support).sum() / support.sum()
    recalls = tp / (tp + fn + eps)
    if metric == "balanced_accuracy":
        return recalls.mean()
    if metric == "gmean":
        return (np.prod(recalls) + eps) ** (1.0 / K)
    if metric == "accuracy":
        return sum(w[i] * A[i, y[i]] for i in range(n))
    if metric == "mcc":
        A_hat = A / A.sum(axis=1, keepdims=True)
        t = (w[:, None] * Y).sum(0)
        p = (w[:, None] * A_hat).sum(0)
        c = sum(w[i] * A_hat[i, y[i]] for i in range(n))
        return (c - t @ p) / math.sqrt((1 - p @ p) * (1 - t @ t) + eps**2)
    raise AssertionError(metric)


@pytest.mark.parametrize(
    "loss, metric, kwargs",
    [
        (FBetaLoss(L=5.0), "fbeta", {"average": "macro"}),
        (FBetaLoss(L=5.0, average="weighted"), "fbeta", {"average": "weighted"}),
        (FBetaLoss(L=5.0, average="micro"), "fbeta", {"average": "micro"}),
        (FBetaLoss(L=20.0, beta=2.0, average="macro"), "fbeta", {"average": "macro", "beta": 2.0}),
        (BalancedAccuracyLoss(L=5.0), "balanced_accuracy", {}),
        (GMeanLoss(L=5.0), "gmean", {}),
        (AccuracyLoss(L=5.0), "accuracy", {}),
        (MCCLoss(L=5.0), "mcc", {}),
    ],
    ids=lambda v: repr(v) if not isinstance(v, dict) else "",
)
@pytest.mark.parametrize("weighted", [False, True])
def test_anyloss_multiclass_matches_documented_formulas(loss, metric, kwargs, weighted):
    rng = np.random.RandomState(7)
    Z = rng.normal(0, 1.5, size=(6, 3))
    y = np.array([0, 1, 2, 2, 1, 0])
    w = rng.uniform(0.2, 2.0, 6) if weighted else None
    got = 1.0 - _f(loss(torch.tensor(Z), torch.tensor(y), None if w is None else torch.tensor(w)))
    expected = _ref_multiclass_metric(metric, Z, y, _f(loss.L), w=w, **kwargs)
    assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def _confident_multiclass(rng, n=80, K=4, flip=0.25, margin=12.0):
    y = np.concatenate([np.arange(K), rng.randint(0, K, n - K)])
    pred = np.where(rng.uniform(size=n) < flip, rng.randint(0, K, n), y)
    Z = rng.normal(0, 0.5, size=(n, K))
    Z[np.arange(n), pred] += margin
    return Z, y, pred


@pytest.mark.parametrize("weighted", [False, True])
def test_anyloss_multiclass_confident_logits_match_sklearn(weighted, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    Z, y, pred = _confident_multiclass(rng)
    w = rng.uniform(0.5, 2.0, len(y)) if weighted else None
    Zt, yt = torch.tensor(Z), torch.tensor(y)
    wt = None if w is None else torch.tensor(w)
    exact = {
        FBetaLoss(average="macro"): f1_score(y, pred, average="macro", sample_weight=w),
        FBetaLoss(): f1_score(y, pred, average="macro", sample_weight=w),  # auto -> macro
        FBetaLoss(average="weighted"): f1_score(y, pred, average="weighted", sample_weight=w),
        FBetaLoss(average="micro"): f1_score(y, pred, average="micro", sample_weight=w),
        FBetaLoss(beta=2.0, average="macro"): fbeta_score(y, pred, beta=2.0, average="macro", sample_weight=w),
        MCCLoss(): matthews_corrcoef(y, pred, sample_weight=w),
        BalancedAccuracyLoss(): balanced_accuracy_score(y, pred, sample_weight=w),
        AccuracyLoss(): accuracy_score(y, pred, sample_weight=w),
        GMeanLoss(): np.prod(recall_score(y, pred, average=None, sample_weight=w)) ** (1 / 4),
    }
    for loss, value in exact.items():
        assert_allclose(1.0 - _f(loss(Zt, yt, wt)), value, atol=1e-4, err_msg=repr(loss))


def test_anyloss_multiclass_predictions_follow_argmax():
    # the top class is below 0.5 probability: it must still count as predicted
    Z = torch.log(torch.tensor([[0.40, 0.35, 0.25], [0.2, 0.45, 0.35], [0.3, 0.3, 0.4]], dtype=torch.float64))
    y = torch.tensor([0, 1, 2])
    assert _f(AccuracyLoss(L=1e4)(Z, y)) == pytest.approx(0.0, abs=1e-9)
    assert _f(FBetaLoss(L=1e4, average="macro")(Z, y)) == pytest.approx(0.0, abs=1e-5)


def test_fbeta_binary_ignores_negative_class():
    # binary F1 scores the positive class only: changing predictions among negatives that are
    # confidently right does not change it, and swapping labels does
    # positive class: TP=2, FP=1, FN=0 -> F1 = 4/5; negative class: TP=3, FP=0, FN=1 -> F1 = 6/7
    z = torch.tensor([6.0, 6.0, -6.0, -6.0, -6.0, 6.0])
    y = torch.tensor([1, 0, 0, 0, 0, 1])
    f1 = 1 - _f(FBetaLoss()(z, y))
    assert_allclose(f1, f1_score(y.numpy(), (z > 0).numpy().astype(int)), atol=1e-5)
    f1_flipped = 1 - _f(FBetaLoss()(-z, 1 - y))
    assert_allclose(f1_flipped, f1_score(1 - y.numpy(), (z < 0).numpy().astype(int)), atol=1e-5)
    assert_allclose([f1, f1_flipped], [4 / 5, 6 / 7], atol=1e-5)


@pytest.mark.parametrize("loss_cls", CONFUSION_LOSSES)
def test_anyloss_gradient_points_towards_better_metric(loss_cls):
    # one gradient step on the logits lowers the loss
    rng = np.random.RandomState(0)
    z = torch.tensor(rng.normal(0, 0.5, 40), requires_grad=True)
    y = torch.tensor(rng.randint(0, 2, 40))
    loss = loss_cls(L=10.0)
    before = loss(z, y)
    before.backward()
    assert _f(z.grad.abs().sum()) > 0
    with torch.no_grad():
        after = loss(z - 0.05 * z.grad / z.grad.norm(), y)
    assert _f(after) < _f(before)


# ---------------------------------------------------------------------------
# cross-entropy
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_cross_entropy_matches_torch(dtype, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    z = torch.tensor(rng.normal(0, 3, 50), dtype=dtype)
    y = torch.tensor(rng.randint(0, 2, 50))
    expected = F.binary_cross_entropy_with_logits(z, y.to(dtype))
    assert_allclose(_f(CrossEntropyLoss()(z, y)), _f(expected), rtol=1e-6)
    Z = torch.tensor(rng.normal(0, 3, (50, 4)), dtype=dtype)
    Y = torch.tensor(rng.randint(0, 4, 50))
    assert_allclose(_f(CrossEntropyLoss()(Z, Y)), _f(F.cross_entropy(Z, Y)), rtol=1e-6)
    # and the closed form -log softmax, computed by hand
    P = _softmax(Z.double().numpy())
    assert_allclose(_f(CrossEntropyLoss()(Z, Y)), -np.mean(np.log(P[np.arange(50), Y.numpy()])), rtol=1e-5)


def test_cross_entropy_class_weight_matches_torch_weighted_mean(global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    Z = torch.tensor(rng.normal(0, 2, (40, 3)))
    Y = torch.tensor(rng.randint(0, 3, 40))
    cw = [0.5, 2.0, 3.5]
    got = _f(CrossEntropyLoss(class_weight=cw)(Z, Y))
    assert_allclose(got, _f(F.cross_entropy(Z, Y, weight=torch.tensor(cw, dtype=torch.float64))), rtol=1e-12)
    # binary: sum_i c_{y_i} l_i / sum_i c_{y_i}
    z = torch.tensor(rng.normal(0, 2, 40))
    y = torch.tensor(rng.randint(0, 2, 40))
    cw2 = torch.tensor([0.3, 4.0], dtype=torch.float64)
    per = F.binary_cross_entropy_with_logits(z, y.double(), reduction="none")
    expected = (cw2[y] * per).sum() / cw2[y].sum()
    assert_allclose(_f(CrossEntropyLoss(class_weight=[0.3, 4.0])(z, y)), _f(expected), rtol=1e-12)
    # class weights combine with sample weights multiplicatively
    w = torch.tensor(rng.uniform(0.1, 2.0, 40))
    expected_w = (cw2[y] * w * per).sum() / (cw2[y] * w).sum()
    assert_allclose(_f(CrossEntropyLoss(class_weight=[0.3, 4.0])(z, y, w)), _f(expected_w), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_cross_entropy_finite_at_extreme_logits(dtype):
    z = torch.tensor([1e4, -1e4, 1e4, -1e4], dtype=dtype, requires_grad=True)
    y = torch.tensor([1, 0, 0, 1])
    value = CrossEntropyLoss()(z, y)
    # two right (loss 0), two wrong (loss 1e4 each) -> mean 5e3
    assert_allclose(_f(value), 5e3, rtol=1e-6)
    value.backward()
    assert torch.isfinite(z.grad).all()
    assert_allclose(z.grad.numpy(), [0.0, 0.0, 0.25, -0.25], atol=1e-6)
    Z = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], dtype=dtype, requires_grad=True)
    value = CrossEntropyLoss()(Z, torch.tensor([0, 0]))
    assert_allclose(_f(value), 1e4, rtol=1e-6)  # (0 + 2e4) / 2
    value.backward()
    assert torch.isfinite(Z.grad).all()


def test_cross_entropy_bad_class_weight():
    with pytest.raises(ValueError, match="class_weight"):
        CrossEntropyLoss(class_weight=[1.0, 2.0])(torch.zeros(4, 3), torch.tensor([0, 1, 2, 0]))


# ---------------------------------------------------------------------------
# pairwise AUC losses against brute force
# ---------------------------------------------------------------------------
def _brute_pair_mean(s, y, w, phi, pos_class=1, neg_mask=None):
    """O(n^2) weighted mean over (pos, neg) pairs of phi(s_p - s_n), weights w_p * w_n."""
    s = np.asarray(s, dtype=np.float64)
    w = np.ones(len(s)) if w is None else np.asarray(w, dtype=np.float64)
    pos = np.asarray(y) == pos_class
    neg = ~pos if neg_mask is None else neg_mask
    num = den = 0.0
    for i in np.flatnonzero(pos):
        for j in np.flatnonzero(neg):
            num += w[i] * w[j] * phi(s[i] - s[j])
            den += w[i] * w[j]
    return num / den if den > 0 else 0.0


def _phi(loss):
    if isinstance(loss, AUCSquareLoss):
        return lambda d: (loss.margin - d) ** 2
    if isinstance(loss, AUCSquaredHingeLoss):
        return lambda d: max(0.0, loss.margin - d) ** 2
    if isinstance(loss, AUCExponentialLoss):
        return lambda d: math.exp(-d / loss.temperature)
    if isinstance(loss, AUCLogisticLoss):
        return lambda d: loss.temperature * math.log1p(math.exp(-d / loss.temperature))
    raise AssertionError(loss)


_PAIRWISE_CASES = [
    AUCSquareLoss(),
    AUCSquareLoss(margin=0.5),
    AUCSquaredHingeLoss(),
    AUCSquaredHingeLoss(margin=0.3),
    AUCExponentialLoss(),
    AUCExponentialLoss(temperature=0.25),
    AUCLogisticLoss(),
    AUCLogisticLoss(score="sigmoid", temperature=0.5),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", _PAIRWISE_CASES, ids=repr)
def test_pairwise_auc_binary_matches_brute_force(loss, weighted, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    z = rng.normal(0, 2, 23)
    y = rng.randint(0, 2, 23)
    y[:2] = [0, 1]
    w = rng.uniform(0.0, 2.0, 23) if weighted else None
    s = z if getattr(loss, "score", "sigmoid") == "logit" else _sigmoid(z)
    expected = _brute_pair_mean(s, y, w, _phi(loss))
    got = _f(loss(torch.tensor(z), torch.tensor(y), None if w is None else torch.tensor(w)))
    assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("multiclass", ["ovr", "ovo"])
@pytest.mark.parametrize("loss_cls", [AUCSquareLoss, AUCSquaredHingeLoss, AUCExponentialLoss])
def test_pairwise_auc_multiclass_matches_brute_force(loss_cls, multiclass, weighted, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    K = 4
    Z = rng.normal(0, 2, (30, K))
    y = np.concatenate([np.arange(K), rng.randint(0, K, 26)])
    w = rng.uniform(0.1, 2.0, 30) if weighted else None
    loss = loss_cls(multiclass=multiclass)
    S = _softmax(Z)
    phi = _phi(loss)
    if multiclass == "ovr":  # class c vs the rest, scored by softmax column c
        parts = [_brute_pair_mean(S[:, c], y, w, phi, pos_class=c) for c in range(K)]
    else:  # class i vs class j, scored by column i, over ordered pairs
        parts = [
            _brute_pair_mean(S[:, i], y, w, phi, pos_class=i, neg_mask=(y == j))
            for i in range(K)
            for j in range(K)
            if i != j
        ]
    got = _f(loss(torch.tensor(Z), torch.tensor(y), None if w is None else torch.tensor(w)))
    assert_allclose(got, np.mean(parts), rtol=1e-10)


def _large_auc_batch(n=3000, seed=0, weighted=False):
    rng = np.random.RandomState(seed)
    y = (rng.uniform(size=n) < 0.3).astype(np.int64)
    z = rng.normal(0, 1.5, n) + y  # pairs: about 900 x 2100, far above the default budget
    w = torch.tensor(rng.uniform(0.0, 2.0, n)) if weighted else None
    return torch.tensor(z), torch.tensor(y), w


def test_auc_logistic_max_pairs_exact_under_budget():
    z, y, w = _large_auc_batch(n=60, weighted=True)
    n_pairs = int(y.sum()) * int((1 - y).sum())
    exact = _f(AUCLogisticLoss(max_pairs=None)(z, y, w))
    assert _f(AUCLogisticLoss(max_pairs=n_pairs)(z, y, w)) == exact  # no sampling at the budget
    s = z.numpy()
    assert_allclose(exact, _brute_pair_mean(s, y.numpy(), w.numpy(), _phi(AUCLogisticLoss())), rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_auc_logistic_max_pairs_estimate_is_unbiased(weighted):
    """Above the budget the loss is a random block of pairs, scaled: unbiased in value and gradient."""
    z, y, w = _large_auc_batch(weighted=weighted)
    exact = AUCLogisticLoss(max_pairs=None)
    sampled = AUCLogisticLoss()  # default budget, 65536 pairs: a block of about 168 x 390 of 900 x 2100
    zg = z.clone().requires_grad_()
    value_exact = exact(zg, y, w)
    value_exact.backward()
    grad_exact = zg.grad.clone()
    torch.manual_seed(0)
    values, grads = [], []
    for _ in range(200):
        zg.grad = None
        value = sampled(zg, y, w)
        value.backward()
        values.append(_f(value))
        grads.append(zg.grad.clone())
    # each draw sees a sub-block (a relative spread of about 8-11 % here); their average is unbiased
    assert_allclose(values, _f(value_exact), rtol=0.5)
    assert_allclose(np.mean(values), _f(value_exact), rtol=0.02)
    assert np.std(values) > 0.01 * _f(value_exact)  # it does sample
    # a single draw's gradient is sparse (only the drawn samples) and noisy: 200 draws shrink the error ~14x
    single = float((grads[0] - grad_exact).norm() / grad_exact.norm())
    mean_grad = torch.stack(grads).mean(0)
    averaged = float((mean_grad - grad_exact).norm() / grad_exact.norm())
    assert averaged < 0.25 and averaged < single / 5


def test_auc_logistic_max_pairs_reproducible_under_seed():
    z, y, _ = _large_auc_batch()
    loss = AUCLogisticLoss(max_pairs=1000)
    torch.manual_seed(3)
    first = _f(loss(z, y))
    torch.manual_seed(3)
    assert _f(loss(z, y)) == first
    assert _f(loss(z, y)) != first  # a new draw


@pytest.mark.parametrize("max_pairs", [0, -5, 2.5, "100", True])
def test_auc_logistic_bad_max_pairs_raises(max_pairs):
    with pytest.raises(ValueError, match="max_pairs"):
        AUCLogisticLoss(max_pairs=max_pairs)(torch.tensor([0.5, -1.0, 2.0]), torch.tensor([1, 0, 1]))


def test_auc_logistic_max_pairs_multiclass_finite():
    rng = np.random.RandomState(0)
    Z = torch.tensor(rng.normal(0, 1, (600, 3)), requires_grad=True)
    y = torch.tensor(rng.randint(0, 3, 600))
    for multiclass in ("ovr", "ovo"):
        value = AUCLogisticLoss(multiclass=multiclass, max_pairs=5000)(Z, y)
        exact = AUCLogisticLoss(multiclass=multiclass, max_pairs=None)(Z, y)
        assert_allclose(_f(value), _f(exact), rtol=0.05)
        value.backward()
        assert torch.isfinite(Z.grad).all()


def test_auc_square_hand_computed():
    # z = [0, 0, ln 3] with y = [1, 0, 0]: s = [1/2, 1/2, 3/4]
    # pairs (p, n): (1/2, 1/2) -> (1 - 0)^2 = 1, (1/2, 3/4) -> (1 + 1/4)^2 = 25/16 ; mean = 41/32
    z = torch.tensor([0.0, 0.0, math.log(3)], dtype=torch.float64)
    y = torch.tensor([1, 0, 0])
    assert_allclose(_f(AUCSquareLoss()(z, y)), 41 / 32, rtol=1e-12)
    # weights (2, 1, 3): (2*1*1 + 2*3*25/16) / (2*1 + 2*3) = (2 + 75/8) / 8 = 91/64
    w = torch.tensor([2.0, 1.0, 3.0], dtype=torch.float64)
    assert_allclose(_f(AUCSquareLoss()(z, y, w)), 91 / 64, rtol=1e-12)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("loss_cls", PAIRWISE_AUC_LOSSES)
def test_pairwise_auc_single_class_batch_is_zero(loss_cls, kind):
    n = 9
    logits = torch.randn(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    if kind == "multiclass":
        logits = torch.randn(n, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    logits.requires_grad_(True)
    for label in (0, 1):
        value = loss_cls()(logits, torch.full((n,), label))
        assert _f(value) == 0.0
        value.backward()
        assert torch.all(logits.grad == 0)
        logits.grad = None


def test_auc_square_large_batch_matches_vectorised_brute_force():
    rng = np.random.RandomState(0)
    z = rng.normal(0, 2, 600)
    y = rng.randint(0, 2, 600)
    w = rng.uniform(0, 1, 600)
    s = _sigmoid(z)
    D = s[y == 1][:, None] - s[y == 0][None, :]
    W = w[y == 1][:, None] * w[y == 0][None, :]
    expected = np.sum(W * (1.0 - D) ** 2) / np.sum(W)
    assert_allclose(_f(AUCSquareLoss()(torch.tensor(z), torch.tensor(y), torch.tensor(w))), expected, rtol=1e-10)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def _valid_batch(loss):
    if loss.supports_binary:
        return torch.tensor([0.5, -1.0, 2.0, 0.1]), torch.tensor([1, 0, 1, 0]), 2
    return torch.tensor([[0.5, -1.0, 2.0]] * 4), torch.tensor([0, 1, 2, 0]), 3


_BAD_INPUTS = {
    "logits_3d": (lambda z, y, K: (z.reshape(4, -1)[:, :, None].repeat(1, 1, 2), y, None), ValueError, "shape"),
    "targets_too_short": (lambda z, y, K: (z, y[:3], None), ValueError, "targets"),
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
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_bad_input_raises(name, case):
    loss = get_loss(name)
    z, y, K = _valid_batch(loss)
    loss.setup(K, 4)
    make, error, match = _BAD_INPUTS[case]
    logits, targets, sample_weight = make(z, y, K)
    with pytest.raises(error, match=match):
        _call(loss, logits, targets, sample_weight)


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


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_sample_weight_raises(bad):
    with pytest.raises(ValueError, match="sample_weight"):
        FBetaLoss()(torch.tensor([0.5, -1.0, 2.0]), torch.tensor([1, 0, 1]), torch.tensor([1.0, bad, 1.0]))


def test_check_input_false_skips_validation_but_keeps_shape_checks():
    loss = FBetaLoss()
    loss.check_input = False
    # out-of-range labels are no longer checked (the estimator validates once) ...
    z = torch.tensor([0.5, -1.0])
    assert torch.isfinite(loss(z, torch.tensor([1, 0])))
    # ... but shapes still are
    with pytest.raises(ValueError, match="targets"):
        loss(z, torch.tensor([1, 0, 1]))


_BAD_HYPERPARAMETERS = [
    (FBetaLoss, {"L": 0.0}, "L"),
    (FBetaLoss, {"L": -5.0}, "L"),
    (FBetaLoss, {"L": float("inf")}, "L"),
    (FBetaLoss, {"L": float("nan")}, "L"),
    (FBetaLoss, {"L": "73"}, "L"),
    (FBetaLoss, {"L": True}, "L"),
    (FBetaLoss, {"beta": 0.0}, "beta"),
    (FBetaLoss, {"beta": -1.0}, "beta"),
    (FBetaLoss, {"beta": float("nan")}, "beta"),
    (FBetaLoss, {"average": "samples"}, "average"),
    (FBetaLoss, {"average": None}, "average"),
    (FBetaLoss, {"eps": 0.0}, "eps"),
    (FBetaLoss, {"eps": 1.0}, "eps"),
    (AccuracyLoss, {"L": 0}, "L"),
    (BalancedAccuracyLoss, {"L": -1}, "L"),
    (GMeanLoss, {"L": 0.0}, "L"),
    (MCCLoss, {"L": -73.0}, "L"),
    (MCCLoss, {"eps": -1e-6}, "eps"),
    (AUCSquareLoss, {"margin": float("nan")}, "margin"),
    (AUCSquareLoss, {"multiclass": "ovo_weighted"}, "multiclass"),
    (AUCSquaredHingeLoss, {"margin": "1"}, "margin"),
    (AUCExponentialLoss, {"temperature": 0.0}, "temperature"),
    (AUCLogisticLoss, {"temperature": -1.0}, "temperature"),
    (AUCLogisticLoss, {"score": "softmax"}, "score"),
    (AUCMarginLoss, {"margin": float("inf")}, "margin"),
    (AUCMarginLoss, {"imratio": 1.5}, "imratio"),
    (CompSumLoss, {"tau": -0.1}, "tau"),
    (CompSumLoss, {"tau": 2.5}, "tau"),
    (GeneralizedCrossEntropyLoss, {"q": 0.0}, "q"),
    (GeneralizedCrossEntropyLoss, {"q": 1.5}, "q"),
    (FocalLoss, {"gamma": -1.0}, "gamma"),
    (FocalLoss, {"alpha": 1.5}, "alpha"),
    (FocalLoss, {"alpha": [0.5, 0.5, 0.5]}, "alpha"),
]


@pytest.mark.parametrize(
    "loss_cls, params, name", _BAD_HYPERPARAMETERS, ids=[f"{c.__name__}-{p}" for c, p, _ in _BAD_HYPERPARAMETERS]
)
def test_invalid_hyperparameters_raise(loss_cls, params, name):
    loss = loss_cls(**params)
    with pytest.raises(ValueError, match=name):
        loss(torch.tensor([0.5, -1.0, 2.0, 0.0]), torch.tensor([1, 0, 1, 0]))


@pytest.mark.parametrize("params", [{"a": 0.0}, {"a": -1.0}, {"b": float("nan")}])
def test_zloss_invalid_hyperparameters_raise(params):
    with pytest.raises(ValueError, match=next(iter(params))):
        ZLoss(**params)(torch.zeros(3, 3), torch.tensor([0, 1, 2]))


def test_fbeta_average_binary_on_multiclass_raises():
    with pytest.raises(ValueError, match="binary"):
        FBetaLoss(average="binary")(torch.zeros(3, 3), torch.tensor([0, 1, 2]))


_NUMPY_SCALAR_PARAMS = [
    (FBetaLoss, {"L": np.int64(50)}),
    (FBetaLoss, {"L": np.float32(50.0)}),
    (FBetaLoss, {"beta": np.int64(2)}),
    (MCCLoss, {"L": np.int64(50)}),
    (AUCSquareLoss, {"margin": np.float32(0.5)}),
    (AUCExponentialLoss, {"temperature": np.int64(2)}),
    (CompSumLoss, {"tau": np.float32(0.5)}),
    (FocalLoss, {"gamma": np.int64(2)}),
]


@pytest.mark.parametrize("loss_cls, params", _NUMPY_SCALAR_PARAMS, ids=lambda v: str(v))
def test_numpy_scalar_hyperparameters_accepted(loss_cls, params):
    z, y = torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64), torch.tensor([1, 0, 1, 0])
    plain = {k: v.item() for k, v in params.items()}
    assert_allclose(_f(loss_cls(**params)(z, y)), _f(loss_cls(**plain)(z, y)), rtol=1e-6)


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


@pytest.mark.parametrize(
    "loss, new",
    [
        (FBetaLoss(), {"beta": 2.0, "L": 20.0, "average": "macro"}),
        (AUCSquareLoss(), {"margin": 0.5}),
        (CrossEntropyLoss(), {"class_weight": [1.0, 3.0]}),
        (FocalLoss(), {"gamma": 0.0}),
        (GeneralizedCrossEntropyLoss(), {"q": 0.3}),
    ],
    ids=repr,
)
def test_set_params_changes_behaviour_and_clone_keeps_it(loss, new):
    z = torch.tensor([0.5, -1.0, 2.0, 0.1, -0.3], dtype=torch.float64)
    y = torch.tensor([1, 0, 1, 0, 1])
    before = _f(loss(z, y))
    loss.set_params(**new)
    for key, value in new.items():
        assert loss.get_params()[key] == value
    after = _f(loss(z, y))
    assert after != pytest.approx(before, rel=1e-9)
    assert_allclose(_f(clone(loss)(z, y)), after, rtol=1e-12)
    assert_allclose(_f(type(loss)(**new)(z, y)), after, rtol=1e-12)


def test_fbeta_target_metric_follows_beta():
    loss = FBetaLoss()
    assert loss.target_metric == "f1"
    assert loss.target_metric_params() == {"average": "auto"}
    loss.set_params(beta=2.0, average="weighted")
    assert loss.target_metric == "fbeta"
    assert loss.target_metric_params() == {"average": "weighted", "beta": 2.0}


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


def test_pickle_keeps_learned_state_of_auc_margin():
    loss = AUCMarginLoss()
    loss.setup(2, 10)
    with torch.no_grad():
        loss.a.fill_(0.7)
        loss.b.fill_(0.2)
        loss.alpha.fill_(1.3)
    restored = pickle.loads(pickle.dumps(loss))
    assert _f(restored.a) == pytest.approx(0.7)
    assert _f(restored.alpha) == pytest.approx(1.3)
    z, y = torch.tensor([0.5, -1.0, 2.0, 0.1]), torch.tensor([1, 0, 1, 0])
    assert_allclose(_f(restored(z, y)), _f(loss(z, y)), rtol=1e-6)
    # clone builds a fresh, untrained loss
    assert _f(clone(loss).alpha.detach().sum()) == 0.0


@pytest.mark.parametrize("multiclass", ["ovr", "ovo"])
@pytest.mark.parametrize("loss", _PAIRWISE_CASES, ids=repr)
def test_pairwise_auc_multiclass_skips_columns_without_pairs(loss, multiclass, global_random_seed):
    # class 3 is absent and class 2 only has zero-weight samples: their columns have no pairs
    # and must leave the mean over the others unchanged, with finite gradients
    rng = np.random.RandomState(global_random_seed)
    K = 4
    y = np.concatenate([[0, 1, 2, 2], rng.randint(0, 2, 21)])
    w = rng.uniform(0.1, 2.0, len(y))
    w[y == 2] = 0.0
    Z = torch.tensor(rng.normal(0, 2, (len(y), K)), requires_grad=True)
    loss = clone(loss).set_params(multiclass=multiclass)
    S = Z.detach().numpy() - Z.detach().numpy().mean(1, keepdims=True)
    S = S if getattr(loss, "score", "sigmoid") == "logit" else _softmax(Z.detach().numpy())
    phi = _phi(loss)
    if multiclass == "ovr":
        parts = [_brute_pair_mean(S[:, c], y, w, phi, pos_class=c) for c in range(2)]
    else:
        parts = [_brute_pair_mean(S[:, i], y, w, phi, pos_class=i, neg_mask=(y == 1 - i)) for i in range(2)]
    value = loss(Z, torch.tensor(y), torch.tensor(w))
    assert_allclose(_f(value), np.mean(parts), rtol=1e-10)
    value.backward()
    assert torch.isfinite(Z.grad).all()


@pytest.mark.parametrize("loss", _PAIRWISE_CASES, ids=repr)
@pytest.mark.parametrize("K", [2, 3])
def test_pairwise_auc_without_pairs_is_zero_with_zero_gradient(loss, K):
    z = torch.randn(5, 1 if K == 2 else K, dtype=torch.float64, requires_grad=True)
    value = loss(z, torch.zeros(5, dtype=torch.long))
    assert _f(value) == 0.0
    value.backward()
    assert torch.equal(z.grad, torch.zeros_like(z))
