"""``make_surrogate_scorer`` on multilabel-indicator targets, against scikit-learn's metrics directly.

Estimators: ``MultiOutputClassifier(SurrogateClassifier(...))`` (``predict_proba`` is a list of
``(n, 2)`` arrays), ``KNeighborsClassifier`` (natively multilabel, same list) and
``OneVsRestClassifier(LogisticRegression())`` (``decision_function`` of shape ``(n, L)``).
"""

import functools

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    fbeta_score,
    get_scorer,
    make_scorer,
    roc_auc_score,
)
from sklearn.model_selection import KFold, cross_validate
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neighbors import KNeighborsClassifier

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer

AVERAGES = ["micro", "macro", "weighted", "samples"]
ESTIMATORS = {
    "surrogate": lambda: MultiOutputClassifier(
        SurrogateClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    ),
    "knn": lambda: KNeighborsClassifier(n_neighbors=7),
    "ovr_lr": lambda: OneVsRestClassifier(LogisticRegression(solver="newton-cholesky")),
}


@functools.cache
def _data():
    # every sample has a label and lacks one (per-sample ROC AUC and average precision need both)
    X, Y = make_multilabel_classification(
        n_samples=400, n_features=8, n_classes=4, n_labels=2, allow_unlabeled=False, random_state=0
    )
    keep = Y.sum(axis=1) < Y.shape[1]
    X, Y = X[keep][:300], Y[keep][:300]
    assert len(Y) == 300
    w = np.random.RandomState(0).uniform(0.2, 3.0, len(Y))
    return X[:200], Y[:200], X[200:], Y[200:], w[200:]


@functools.cache
def _fitted(est_key):
    X_train, Y_train, X_test, Y_test, w_test = _data()
    return ESTIMATORS[est_key]().fit(X_train, Y_train), X_test, Y_test, w_test


def _label_scores(est, X):
    """The estimator's per-label scores as scikit-learn's scorers read them."""
    if hasattr(est, "decision_function"):
        return est.decision_function(X)
    proba = est.predict_proba(X)
    return np.column_stack([p[:, 1] for p in proba]) if isinstance(proba, list) else proba


@pytest.mark.parametrize("est_key", sorted(ESTIMATORS))
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_label_metrics_match_sklearn(est_key, average, weighted):
    est, X, Y, w = _fitted(est_key)
    sw = w if weighted else None
    Y_pred = est.predict(X)
    got = make_surrogate_scorer("f1", average=average)(est, X, Y, sample_weight=sw)
    assert_allclose(got, f1_score(Y, Y_pred, average=average, sample_weight=sw, zero_division=0.0), rtol=1e-12)
    got = make_surrogate_scorer("fbeta", beta=2.0, average=average)(est, X, Y, sample_weight=sw)
    expected = fbeta_score(Y, Y_pred, beta=2.0, average=average, sample_weight=sw, zero_division=0.0)
    assert_allclose(got, expected, rtol=1e-12)
    # subset accuracy, whatever the average
    got = make_surrogate_scorer("accuracy", average=average)(est, X, Y, sample_weight=sw)
    assert_allclose(got, accuracy_score(Y, Y_pred, sample_weight=sw), rtol=1e-12)


@pytest.mark.parametrize("est_key", sorted(ESTIMATORS))
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_ranking_metrics_match_sklearn(est_key, average, weighted):
    est, X, Y, w = _fitted(est_key)
    sw = w if weighted else None
    scores = _label_scores(est, X)
    for metric, func in (("roc_auc", roc_auc_score), ("average_precision", average_precision_score)):
        got = make_surrogate_scorer(metric, average=average)(est, X, Y, sample_weight=sw)
        assert_allclose(got, func(Y, scores, average=average, sample_weight=sw), rtol=1e-12, err_msg=metric)


@pytest.mark.parametrize("est_key", sorted(ESTIMATORS))
def test_auto_average(est_key):
    est, X, Y, _ = _fitted(est_key)
    # ranking metrics: macro, the default of roc_auc_score / average_precision_score (and of scoring="roc_auc")
    for metric in ("roc_auc", "average_precision"):
        assert make_surrogate_scorer(metric)(est, X, Y) == make_surrogate_scorer(metric, average="macro")(est, X, Y)
    # F1 / F-beta: micro and macro can differ widely, so the average must be named
    for metric in ("f1", "fbeta"):
        with pytest.raises(ValueError, match="average='auto' is ambiguous .* multilabel-indicator target"):
            make_surrogate_scorer(metric)(est, X, Y)


def test_predict_proba_list_uses_each_labels_class_1_column():
    # a label seen with one class only at fit gets a single probability column (KNN): its score is 0
    X_train, Y_train, X_test, Y_test, _ = _data()
    Y_train = Y_train.copy()
    Y_train[:, 0] = 0
    est = KNeighborsClassifier(n_neighbors=7).fit(X_train, Y_train)
    assert est.predict_proba(X_test)[0].shape[1] == 1
    scores = np.column_stack([np.zeros(len(X_test))] + [p[:, 1] for p in est.predict_proba(X_test)[1:]])
    got = make_surrogate_scorer("roc_auc", average="micro")(est, X_test, Y_test)
    assert_allclose(got, roc_auc_score(Y_test, scores, average="micro"), rtol=1e-12)


def test_cross_validate_matches_sklearn_scoring():
    X, Y, _, _, _ = _data()
    ours = {
        "f1": make_surrogate_scorer("f1", average="macro"),
        "f1_samples": make_surrogate_scorer("f1", average="samples"),
        "auc": make_surrogate_scorer("roc_auc"),
        "ap": make_surrogate_scorer("average_precision", average="micro"),
        "acc": make_surrogate_scorer("accuracy"),
    }
    theirs = {
        "f1": get_scorer("f1_macro"),
        "f1_samples": get_scorer("f1_samples"),
        "auc": get_scorer("roc_auc"),
        "ap": make_scorer(average_precision_score, average="micro",
                          response_method=("decision_function", "predict_proba")),
        "acc": get_scorer("accuracy"),
    }
    result = cross_validate(ESTIMATORS["surrogate"](), X, Y, cv=KFold(2, shuffle=True, random_state=0),
                            scoring=ours, return_estimator=True, return_indices=True)
    # scikit-learn's own scorers on the same fitted folds
    for fold, (est, test) in enumerate(zip(result["estimator"], result["indices"]["test"])):
        for key, scorer in theirs.items():
            assert_allclose(result[f"test_{key}"][fold], scorer(est, X[test], Y[test]), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("metric", ["balanced_accuracy", "mcc", "gmean"])
def test_metrics_undefined_on_multilabel_raise(metric):
    est, X, Y, _ = _fitted("knn")
    with pytest.raises(ValueError, match=f"{metric} is not defined for multilabel-indicator targets"):
        make_surrogate_scorer(metric)(est, X, Y)


def test_other_multilabel_misuse_raises():
    est, X, Y, _ = _fitted("knn")
    with pytest.raises(ValueError, match="average='binary' needs a binary target"):
        make_surrogate_scorer("f1", average="binary")(est, X, Y)
    with pytest.raises(ValueError, match="smooth=True"):
        make_surrogate_scorer("f1", average="macro", smooth=True)(est, X, Y)
    # multiclass-multioutput targets are not multilabel
    with pytest.raises(ValueError, match="'multiclass-multioutput'"):
        make_surrogate_scorer("f1", average="macro")(est, X, np.where(Y == 1, 2, np.arange(len(Y))[:, None] % 2))


def test_samples_average_needs_multilabel():
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    est = LogisticRegression().fit(X, y)
    for metric in ("f1", "accuracy", "roc_auc"):
        with pytest.raises(ValueError, match="average='samples' needs a multilabel-indicator target"):
            make_surrogate_scorer(metric, average="samples")(est, X, y)
    # nor is it a training objective
    with pytest.raises(ValueError, match="average='samples' scores multilabel targets"):
        make_surrogate_scorer("f1", average="samples").surrogate_loss()
    with pytest.raises(ValueError, match="average='samples' scores multilabel targets"):
        SurrogateClassifier(loss=make_surrogate_scorer("f1", average="samples"), max_iter=1).fit(X, y)


def test_score_methods_take_multilabel_targets():
    est, X, Y, w = _fitted("ovr_lr")
    Y_pred = est.predict(X)
    scorer = make_surrogate_scorer("f1", average="weighted")
    assert_allclose(scorer.score_predictions(Y, Y_pred, None, sample_weight=w),
                    f1_score(Y, Y_pred, average="weighted", sample_weight=w), rtol=1e-12)
    proba = est.predict_proba(X)
    # label metrics on probabilities predict a label above 0.5
    assert_allclose(scorer.score_proba(Y, proba, None), f1_score(Y, (proba > 0.5).astype(int), average="weighted"),
                    rtol=1e-12)
    assert_allclose(make_surrogate_scorer("roc_auc", average="samples").score_proba(Y, proba, None),
                    roc_auc_score(Y, proba, average="samples"), rtol=1e-12)
    with pytest.raises(ValueError, match="one column per label"):
        scorer.score_proba(Y, proba[:, :2], None)


@pytest.mark.parametrize("est_key", ["surrogate", "knn"])
def test_callable_metric_gets_the_multilabel_response(est_key):
    est, X, Y, w = _fitted(est_key)
    got = make_surrogate_scorer(f1_score, average="macro")(est, X, Y, sample_weight=w)
    assert_allclose(got, f1_score(Y, est.predict(X), average="macro", sample_weight=w), rtol=1e-12)
    got = make_surrogate_scorer(roc_auc_score, response_method="predict_proba", average="micro")(est, X, Y)
    assert_allclose(got, roc_auc_score(Y, _label_scores(est, X), average="micro"), rtol=1e-12)
