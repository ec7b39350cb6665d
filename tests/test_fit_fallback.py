"""A loss that names a fallback (a learned surrogate) never returns a degenerate model silently.

``SurrogateClassifier`` checks every fit of such a loss on the rows it was
fitted on: an inverted ranking (ROC AUC < 0.5), or one class predicted for 99 %
of the rows with the target metric below the best constant prediction's, makes
it warn (``DegenerateFitWarning``) and refit once with the loss's fallback
(ReLoss: its cross-entropy term alone).
"""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import f1_score, roc_auc_score

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.exceptions import DegenerateFitWarning
from sklearn_surrogate.learned import ReLoss
from sklearn_surrogate.losses import CrossEntropyLoss


class _Rewarding(torch.nn.Module):
    """A stand-in for a learned surrogate: ``sign`` x the gap between the positives' and the negatives' mean
    probability of their own class, plus ``shift`` x the mean probability of class 1 (lower is better).

    ``sign=-1`` is a sound surrogate (it rewards separating the classes), ``sign=+1`` one learned backwards
    (it rewards the inverted ranking), and ``shift=+1`` one that rewards predicting nothing positive.
    """

    def __init__(self, sign=1.0, shift=0.0):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(1.0))  # frozen by ReLoss; a network has parameters
        self.sign, self.shift = sign, shift

    def forward(self, P, Y, weights=None):
        own = (P * Y).sum(1)  # probability of the true class
        members = Y.sum(0).clamp_min(1.0)
        per_class = (own[:, None] * Y).sum(0) / members  # mean probability of its own class, per class
        return self.scale * (self.sign * per_class.mean() + self.shift * P[:, 1:].mean())


def _data(n_classes=2, random_state=0):
    X, y = make_classification(n_samples=400, n_features=8, n_informative=5, n_classes=n_classes,
                               n_clusters_per_class=1, class_sep=1.5, random_state=random_state)
    return X.astype(np.float32), y


def _model(surrogate, **params):
    loss = ReLoss(metric=params.pop("metric", "f1"), surrogate=surrogate, ce_weight=0.0)
    params = {"max_iter": 30, "learning_rate_init": 0.01, "random_state": 0, **params}
    return SurrogateClassifier(loss=loss, **params)


def test_a_surrogate_learned_backwards_is_caught_and_the_fit_falls_back_to_cross_entropy():
    X, y = _data()
    model = _model(_Rewarding(sign=+1.0))
    with pytest.warns(DegenerateFitWarning, match=r"ranks the rows it was fitted on inverted \(ROC AUC 0\.\d+ < 0\.5\)"):
        model.fit(X, y)
    assert "inverted" in model.fallback_
    assert model.loss_.surrogate_off  # the model returned is the fallback's
    assert roc_auc_score(y, model.decision_function(X)) > 0.9
    assert f1_score(y, model.predict(X)) > 0.8


def test_a_surrogate_of_a_user_metric_is_checked_on_its_ranking():
    X, y = _data()
    model = SurrogateClassifier(loss=ReLoss(metric=None, surrogate=_Rewarding(sign=+1.0), ce_weight=0.0),
                                max_iter=30, learning_rate_init=0.01, random_state=0)
    with pytest.warns(DegenerateFitWarning, match="inverted"):
        model.fit(X, y)  # no target metric to compare with a constant: the ranking alone is checked
    assert "inverted" in model.fallback_


def test_the_check_sees_what_the_surrogate_alone_would_have_returned():
    # the same fit without the check's refit: the surrogate really inverts the model (the test can fail)
    X, y = _data()
    model = _model(_Rewarding(sign=+1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateFitWarning)
        with pytest.raises(DegenerateFitWarning):
            model.fit(X, y)
    assert not hasattr(model, "net_")  # a failed fit leaves the estimator as it was
    sound = _model(_Rewarding(sign=-1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateFitWarning)
        sound.fit(X, y)
    assert sound.fallback_ is None and not sound.loss_.surrogate_off
    assert roc_auc_score(y, sound.decision_function(X)) > 0.9


def test_a_model_below_the_constant_prediction_falls_back():
    # a surrogate that rewards predicting nothing positive: F1 0, below predicting everything positive
    X, y = _data()
    model = _model(_Rewarding(sign=0.0, shift=+1.0))
    with pytest.warns(DegenerateFitWarning, match="below the best constant prediction's"):
        model.fit(X, y)
    assert "f1" in model.fallback_
    assert f1_score(y, model.predict(X)) > 0.8


def test_multiclass_inversion_is_caught():
    X, y = _data(n_classes=3)
    model = _model(_Rewarding(sign=+1.0), metric="macro_f1")
    with pytest.warns(DegenerateFitWarning, match="inverted"):
        model.fit(X, y)
    proba = model.predict_proba(X)
    assert roc_auc_score(y, proba, multi_class="ovr") > 0.8


def test_losses_without_a_fallback_are_not_checked_and_fallback_is_reset():
    X, y = _data()
    model = SurrogateClassifier(max_iter=5, random_state=0).fit(X, y)
    assert model.fallback_ is None
    assert CrossEntropyLoss().fallback_loss() is None
    refit = _model(_Rewarding(sign=+1.0))
    with pytest.warns(DegenerateFitWarning):
        refit.fit(X, y)
    refit.set_params(loss=ReLoss(metric="f1", surrogate=_Rewarding(sign=-1.0), ce_weight=0.0)).fit(X, y)
    assert refit.fallback_ is None  # each fit says whether it fell back


def test_relosss_fallback_is_its_cross_entropy_term():
    loss = ReLoss(metric="f1", surrogate=_Rewarding(sign=+1.0), ce_weight=0.3)
    fallback = loss.fallback_loss()
    assert fallback.surrogate_off and not loss.surrogate_off and fallback.target_metric == "f1"
    logits = torch.tensor([2.0, -1.0, 0.5, -3.0], dtype=torch.float64)
    targets = torch.tensor([1, 0, 0, 1])
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets.double())
    torch.testing.assert_close(fallback(logits, targets), expected)


def test_a_fallback_model_pickles_and_keeps_its_fallback_loss_when_loaded_and_continued():
    X, y = _data()
    model = _model(_Rewarding(sign=+1.0))
    with pytest.warns(DegenerateFitWarning):
        model.fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.fallback_ == model.fallback_ and not hasattr(clone(model), "fallback_")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.loss_.surrogate_off  # rebuilt as the loss that trained it
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateFitWarning)
        loaded.partial_fit(X, y)  # continues with cross-entropy: no new check, no inversion
    assert loaded.loss_.surrogate_off and loaded.fallback_ == model.fallback_
    assert roc_auc_score(y, loaded.decision_function(X)) > 0.9
    fresh = clone(model).set_params(warm_start=False)
    with pytest.warns(DegenerateFitWarning):  # a new fit starts from the surrogate again
        fresh.fit(X, y)


def test_a_weak_model_that_predicts_several_classes_is_not_flagged():
    # a surrogate with no gradient leaves the network as initialised: weak, below "all positive" on F1, but
    # predicting both classes, which is undertraining, not a stuck fit
    # (half the initialisations rank inverted, by symmetry, and would be flagged for that: this one does not)
    X, y = _data()
    model = _model(_Rewarding(sign=0.0, shift=0.0), max_iter=2, random_state=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateFitWarning)
        model.fit(X, y)
    predicted = model.predict(X)
    assert roc_auc_score(y, model.decision_function(X)) > 0.5
    assert 0.05 < predicted.mean() < 0.95  # both classes predicted
    assert f1_score(y, predicted) < f1_score(y, np.ones_like(y))  # and below the constant: not flagged for it
    assert model.fallback_ is None
