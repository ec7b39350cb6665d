"""Helpers shared by the loss tests: the registered losses by problem kind, batches, calls, conversions."""

import functools

import numpy as np
import torch

from sklearn_surrogate.losses import get_loss
from sklearn_surrogate.losses._registry import base_loss_names

# reloss_<metric> names are reloss with a bound metric (test_registry.py checks them): each loss runs once
LOSS_NAMES = base_loss_names()
DTYPES = [torch.float32, torch.float64]
N_CLASSES_MULTI = 3
_KINDS = ("binary", "multiclass")
# losses whose default configuration is binary-only but that have a multiclass configuration too
MULTICLASS_PARAMS = {"reloss": {"metric": "macro_f1"}}


def _loss_for(name, kind):
    """A registered loss configured for the problem kind (a multiclass configuration where one is needed)."""
    return get_loss(name, **(MULTICLASS_PARAMS.get(name, {}) if kind == "multiclass" else {}))


def _supports(loss, kind):
    return loss.supports_binary if kind == "binary" else loss.supports_multiclass


# (name, kind) for every problem kind each registered loss supports (in some configuration), and the ones
# its default configuration refuses
SUPPORTED = [(name, kind) for name in LOSS_NAMES for kind in _KINDS if _supports(_loss_for(name, kind), kind)]
UNSUPPORTED = [(name, kind) for name in LOSS_NAMES for kind in _KINDS if not _supports(get_loss(name), kind)]


def _fresh_loss(name, kind, n_samples):
    """A registered loss with defaults, set up as the estimator would."""
    loss = _loss_for(name, kind)
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


def _valid_batch(loss, kind=None):
    """A small valid batch for the loss: binary where it supports that (or where ``kind`` says so)."""
    if kind == "binary" or (kind is None and loss.supports_binary):
        return torch.tensor([0.5, -1.0, 2.0, 0.1]), torch.tensor([1, 0, 1, 0]), 2
    return torch.tensor([[0.5, -1.0, 2.0]] * 4), torch.tensor([0, 1, 2, 0]), 3


def _f(x):
    """A Python float from a number or a 0-d tensor (detached: some losses have parameters)."""
    return float(x.detach()) if isinstance(x, torch.Tensor) else float(x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


TOL = {torch.float32: dict(rel=2e-4, abs=2e-5), torch.float64: dict(rel=1e-9, abs=1e-9)}


def value(loss, logits, targets, dtype, weight=None, **kwargs):
    """The loss's value as a float, on logits, targets and weights given as lists or arrays."""
    z = torch.tensor(logits, dtype=dtype)
    w = None if weight is None else torch.tensor(weight, dtype=dtype)
    return float(loss(z, torch.tensor(targets), sample_weight=w, **kwargs))
