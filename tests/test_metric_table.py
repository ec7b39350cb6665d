"""The metric table: every entry is consistent with the scorer, the losses and its own smooth form."""

import inspect

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_surrogate import SurrogateScorer, get_metric_names, make_surrogate_scorer
from sklearn_surrogate._metric_table import METRIC_TABLE, expected_confusion_matrix
from sklearn_surrogate.losses import get_loss


def test_scorer_names_are_the_table():
    assert get_metric_names() == sorted(METRIC_TABLE)


# the options a metric cannot do without (the operating-region metrics)
REQUIRED = {"partial_auc": {"max_fpr": 0.1}, "tpr_at_fpr": {"max_fpr": 0.1},
            "recall_at_precision": {"min_precision": 0.8}, "precision_at_k": {"k": 5}}


@pytest.mark.parametrize("name", sorted(n for n, e in METRIC_TABLE.items() if e.loss is not None))
def test_entry_loss_is_registered_and_its_parameters_exist(name):
    entry = METRIC_TABLE[name]
    assert entry.response in ("label", "score")
    scorer_params = inspect.signature(SurrogateScorer).parameters
    assert set(entry.loss_params) <= set(scorer_params)
    loss = get_loss(entry.loss)
    # a loss parameter, or (dict parameter, key) for a learned surrogate's metric_params
    assert {p[0] if isinstance(p, tuple) else p for p in entry.loss_params.values()} <= set(loss.get_params())
    scorer = make_surrogate_scorer(name, **REQUIRED.get(name, {}))
    built = scorer.surrogate_loss()
    assert type(built) is type(loss)
    for scorer_param, loss_param in entry.loss_params.items():  # the scorer's options reach the loss
        if scorer_param in REQUIRED.get(name, {}):
            value = (built.get_params()[loss_param[0]][loss_param[1]] if isinstance(loss_param, tuple)
                     else built.get_params()[loss_param])
            assert value == REQUIRED[name][scorer_param]


def test_an_entry_without_loss_says_so(monkeypatch):
    # every entry names a loss now; one added without (loss=None) must make the scorer refuse clearly
    import dataclasses

    monkeypatch.setitem(METRIC_TABLE, "gmean", dataclasses.replace(METRIC_TABLE["gmean"], loss=None))
    with pytest.raises(ValueError, match="The metric 'gmean' has no surrogate loss yet"):
        make_surrogate_scorer("gmean").surrogate_loss()


def test_a_loss_for_the_greater_label_refuses_another_pos_label():
    scorer = make_surrogate_scorer("recall_at_precision", min_precision=0.8, pos_label="bad")
    with pytest.raises(ValueError, match=r"reloss_recall_at_precision\) trains for the greater label; it takes "
                                         r"no pos_label \(got 'bad'\)"):
        scorer.surrogate_loss()


@pytest.mark.parametrize("name", sorted(n for n, e in METRIC_TABLE.items() if e.smooth is not None))
@pytest.mark.parametrize("n_classes", [2, 3])
def test_smooth_form_of_one_hot_probabilities_is_the_exact_metric(name, n_classes):
    entry = METRIC_TABLE[name]
    rng = np.random.default_rng(n_classes)
    y = np.arange(40) % n_classes
    y_pred = np.where(rng.random(40) < 0.7, y, rng.integers(0, n_classes, 40))
    weights = rng.random(40)
    C = expected_confusion_matrix(y, np.eye(n_classes)[y_pred], weights)
    average = "binary" if n_classes == 2 else "macro"
    smooth = entry.smooth(C, average=average, pos_index=1, beta=2.0)
    exact = entry.score(
        y, y_pred, sample_weight=weights, average=average, pos_label=1, beta=2.0,
        labels=None if n_classes == 2 else list(range(n_classes)), classes=list(range(n_classes)),
    )
    assert_allclose(smooth, exact)


def test_unknown_option_is_refused():
    with pytest.raises(TypeError, match="bogus"):
        METRIC_TABLE["f1"].score([0, 1], [0, 1], bogus=1)


@pytest.mark.parametrize("beta", [np.inf, np.float32(-1.0)])
def test_infinite_or_negative_beta_is_refused(beta):
    with pytest.raises(ValueError, match="beta"):
        make_surrogate_scorer("fbeta", beta=beta)
