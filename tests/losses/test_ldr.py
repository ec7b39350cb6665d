"""The label-distributionally robust losses (``sklearn_surrogate.losses._ldr``): LDR-KL and ALDR-KL."""

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp, softmax

from sklearn_surrogate.losses import ALDRKLLoss, LDRKLLoss

from ._helpers import DTYPES, TOL, value


def ldr_reference(f, y, c, lam):
    """lambda * log mean_k exp((f_k - f_y + c [k != y]) / lambda) on softplus/mean-normalised scores."""
    s = np.log1p(np.exp(f))
    s = s / s.mean(1, keepdims=True)
    delta = s - s[np.arange(len(y)), y][:, None] + c * (np.arange(f.shape[1])[None, :] != y[:, None])
    return lam * (logsumexp(delta / lam, axis=1) - np.log(f.shape[1]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ldr_kl_formula(dtype):
    rng = np.random.default_rng(3)
    f, y = rng.normal(size=(8, 4)), rng.integers(0, 4, 8)
    for c, lam in [(2.0, 1.0), (0.1, 0.1), (1.0, 10.0)]:
        assert value(LDRKLLoss(margin=c, lam=lam), f, y, dtype) == pytest.approx(
            ldr_reference(f, y, c, lam).mean(), **TOL[dtype]
        )
    # by hand: K = 2, f = (0, 0) -> scores (1, 1), delta = (0, c) for y = 0
    # loss = lam log((e^0 + e^{c/lam}) / 2); c = 2, lam = 1 -> log((1 + e^2)/2) = 1.4338
    assert value(LDRKLLoss(), [[0.0, 0.0]], [0], torch.float64) == pytest.approx(math.log((1 + math.e**2) / 2))


def test_aldr_kl_lambda_update_and_value():
    rng = np.random.default_rng(4)
    f, y = rng.normal(size=(6, 3)) * 2, rng.integers(0, 3, 6)
    lam0, alpha, c = 1.0, 2.0, 1.0
    loss = ALDRKLLoss(margin=c, lam0=lam0, alpha=alpha)
    loss.setup(3, 10)
    index = torch.tensor([9, 0, 3, 4, 5, 7])
    out = float(loss(torch.tensor(f), torch.tensor(y), index=index))
    s = np.log1p(np.exp(f))
    s = s / s.mean(1, keepdims=True)
    q = softmax(s / lam0, axis=1)  # from the current (initial) temperatures
    kl = np.sum(q * np.log(3 * q), axis=1)
    lam = lam0 * (1 - kl / (alpha * np.log(3)))
    delta = s - s[np.arange(6), y][:, None] + c * (np.arange(3)[None, :] != y[:, None])
    values = lam * (logsumexp(delta / lam[:, None], axis=1) - np.log(3)) - alpha * np.log(3) / (2 * lam0) * (lam - lam0) ** 2
    assert out == pytest.approx(values.mean(), rel=1e-9)
    np.testing.assert_allclose(loss.lambdas[index].numpy(), lam, rtol=1e-6)
    untouched = [i for i in range(10) if i not in index.tolist()]
    assert torch.all(loss.lambdas[untouched] == lam0)
    assert torch.all(loss.lambdas >= lam0 * (1 - 1 / alpha))
    # evaluation mode leaves the state alone
    before = loss.lambdas.clone()
    loss.eval()
    loss(torch.tensor(f), torch.tensor(y), index=index)
    assert torch.equal(before, loss.lambdas)
    with pytest.raises(ValueError, match="index"):
        loss(torch.tensor(f), torch.tensor(y))
