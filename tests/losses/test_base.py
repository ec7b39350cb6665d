"""The base loss's machinery (``sklearn_surrogate.losses._base``), exercised through concrete losses.

Input checks beyond the contract (non-finite weights, ``check_input``), hyper-parameter validation,
numpy scalars as hyper-parameters, and ``set_params`` changing behaviour.
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.base import clone

from sklearn_surrogate.losses import (
    ALDRKLLoss,
    AccuracyLoss,
    AUCExponentialLoss,
    AUCLogisticLoss,
    AUCMarginLoss,
    AUCSquaredHingeLoss,
    AUCSquareLoss,
    BalancedAccuracyLoss,
    CompSumLoss,
    CrossEntropyLoss,
    EnsLoss,
    FBetaLoss,
    FocalLoss,
    GeneralizedCrossEntropyLoss,
    GMeanLoss,
    LDRKLLoss,
    MCCLoss,
)

from ._helpers import _f

pytestmark = pytest.mark.usefixtures("single_torch_thread")


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
    (CrossEntropyLoss, {"label_smoothing": 1.0}, "label_smoothing"),
    (CrossEntropyLoss, {"label_smoothing": -0.1}, "label_smoothing"),
    (CompSumLoss, {"tau": -0.1}, "tau"),
    (CompSumLoss, {"tau": 2.5}, "tau"),
    (GeneralizedCrossEntropyLoss, {"q": 0.0}, "q"),
    (GeneralizedCrossEntropyLoss, {"q": 1.5}, "q"),
    (FocalLoss, {"gamma": -1.0}, "gamma"),
    (FocalLoss, {"alpha": 1.5}, "alpha"),
    (FocalLoss, {"alpha": [0.5, 0.5, 0.5]}, "alpha"),
    (AUCSquareLoss, {"multiclass": "all"}, "multiclass"),
    (CompSumLoss, {"tau": 3.0}, "tau"),
    (LDRKLLoss, {"lam": 0.0}, "lam"),
    (ALDRKLLoss, {"alpha": 1.0}, "alpha"),
    (EnsLoss, {"clip": 0.0}, "clip"),
]


@pytest.mark.parametrize(
    "loss_cls, params, name", _BAD_HYPERPARAMETERS, ids=[f"{c.__name__}-{p}" for c, p, _ in _BAD_HYPERPARAMETERS]
)
def test_invalid_hyperparameters_raise(loss_cls, params, name):
    loss = loss_cls(**params)
    kwargs = {"index": torch.arange(4)} if loss.needs_sample_index else {}
    with pytest.raises(ValueError, match=name):
        loss(torch.tensor([0.5, -1.0, 2.0, 0.0]), torch.tensor([1, 0, 1, 0]), **kwargs)


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


@pytest.mark.parametrize(
    "loss, new",
    [
        (FBetaLoss(), {"beta": 2.0, "L": 20.0, "average": "macro"}),
        (AUCSquareLoss(), {"margin": 0.5}),
        (CrossEntropyLoss(), {"class_weight": [1.0, 3.0]}),
        (CrossEntropyLoss(), {"label_smoothing": 0.1}),
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


@pytest.mark.parametrize("name, param", [("f1", "L"), ("fbeta", "beta"), ("auc_square", "margin"), ("focal", "gamma")])
def test_infinite_hyperparameters_are_refused(name, param):
    """The losses' hyper-parameters must be finite, as check_real required before the scikit-learn constraints."""
    from sklearn_surrogate.losses import get_loss

    loss = get_loss(name, **{param: float("inf")})
    with pytest.raises(ValueError, match=f"The '{param}' parameter of {type(loss).__name__} must be .*Got inf instead"):
        loss.setup(2, 8)
