"""Cross-entropy and its relatives (``sklearn_surrogate.losses._cross_entropy``).

Cross-entropy against torch, and comp-sum, generalised cross-entropy, MAE, focal and Z-loss against their
papers' formulas computed independently in numpy.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose
from scipy.special import expit, log_softmax, softmax

from sklearn_surrogate.losses import (
    CompSumLoss,
    CrossEntropyLoss,
    FocalLoss,
    GeneralizedCrossEntropyLoss,
    LDRKLLoss,
    MAELoss,
    ZLoss,
)

from ._helpers import DTYPES, TOL, _f, _softmax, value

pytestmark = pytest.mark.usefixtures("single_torch_thread")


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


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_cross_entropy_label_smoothing_formula(dtype):
    # hand-computed: target (1 - eps) one-hot + eps / K, loss -sum_k q_k log softmax_k
    eps = 0.1
    Z = np.array([[2.0, 0.0, -1.0], [0.5, 1.0, 0.0], [-1.0, 0.0, 3.0]])
    Y = np.array([0, 2, 2])
    q = np.full((3, 3), eps / 3)
    q[np.arange(3), Y] += 1 - eps
    expected = -(q * log_softmax(Z, axis=1)).sum(axis=1).mean()
    assert value(CrossEntropyLoss(label_smoothing=eps), Z, Y, dtype) == pytest.approx(expected, **TOL[dtype])
    assert expected == pytest.approx(0.7553, abs=1e-4)  # the docstring's example
    # binary: target y (1 - eps) + eps / 2 for sigma(z), the two-class softmax over (0, z)
    z, y = np.array([2.0, -1.0, 0.5, -4.0]), np.array([1, 0, 0, 1])
    t = y * (1 - eps) + eps / 2
    expected = np.mean(-t * np.log(expit(z)) - (1 - t) * np.log(expit(-z)))
    assert value(CrossEntropyLoss(label_smoothing=eps), z, y, dtype) == pytest.approx(expected, **TOL[dtype])
    two = np.column_stack([np.zeros(4), z])
    assert value(CrossEntropyLoss(label_smoothing=eps), two, y, dtype) == pytest.approx(expected, **TOL[dtype])


def test_cross_entropy_label_smoothing_weighted_path_matches_fused_path(global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    for shape, k in [((40,), 2), ((40, 4), 4)]:
        Z = torch.tensor(rng.normal(0, 2, shape))
        Y = torch.tensor(rng.randint(0, k, 40))
        loss = CrossEntropyLoss(label_smoothing=0.2)
        # equal sample weights take the per-sample route, no weights the fused one: same value
        assert_allclose(_f(loss(Z, Y, torch.full((40,), 3.0, dtype=torch.float64))), _f(loss(Z, Y)), rtol=1e-12)
        # and class weights weigh the smoothed per-sample losses
        cw = torch.tensor(rng.uniform(0.5, 2.0, k))
        per = -(
            ((1 - 0.2) * F.one_hot(Y, k).double() + 0.2 / k)
            * torch.log_softmax(Z if Z.ndim == 2 else torch.stack([torch.zeros_like(Z), Z], 1), dim=1)
        ).sum(1)
        expected = (cw[Y] * per).sum() / cw[Y].sum()
        got = CrossEntropyLoss(class_weight=cw.tolist(), label_smoothing=0.2)(Z, Y)
        assert_allclose(_f(got), _f(expected), rtol=1e-10)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_cross_entropy_label_smoothing_is_bounded_below_and_finite_at_extreme_logits(dtype):
    # smoothing keeps a confident right answer from costing nothing: at logits +-1e4 the loss of a right answer
    # is eps / K * 2e4 per wrong class (its log-probability is -2e4), and the gradient pulls the logits back
    Z = torch.tensor([[1e4, -1e4, -1e4]], dtype=dtype, requires_grad=True)
    loss = CrossEntropyLoss(label_smoothing=0.3)(Z, torch.tensor([0]))
    assert_allclose(_f(loss), 2 * 0.1 * 2e4, rtol=1e-5)
    loss.backward()
    assert torch.isfinite(Z.grad).all()
    assert Z.grad[0, 0] > 0 and (Z.grad[0, 1:] < 0).all()  # descent lowers the winning logit
    z = torch.tensor([1e4, -1e4], dtype=dtype, requires_grad=True)
    loss = CrossEntropyLoss(label_smoothing=0.3)(z, torch.tensor([1, 0]))
    assert_allclose(_f(loss), 0.15 * 1e4, rtol=1e-5)
    loss.backward()
    assert torch.isfinite(z.grad).all()
    assert_allclose(z.grad.numpy(), [0.15 / 2, -0.15 / 2], rtol=1e-5)


def test_cross_entropy_bad_class_weight():
    with pytest.raises(ValueError, match="class_weight"):
        CrossEntropyLoss(class_weight=[1.0, 2.0])(torch.zeros(4, 3), torch.tensor([0, 1, 2, 0]))



@pytest.mark.parametrize("dtype", DTYPES)
def test_comp_sum_family(dtype):
    rng = np.random.default_rng(2)
    logits, y = rng.normal(size=(10, 4)), rng.integers(0, 4, 10)
    p_y = softmax(logits, axis=1)[np.arange(10), y]
    u = 1 / p_y - 1
    for tau in [0.0, 0.5, 1.0, 1.3, 2.0]:
        phi = np.log1p(u) if tau == 1 else ((1 + u) ** (1 - tau) - 1) / (1 - tau)
        assert value(CompSumLoss(tau=tau), logits, y, dtype) == pytest.approx(phi.mean(), **TOL[dtype]), tau
    assert value(CompSumLoss(tau=0.0), logits, y, dtype) == pytest.approx(u.mean(), **TOL[dtype])  # sum-exp
    assert value(GeneralizedCrossEntropyLoss(q=0.7), logits, y, dtype) == pytest.approx(
        np.mean((1 - p_y**0.7) / 0.7), **TOL[dtype]
    )
    assert value(MAELoss(), logits, y, dtype) == pytest.approx(np.mean(1 - p_y), **TOL[dtype])
    ce = -log_softmax(logits, axis=1)[np.arange(10), y].mean()
    assert value(CrossEntropyLoss(), logits, y, dtype) == pytest.approx(ce, **TOL[dtype])


def test_binary_logit_is_two_class_softmax():
    z, y = np.array([1.2, -0.4, 3.0]), np.array([1, 0, 0])
    two = np.column_stack([np.zeros(3), z])
    for loss in [CrossEntropyLoss(), CompSumLoss(tau=0.5), FocalLoss(), LDRKLLoss()]:
        assert value(loss, z, y, torch.float64) == pytest.approx(value(loss, two, y, torch.float64), rel=1e-9)


def test_focal_loss_formula():
    z, y = np.array([2.0, -1.0, 0.5]), np.array([1, 1, 0])
    p = expit(z)
    p_t = np.where(y == 1, p, 1 - p)
    expected = np.mean(-((1 - p_t) ** 2) * np.log(p_t))
    assert value(FocalLoss(gamma=2.0), z, y, torch.float64) == pytest.approx(expected, rel=1e-9)
    alpha_t = np.where(y == 1, 0.25, 0.75)
    assert value(FocalLoss(gamma=2.0, alpha=0.25), z, y, torch.float64) == pytest.approx(
        np.mean(alpha_t * -((1 - p_t) ** 2) * np.log(p_t)), rel=1e-9
    )
    # gamma = 0 is cross-entropy
    assert value(FocalLoss(gamma=0.0), z, y, torch.float64) == pytest.approx(
        value(CrossEntropyLoss(), z, y, torch.float64), rel=1e-12
    )


def test_z_loss_formula_and_invariance():
    o, y = np.array([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]]), np.array([2, 0])
    z = (o - o.mean(1, keepdims=True)) / o.std(1, keepdims=True)  # population std, as in the paper
    a, b = 2.0, 1.5
    expected = np.mean(np.log1p(np.exp(a * (b - z[np.arange(2), y]))) / a)
    loss = ZLoss(a=a, b=b)
    assert value(loss, o, y, torch.float64) == pytest.approx(expected, rel=1e-6)
    assert value(loss, 3.0 * o + 7.0, y, torch.float64) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="at least 3 classes"):
        loss(torch.randn(4), torch.tensor([0, 1, 0, 1]))



@pytest.mark.parametrize("params", [{"a": 0.0}, {"a": -1.0}, {"b": float("nan")}])
def test_zloss_invalid_hyperparameters_raise(params):
    with pytest.raises(ValueError, match=next(iter(params))):
        ZLoss(**params)(torch.zeros(3, 3), torch.tensor([0, 1, 2]))
