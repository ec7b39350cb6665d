"""Tests of the loss registry: ``get_loss``, ``get_loss_names``, ``register_loss``."""

import pytest
import torch
from torch import nn

import sklearn_surrogate
from sklearn_surrogate.losses import (
    AccuracyLoss,
    AUCSquareLoss,
    CrossEntropyLoss,
    FBetaLoss,
    MCCLoss,
    SurrogateLoss,
    _registry,
    get_loss,
    get_loss_names,
    register_loss,
)

# the losses the package documents; others may be added, none may disappear
DOCUMENTED = {
    "cross_entropy": "CrossEntropyLoss",
    "comp_sum": "CompSumLoss",
    "gce": "GeneralizedCrossEntropyLoss",
    "mae": "MAELoss",
    "focal": "FocalLoss",
    "zloss": "ZLoss",
    "f1": "FBetaLoss",
    "fbeta": "FBetaLoss",
    "accuracy": "AccuracyLoss",
    "balanced_accuracy": "BalancedAccuracyLoss",
    "gmean": "GMeanLoss",
    "mcc": "MCCLoss",
    "auc_square": "AUCSquareLoss",
    "auc_squared_hinge": "AUCSquaredHingeLoss",
    "auc_logistic": "AUCLogisticLoss",
    "auc_exp": "AUCExponentialLoss",
    "auc_margin": "AUCMarginLoss",
}


class _CustomLoss(SurrogateLoss):
    """Mean squared error of sigmoid(z) to the label (binary only)."""

    supports_multiclass = False

    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = scale

    def forward(self, logits, targets, sample_weight=None):
        logits, targets, sample_weight = self._check_inputs(logits, targets, sample_weight)
        values = self.scale * (torch.sigmoid(logits) - targets.to(logits.dtype)) ** 2
        return self._weighted_mean(values, sample_weight)


@pytest.fixture
def registry_guard():
    """Names registered by a test are removed afterwards; the registry is left as found."""
    before = dict(_registry._LOSSES)
    added = []
    yield added
    for name in added:
        _registry._LOSSES.pop(name, None)
    # a test that overwrote a built-in entry must not leak it
    for name, entry in before.items():
        _registry._LOSSES[name] = entry
    assert _registry._LOSSES == before


def test_names_sorted_unique_and_documented():
    names = get_loss_names()
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert all(isinstance(name, str) and name for name in names)
    missing = set(DOCUMENTED) - set(names)
    assert not missing, f"documented losses not registered: {sorted(missing)}"
    # the top-level re-export is the same function
    assert sklearn_surrogate.get_loss_names() == names
    assert sklearn_surrogate.get_loss is get_loss
    assert sklearn_surrogate.register_loss is register_loss


def test_get_loss_names_returns_a_copy():
    names = get_loss_names()
    names.append("not_a_loss")
    assert "not_a_loss" not in get_loss_names()


@pytest.mark.parametrize("name", get_loss_names())
def test_get_loss_builds_each_with_defaults(name):
    loss = get_loss(name)
    assert isinstance(loss, nn.Module)
    assert isinstance(loss, SurrogateLoss)
    if name in DOCUMENTED:
        assert type(loss).__name__ == DOCUMENTED[name]
    # each call builds a new instance
    other = get_loss(name)
    assert other is not loss
    assert other.get_params() == loss.get_params()
    # the class attributes of the contract are there, with the right types
    for attr in ("supports_multiclass", "supports_binary", "needs_both_classes", "needs_sample_index"):
        assert isinstance(getattr(loss, attr), bool), attr
    assert loss.supports_binary or loss.supports_multiclass
    assert loss.target_metric is None or isinstance(loss.target_metric, str)
    assert isinstance(loss.target_metric_params(), dict)


def test_registered_defaults_are_applied_and_overridable():
    f1 = get_loss("f1")
    assert isinstance(f1, FBetaLoss)
    assert f1.beta == 1.0
    assert f1.target_metric == "f1"
    fbeta = get_loss("fbeta", beta=2.0)
    assert isinstance(fbeta, FBetaLoss)
    assert fbeta.beta == 2.0
    assert fbeta.target_metric == "fbeta"
    # explicit arguments override the registered defaults
    assert get_loss("f1", beta=0.5).beta == 0.5
    assert get_loss("mcc", L=20.0).L == 20.0
    assert isinstance(get_loss("mcc"), MCCLoss)
    assert isinstance(get_loss("accuracy"), AccuracyLoss)
    assert isinstance(get_loss("auc_square"), AUCSquareLoss)
    assert get_loss("auc_square", margin=0.5).margin == 0.5
    assert get_loss("cross_entropy", class_weight=[1.0, 2.0]).class_weight == [1.0, 2.0]


def test_get_loss_defaults_are_not_shared_between_calls():
    a = get_loss("f1")
    a.set_params(beta=3.0)
    assert get_loss("f1").beta == 1.0


@pytest.mark.parametrize("name", ["f_1", "F1", "", "crossentropy", "roc_auc"])
def test_unknown_name_raises_listing_names(name):
    with pytest.raises(ValueError, match="Unknown loss") as excinfo:
        get_loss(name)
    message = str(excinfo.value)
    assert repr(name) in message
    for registered in get_loss_names():
        assert registered in message


@pytest.mark.parametrize(
    "name, kwargs, bad",
    [
        ("f1", {"betta": 2.0}, "betta"),
        ("cross_entropy", {"weight": [1.0, 2.0]}, "weight"),
        ("auc_square", {"margin": 1.0, "temperature": 2.0}, "temperature"),
        ("mae", {"tau": 2.0}, "tau"),
    ],
)
def test_bad_kwarg_raises_naming_it(name, kwargs, bad):
    with pytest.raises(ValueError, match=repr(bad)) as excinfo:
        get_loss(name, **kwargs)
    message = str(excinfo.value)
    assert repr(name) in message
    # the valid parameters are listed
    for param in get_loss(name).get_params():
        assert repr(param) in message, param


def test_register_custom_loss(registry_guard):
    name = "custom_mse_for_test"
    assert name not in get_loss_names()
    returned = register_loss(name, _CustomLoss, scale=2.0)
    registry_guard.append(name)
    assert returned is _CustomLoss
    assert name in get_loss_names()
    assert get_loss_names() == sorted(get_loss_names())
    loss = get_loss(name)
    assert isinstance(loss, _CustomLoss)
    assert loss.scale == 2.0
    assert get_loss(name, scale=3.0).scale == 3.0
    z = torch.tensor([0.0, 0.0])
    y = torch.tensor([1, 0])
    assert float(loss(z, y)) == pytest.approx(2.0 * 0.25)
    with pytest.raises(ValueError, match="'scal'"):
        get_loss(name, scal=1.0)
    # also usable from the top-level package
    assert isinstance(sklearn_surrogate.get_loss(name), _CustomLoss)


def test_register_duplicate_name_needs_overwrite(registry_guard):
    name = "custom_dup_for_test"
    register_loss(name, _CustomLoss)
    registry_guard.append(name)
    with pytest.raises(ValueError, match=name):
        register_loss(name, CrossEntropyLoss)
    assert isinstance(get_loss(name), _CustomLoss)  # unchanged
    register_loss(name, CrossEntropyLoss, overwrite=True)
    assert isinstance(get_loss(name), CrossEntropyLoss)


def test_register_builtin_duplicate_raises():
    with pytest.raises(ValueError, match="already registered"):
        register_loss("f1", _CustomLoss)
    assert isinstance(get_loss("f1"), FBetaLoss)


def test_register_factory_function(registry_guard):
    name = "custom_factory_for_test"

    def factory(beta=1.0, **kwargs):
        return FBetaLoss(beta=beta, **kwargs)

    register_loss(name, factory, beta=3.0)
    registry_guard.append(name)
    loss = get_loss(name)
    assert isinstance(loss, FBetaLoss)
    assert loss.beta == 3.0
    assert get_loss(name, L=5.0).L == 5.0


def test_factory_returning_non_module_raises(registry_guard):
    name = "custom_bad_factory_for_test"
    register_loss(name, lambda: "not a module")
    registry_guard.append(name)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        get_loss(name)


@pytest.mark.parametrize("name", ["", None, 3, ("f1",)])
def test_register_bad_name_raises(name):
    with pytest.raises(TypeError, match="name"):
        register_loss(name, _CustomLoss)


def test_register_non_callable_raises():
    with pytest.raises(TypeError, match="register_loss"):
        register_loss("custom_not_callable_for_test", 42)
    assert "custom_not_callable_for_test" not in get_loss_names()


def test_registry_left_clean():
    # the guard removed every custom entry of the tests above
    assert not [n for n in get_loss_names() if n.startswith("custom_") and n.endswith("_for_test")]


# -- the learned surrogates register from sklearn_surrogate.learned --------------------


def test_importing_the_losses_does_not_load_the_learned_package():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import sklearn_surrogate.losses as losses\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('sklearn_surrogate.learned'))\n"
        "assert not loaded, loaded\n"
        "assert type(losses.get_loss('reloss')).__name__ == 'ReLoss'\n"
        "assert 'sklearn_surrogate.learned' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_first_look_ups_from_several_threads_all_see_the_learned_losses():
    """The learned package loads on the first look-up; threads arriving meanwhile wait for the full registry."""
    import subprocess
    import sys

    code = (
        "import threading\n"
        "from sklearn_surrogate.losses import get_loss\n"
        "results, start = [], threading.Barrier(8)\n"
        "def look_up():\n"
        "    start.wait()\n"
        "    try:\n"
        "        results.append(type(get_loss('reloss_f1')).__name__)\n"
        "    except Exception as exc:\n"
        "        results.append(repr(exc))\n"
        "threads = [threading.Thread(target=look_up) for _ in range(8)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "assert results == ['ReLoss'] * 8, results\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("metric", ["f1", "roc_auc", "balanced_accuracy", "accuracy", "mcc", "macro_f1"])
def test_reloss_metric_variants_are_reloss_with_that_metric(metric):
    from sklearn_surrogate.learned import ReLoss
    from sklearn_surrogate.losses._registry import base_loss_names, estimator_params

    name = f"reloss_{metric}"
    assert name in get_loss_names() and name not in base_loss_names()
    loss = get_loss(name)
    assert type(loss) is ReLoss
    assert loss.get_params() == get_loss("reloss", metric=metric).get_params()
    assert get_loss(name, ce_weight=0.0).ce_weight == 0.0  # explicit parameters still override
    assert estimator_params(name) == {"loss": "reloss", "loss__metric": metric}
    assert sklearn_surrogate.SurrogateClassifier(**estimator_params(name)).get_params()["loss__metric"] == metric
