"""The pairwise AUC losses and AUC-M (``sklearn_surrogate.losses._auc``).

Against O(n^2) brute force over (positive, negative) pairs, binary and multiclass (one-vs-rest and
one-vs-one), weighted and not; hand-computed values; the pair budget of the logistic loss; AUC-M's
min-max formula, its ascent in alpha and its state.
"""

import math
import pickle

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from scipy.special import expit
from sklearn.base import clone

from sklearn_surrogate.losses import (
    AUCExponentialLoss,
    AUCLogisticLoss,
    AUCMarginLoss,
    AUCSquaredHingeLoss,
    AUCSquareLoss,
)

from ._helpers import DTYPES, TOL, _f, _sigmoid, _softmax

pytestmark = pytest.mark.usefixtures("single_torch_thread")

PAIRWISE_AUC_LOSSES = [AUCSquareLoss, AUCSquaredHingeLoss, AUCExponentialLoss, AUCLogisticLoss]


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


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", _PAIRWISE_CASES, ids=repr)
def test_pairwise_auc_binary_matches_brute_force(loss, weighted, dtype, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    z = rng.normal(0, 2, 23)
    y = rng.randint(0, 2, 23)
    y[:2] = [0, 1]
    w = rng.uniform(0.0, 2.0, 23) if weighted else None
    s = z if getattr(loss, "score", "sigmoid") == "logit" else _sigmoid(z)
    expected = _brute_pair_mean(s, y, w, _phi(loss))
    got = loss(torch.tensor(z, dtype=dtype), torch.tensor(y), None if w is None else torch.tensor(w, dtype=dtype))
    assert got.dtype == dtype
    if dtype == torch.float64:
        assert_allclose(_f(got), expected, rtol=1e-10)
    else:  # the inputs themselves are rounded to float32
        assert _f(got) == pytest.approx(expected, **TOL[dtype])


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


def test_auc_square_hand_computed():
    # z = [0, 0, ln 3] with y = [1, 0, 0]: s = [1/2, 1/2, 3/4]
    # pairs (p, n): (1/2, 1/2) -> (1 - 0)^2 = 1, (1/2, 3/4) -> (1 + 1/4)^2 = 25/16 ; mean = 41/32
    z = torch.tensor([0.0, 0.0, math.log(3)], dtype=torch.float64)
    y = torch.tensor([1, 0, 0])
    assert_allclose(_f(AUCSquareLoss()(z, y)), 41 / 32, rtol=1e-12)
    # weights (2, 1, 3): (2*1*1 + 2*3*25/16) / (2*1 + 2*3) = (2 + 75/8) / 8 = 91/64
    w = torch.tensor([2.0, 1.0, 3.0], dtype=torch.float64)
    assert_allclose(_f(AUCSquareLoss()(z, y, w)), 91 / 64, rtol=1e-12)


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
# the logistic loss's pair budget
# ---------------------------------------------------------------------------
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



# ---------------------------------------------------------------------------
# AUC-M
# ---------------------------------------------------------------------------
AUC_Z = [2.0, -1.0, 0.3, -0.2, 1.5, -3.0, 0.0]


AUC_Y = [1, 0, 1, 1, 0, 0, 1]


def test_auc_margin_formula_and_ascent():
    z, y = np.array(AUC_Z), np.array(AUC_Y)
    s = expit(z)
    loss = AUCMarginLoss(margin=1.0)
    loss.setup(2, len(z))
    with torch.no_grad():
        loss.a.fill_(0.7)
        loss.b.fill_(0.2)
        loss.alpha.fill_(0.3)
    p = y.mean()
    a, b, alpha, m = 0.7, 0.2, 0.3, 1.0
    expected = (
        (1 - p) * np.mean((s - a) ** 2 * (y == 1))
        + p * np.mean((s - b) ** 2 * (y == 0))
        + 2 * alpha * (p * (1 - p) * m + np.mean(p * s * (y == 0) - (1 - p) * s * (y == 1)))
        - p * (1 - p) * alpha**2
    )
    out = loss(torch.tensor(z, dtype=torch.float32), torch.tensor(y))
    assert float(out.detach()) == pytest.approx(expected, rel=1e-5)
    # one plain SGD step *descends* in a, b and *ascends* in alpha
    grad_alpha_true = 2 * (p * (1 - p) * m + np.mean(p * s * (y == 0) - (1 - p) * s * (y == 1))) - 2 * p * (1 - p) * alpha
    opt = torch.optim.SGD(loss.parameters(), lr=0.1)
    opt.zero_grad()
    out.backward()
    assert float(loss.alpha.grad) == pytest.approx(-grad_alpha_true, rel=1e-5)
    opt.step()
    assert float(loss.alpha.detach()) == pytest.approx(alpha + 0.1 * grad_alpha_true, rel=1e-5)
    # alpha is projected back onto alpha >= 0 at the next forward pass
    with torch.no_grad():
        loss.alpha.fill_(-1.0)
    loss(torch.tensor(z, dtype=torch.float32), torch.tensor(y))
    assert float(loss.alpha.detach()) == 0.0



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
