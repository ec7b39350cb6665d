"""Property-based checks of every registered loss (hypothesis): finite value and gradients anywhere.

Logits anywhere in [-1e4, 1e4] (including exact ties and saturated extremes), batches of 1 to 4096
rows, any class mix (single-class batches included), any non-negative sample weights with at least
one positive, binary and multiclass problems, float32 and float64.
"""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_surrogate.losses._registry import base_loss_names
from sklearn_surrogate.losses import get_loss

# losses whose default configuration is binary-only but that have a multiclass configuration too
MULTICLASS_PARAMS = {"reloss": {"metric": "macro_f1"}}
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def batches(draw, supports_binary, supports_multiclass):
    kinds = ([2] if supports_binary else []) + ([3, 5] if supports_multiclass else [])
    n_classes = draw(st.sampled_from(kinds))
    n = draw(st.one_of(st.integers(1, 16), st.integers(17, 512), st.sampled_from([1024, 4096])))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    # logits: a mixture of scales, exact ties and the extremes of the range
    scale = draw(st.sampled_from([0.0, 1e-3, 1.0, 30.0, 1e3, 1e4]))
    shape = (n,) if n_classes == 2 else (n, n_classes)
    logits = np.clip(rng.standard_normal(shape) * scale, -1e4, 1e4)
    if draw(st.booleans()):
        extremes = rng.random(shape) < 0.2
        logits[extremes] = rng.choice([-1e4, 1e4], size=int(extremes.sum()))
    # class mix: from a single class to uniform
    present = draw(st.integers(1, n_classes))
    targets = rng.choice(rng.permutation(n_classes)[:present], size=n)
    weights = None
    if draw(st.booleans()):
        weights = rng.exponential(size=n) * (rng.random(n) < draw(st.sampled_from([0.1, 0.5, 1.0])))
        weights[rng.integers(n)] = 1.0  # at least one positive weight
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return n_classes, logits, targets, weights, dtype


def _check(name, case):
    n_classes, logits, targets, weights, dtype = case
    loss = get_loss(name, **(MULTICLASS_PARAMS.get(name, {}) if n_classes > 2 else {}))
    loss.setup(n_classes, len(targets))
    loss.train()
    z = torch.tensor(logits, dtype=dtype, requires_grad=True)
    kwargs = {"sample_weight": None if weights is None else torch.tensor(weights, dtype=dtype)}
    if loss.needs_sample_index:
        kwargs["index"] = torch.arange(len(targets))
    value = loss(z, torch.tensor(targets, dtype=torch.long), **kwargs)
    assert value.ndim == 0 and torch.isfinite(value), f"{name}: loss {value} on {n_classes} classes, n={len(targets)}"
    value.backward()
    assert torch.isfinite(z.grad).all(), f"{name}: non-finite gradient on {n_classes} classes, n={len(targets)}"


def _cases(name):
    probe = get_loss(name)
    return batches(probe.supports_binary, probe.supports_multiclass or name in MULTICLASS_PARAMS)


# reloss_<metric> names are reloss with a bound metric (test_registry.py checks them): each loss runs once
@pytest.mark.parametrize("name", base_loss_names())
def test_finite_value_and_gradient_for_any_batch(name):
    @SETTINGS
    @given(case=_cases(name))
    def check(case):
        _check(name, case)

    check()
