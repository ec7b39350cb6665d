"""EnsLoss (``sklearn_surrogate.losses._ensloss``): random convex, calibrated losses, one per batch."""

import numpy as np
import pytest
import torch

from sklearn_surrogate.losses import EnsLoss


def test_ensloss_derivatives_are_convex_and_calibrated():
    torch.manual_seed(0)
    z = torch.randn(500, dtype=torch.float64) * 2
    y = torch.randint(0, 2, (500,))
    z.requires_grad_(True)
    out = EnsLoss()(z, y)
    (grad,) = torch.autograd.grad(out, z)
    signs = 2.0 * y - 1.0
    margins = (signs * z).detach()
    derivative = (grad * 500 / signs).numpy()  # d loss / d margin, per sample (mean reduction)
    order = np.argsort(margins.numpy())
    d_sorted, m_sorted = derivative[order], margins.numpy()[order]
    assert np.all(derivative < 0)  # calibration: strictly negative (at 0 too)
    assert np.all(derivative >= -1.0 - 1e-6)  # clipped at -1 (plus the offset)
    inner = m_sorted <= 1.0
    assert np.all(np.diff(d_sorted[inner]) >= -1e-12)  # non-decreasing in the margin: convex
    tail = ~inner
    assert np.all(np.abs(d_sorted[tail]) <= 1.0 / m_sorted[tail] + 1e-6)  # decayed tail
    # the value is the linearisation sum g_i s_i / n
    assert float(out.detach()) == pytest.approx(float(np.mean(derivative * margins.numpy())), rel=1e-9)


def test_ensloss_is_random_per_batch_but_seeded():
    z, y = torch.randn(64), torch.randint(0, 2, (64,))
    torch.manual_seed(1)
    a = float(EnsLoss()(z, y))
    b = float(EnsLoss()(z, y))
    torch.manual_seed(1)
    assert float(EnsLoss()(z, y)) == a and a != b
    with pytest.raises(ValueError, match="binary problems only"):
        EnsLoss()(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]))
