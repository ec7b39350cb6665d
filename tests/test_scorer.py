"""Tests of ``make_surrogate_scorer`` against scikit-learn's own scorers."""

import functools
import math

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    fbeta_score,
    get_scorer,
    hinge_loss,
    log_loss,
    make_scorer,
    recall_score,
)
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sklearn_surrogate import SurrogateScorer, get_loss, get_loss_names, get_metric_names, make_surrogate_scorer
from sklearn_surrogate._metric_table import METRIC_TABLE
from sklearn_surrogate.losses import (
    AccuracyLoss,
    AUCSquareLoss,
    BalancedAccuracyLoss,
    FBetaLoss,
    GMeanLoss,
    MCCLoss,
)

SEEDS = [0, 1, 42]

BINARY_LABELS = {
    "01": np.array([0, 1]),
    "str": np.array(["neg", "pos"]),
    "ints": np.array([-2, 5]),  # non-contiguous, one negative
}
MULTI_LABELS = {
    "012": np.array([0, 1, 2]),
    "str": np.array(["a", "b", "c"]),
    "ints": np.array([1, 4, 9]),
}


def _LR(**params):
    # newton-cholesky: the same model as the default lbfgs, an order of magnitude faster on these small problems
    return LogisticRegression(solver="newton-cholesky", **params)


ESTIMATORS = {
    "lr": _LR,
    "svc": lambda: SVC(),  # no probabilities: decision_function only
    "tree": lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
}


@pytest.fixture(params=SEEDS)
def global_random_seed(request):
    """Fixed seeds: every assertion must hold for each of them."""
    return request.param


# ---------------------------------------------------------------------------
# data and fitted models (cached: fitting is the slow part)
# ---------------------------------------------------------------------------
@functools.cache
def _data(problem, labels_key, seed):
    if problem == "binary":
        # imbalanced (65% / 35%), so that the two classes' F1 differ and pos_label matters
        X, y = make_classification(
            n_samples=300,
            n_features=6,
            n_informative=3,
            n_redundant=1,
            weights=[0.65],
            flip_y=0.1,
            class_sep=0.8,
            random_state=seed,
        )
        labels = BINARY_LABELS[labels_key]
    else:
        X, y = make_classification(
            n_samples=360,
            n_features=6,
            n_informative=4,
            n_redundant=0,
            n_classes=3,
            n_clusters_per_class=1,
            flip_y=0.1,
            class_sep=0.8,
            random_state=seed,
        )
        labels = MULTI_LABELS[labels_key]
    y = labels[y]
    w = np.random.RandomState(seed).uniform(0.2, 3.0, len(y))
    n_train = len(y) * 3 // 5
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:], w[n_train:]


@functools.cache
def _fitted(problem, labels_key, est_key, seed):
    X_train, y_train, X_test, y_test, w_test = _data(problem, labels_key, seed)
    est = ESTIMATORS[est_key]().fit(X_train, y_train)
    return est, X_test, y_test, w_test


def _both(ours, theirs, est, X, y, w):
    return ours(est, X, y, sample_weight=w), theirs(est, X, y, sample_weight=w)


def test_svc_has_no_predict_proba():
    est, *_ = _fitted("binary", "01", "svc", 0)
    assert not hasattr(est, "predict_proba")
    assert hasattr(est, "decision_function")


# ---------------------------------------------------------------------------
# binary problems: equal to scikit-learn's scorers
# ---------------------------------------------------------------------------
def _binary_pairs(classes):
    pos = classes[-1]
    is01 = list(classes) == [0, 1]
    return {
        "f1": (make_surrogate_scorer("f1"), get_scorer("f1") if is01 else make_scorer(f1_score, pos_label=pos)),
        "f1_macro": (make_surrogate_scorer("f1", average="macro"), get_scorer("f1_macro")),
        "fbeta2": (make_surrogate_scorer("fbeta", beta=2), make_scorer(fbeta_score, beta=2, pos_label=pos)),
        "fbeta_half": (make_surrogate_scorer("fbeta", beta=0.5), make_scorer(fbeta_score, beta=0.5, pos_label=pos)),
        "accuracy": (make_surrogate_scorer("accuracy"), get_scorer("accuracy")),
        "balanced_accuracy": (make_surrogate_scorer("balanced_accuracy"), get_scorer("balanced_accuracy")),
        "mcc": (make_surrogate_scorer("mcc"), get_scorer("matthews_corrcoef")),
        "roc_auc": (make_surrogate_scorer("roc_auc"), get_scorer("roc_auc")),
        "average_precision": (
            make_surrogate_scorer("average_precision"),
            get_scorer("average_precision")
            if is01
            else make_scorer(
                average_precision_score, response_method=("decision_function", "predict_proba"), pos_label=pos
            ),
        ),
    }


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("est_key", list(ESTIMATORS))
@pytest.mark.parametrize("labels_key", list(BINARY_LABELS))
def test_binary_matches_sklearn_scorers(labels_key, est_key, weighted, global_random_seed):
    est, X, y, w = _fitted("binary", labels_key, est_key, global_random_seed)
    w = w if weighted else None
    values = {}
    for name, (ours, theirs) in _binary_pairs(est.classes_).items():
        got, expected = _both(ours, theirs, est, X, y, w)
        assert isinstance(got, float), name
        assert_allclose(got, expected, rtol=1e-12, atol=1e-15, err_msg=name)
        values[name] = got
    # the metrics are not degenerate on this data (the comparisons could fail)
    assert 0.3 < values["f1"] < 1.0
    assert 0.5 < values["roc_auc"] < 1.0
    assert len({round(v, 9) for v in values.values()}) >= 6


def test_binary_sample_weight_changes_scores():
    est, X, y, w = _fitted("binary", "01", "lr", 0)
    for metric in ("f1", "roc_auc", "average_precision", "mcc", "balanced_accuracy"):
        scorer = make_surrogate_scorer(metric)
        assert scorer(est, X, y, sample_weight=w) != pytest.approx(scorer(est, X, y), abs=1e-6), metric
        # None == unit weights
        assert_allclose(scorer(est, X, y, sample_weight=np.ones(len(y))), scorer(est, X, y), rtol=1e-12)


@pytest.mark.parametrize("est_key", list(ESTIMATORS))
@pytest.mark.parametrize("labels_key", list(BINARY_LABELS))
def test_binary_pos_label_first_class_flips(labels_key, est_key, global_random_seed):
    est, X, y, w = _fitted("binary", labels_key, est_key, global_random_seed)
    neg, pos = est.classes_
    pairs = {
        "f1": (make_scorer(f1_score, pos_label=neg), make_scorer(f1_score, pos_label=pos)),
        "fbeta": (make_scorer(fbeta_score, beta=2, pos_label=neg), make_scorer(fbeta_score, beta=2, pos_label=pos)),
        "average_precision": (
            make_scorer(average_precision_score, response_method=("decision_function", "predict_proba"), pos_label=neg),
            make_scorer(average_precision_score, response_method=("decision_function", "predict_proba"), pos_label=pos),
        ),
    }
    for metric, (theirs_neg, theirs_pos) in pairs.items():
        kwargs = {"beta": 2} if metric == "fbeta" else {}
        for sw in (None, w):
            flipped = make_surrogate_scorer(metric, pos_label=neg, **kwargs)(est, X, y, sample_weight=sw)
            default = make_surrogate_scorer(metric, **kwargs)(est, X, y, sample_weight=sw)
            explicit = make_surrogate_scorer(metric, pos_label=pos, **kwargs)(est, X, y, sample_weight=sw)
            assert_allclose(flipped, theirs_neg(est, X, y, sample_weight=sw), rtol=1e-12, err_msg=metric)
            assert_allclose(default, theirs_pos(est, X, y, sample_weight=sw), rtol=1e-12, err_msg=metric)
            assert_allclose(explicit, default, rtol=1e-12, err_msg=metric)
            assert abs(flipped - default) > 1e-6, metric  # the flip has an effect
    # ROC AUC is symmetric in the choice of the positive class; accuracy-like metrics ignore it
    for metric in ("roc_auc", "accuracy", "balanced_accuracy", "mcc"):
        assert_allclose(
            make_surrogate_scorer(metric, pos_label=neg)(est, X, y, sample_weight=w),
            make_surrogate_scorer(metric)(est, X, y, sample_weight=w),
            rtol=1e-12,
            err_msg=metric,
        )
    assert_allclose(
        make_surrogate_scorer("roc_auc", pos_label=neg)(est, X, y), get_scorer("roc_auc")(est, X, y), rtol=1e-12
    )


def test_invalid_pos_label_raises():
    est, X, y, _ = _fitted("binary", "str", "lr", 0)
    for metric in ("f1", "roc_auc"):
        with pytest.raises(ValueError, match="pos_label"):
            make_surrogate_scorer(metric, pos_label="maybe")(est, X, y)


# ---------------------------------------------------------------------------
# multiclass problems
# ---------------------------------------------------------------------------
def _multiclass_pairs(has_proba):
    pairs = {
        "f1_auto": (make_surrogate_scorer("f1"), get_scorer("f1_macro")),
        "f1_macro": (make_surrogate_scorer("f1", average="macro"), get_scorer("f1_macro")),
        "f1_weighted": (make_surrogate_scorer("f1", average="weighted"), get_scorer("f1_weighted")),
        "f1_micro": (make_surrogate_scorer("f1", average="micro"), get_scorer("f1_micro")),
        "fbeta2_weighted": (
            make_surrogate_scorer("fbeta", beta=2, average="weighted"),
            make_scorer(fbeta_score, beta=2, average="weighted"),
        ),
        "fbeta2_macro": (make_surrogate_scorer("fbeta", beta=2), make_scorer(fbeta_score, beta=2, average="macro")),
        "accuracy": (make_surrogate_scorer("accuracy"), get_scorer("accuracy")),
        "balanced_accuracy": (make_surrogate_scorer("balanced_accuracy"), get_scorer("balanced_accuracy")),
        "mcc": (make_surrogate_scorer("mcc"), get_scorer("matthews_corrcoef")),
    }
    if has_proba:
        pairs.update(
            {
                "roc_auc": (make_surrogate_scorer("roc_auc"), get_scorer("roc_auc_ovr")),
                "roc_auc_weighted": (
                    make_surrogate_scorer("roc_auc", average="weighted"),
                    get_scorer("roc_auc_ovr_weighted"),
                ),
            }
        )
    # like scikit-learn's scorer, multiclass average precision ranks by decision_function when there is one
    pairs["average_precision"] = (make_surrogate_scorer("average_precision"), get_scorer("average_precision"))
    return pairs


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("est_key", list(ESTIMATORS))
@pytest.mark.parametrize("labels_key", list(MULTI_LABELS))
def test_multiclass_matches_sklearn_scorers(labels_key, est_key, weighted, global_random_seed):
    est, X, y, w = _fitted("multiclass", labels_key, est_key, global_random_seed)
    w = w if weighted else None
    values = {}
    for name, (ours, theirs) in _multiclass_pairs(hasattr(est, "predict_proba")).items():
        got, expected = _both(ours, theirs, est, X, y, w)
        assert_allclose(got, expected, rtol=1e-12, atol=1e-15, err_msg=name)
        values[name] = got
    assert 0.3 < values["f1_macro"] < 1.0
    # macro, weighted and micro averages differ here, so each comparison is meaningful
    assert len({round(values[k], 9) for k in ("f1_macro", "f1_weighted", "f1_micro")}) == 3


def test_multiclass_ranking_metric_needs_predict_proba():
    est, X, y, _ = _fitted("multiclass", "012", "svc", 0)
    with pytest.raises(TypeError, match="predict_proba"):
        make_surrogate_scorer("roc_auc")(est, X, y)
    # average precision ranks by decision_function, as scikit-learn's scorer does
    assert make_surrogate_scorer("average_precision")(est, X, y) == pytest.approx(
        get_scorer("average_precision")(est, X, y)
    )


def test_multiclass_average_binary_raises():
    est, X, y, _ = _fitted("multiclass", "012", "lr", 0)
    with pytest.raises(ValueError, match="binary"):
        make_surrogate_scorer("f1", average="binary")(est, X, y)
    with pytest.raises(ValueError, match="average"):
        make_surrogate_scorer("roc_auc", average="micro")(est, X, y)


# ---------------------------------------------------------------------------
# smooth=True: the expected confusion matrix, computed here independently
# ---------------------------------------------------------------------------
def _ref_smooth_binary(metric, y, P1, w, beta=1.0):
    """Expected counts of a binary classifier predicting the positive class with probability P1."""
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    TP = np.sum(w * y * P1)
    FN = np.sum(w * y * (1 - P1))
    FP = np.sum(w * (1 - y) * P1)
    TN = np.sum(w * (1 - y) * (1 - P1))
    if metric == "f1":
        return 2 * TP / (2 * TP + FN + FP)
    if metric == "fbeta":
        return (1 + beta**2) * TP / ((1 + beta**2) * TP + beta**2 * FN + FP)
    if metric == "accuracy":
        return (TP + TN) / (TP + TN + FP + FN)
    if metric == "balanced_accuracy":
        return (TP / (TP + FN) + TN / (TN + FP)) / 2
    if metric == "gmean":
        return math.sqrt(TP / (TP + FN) * TN / (TN + FP))
    if metric == "mcc":
        return (TP * TN - FP * FN) / math.sqrt((TP + FP) * (TP + FN) * (TN + FP) * (TN + FN))
    raise AssertionError(metric)


def _ref_smooth_multiclass(metric, y_idx, P, w, average="macro", beta=1.0):
    n, K = P.shape
    w = np.ones(n) if w is None else np.asarray(w, dtype=float)
    tp = np.array([sum(w[i] * P[i, c] for i in range(n) if y_idx[i] == c) for c in range(K)])
    fn = np.array([sum(w[i] * (1 - P[i, c]) for i in range(n) if y_idx[i] == c) for c in range(K)])
    fp = np.array([sum(w[i] * P[i, c] for i in range(n) if y_idx[i] != c) for c in range(K)])
    b2 = beta**2
    if metric in ("f1", "fbeta"):
        if average == "micro":
            return (1 + b2) * tp.sum() / ((1 + b2) * tp.sum() + b2 * fn.sum() + fp.sum())
        scores = (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp)
        support = tp + fn
        return scores.mean() if average == "macro" else np.sum(scores * support) / support.sum()
    if metric == "accuracy":
        return sum(w[i] * P[i, y_idx[i]] for i in range(n)) / w.sum()
    if metric == "balanced_accuracy":
        return np.mean(tp / (tp + fn))
    if metric == "gmean":
        return np.prod(tp / (tp + fn)) ** (1 / K)
    if metric == "mcc":
        s = w.sum()
        t = np.array([w[y_idx == k].sum() for k in range(K)])
        p = (w[:, None] * P).sum(0)
        c = sum(w[i] * P[i, y_idx[i]] for i in range(n))
        return (c * s - t @ p) / math.sqrt((s * s - p @ p) * (s * s - t @ t))
    raise AssertionError(metric)


@pytest.mark.parametrize("metric", ["f1", "fbeta", "accuracy", "balanced_accuracy", "gmean", "mcc"])
@pytest.mark.parametrize("est_key", ["lr", "tree"])
@pytest.mark.parametrize("labels_key", list(BINARY_LABELS))
def test_smooth_binary_matches_expected_confusion_matrix(labels_key, est_key, metric):
    est, X, y, w = _fitted("binary", labels_key, est_key, 0)
    P = est.predict_proba(X)
    for sw in (None, w):
        for pos_index in (1, 0):
            pos = est.classes_[pos_index]
            scorer = make_surrogate_scorer(metric, smooth=True, pos_label=pos, beta=2.0)
            expected = _ref_smooth_binary(metric, y == pos, P[:, pos_index], sw, beta=2.0)
            assert_allclose(scorer(est, X, y, sample_weight=sw), expected, rtol=1e-10, err_msg=f"{metric} {pos}")


@pytest.mark.parametrize(
    "metric, average",
    [
        ("f1", "macro"),
        ("f1", "weighted"),
        ("f1", "micro"),
        ("fbeta", "macro"),
        ("accuracy", "auto"),
        ("balanced_accuracy", "auto"),
        ("gmean", "auto"),
        ("mcc", "auto"),
    ],
)
@pytest.mark.parametrize("est_key", ["lr", "tree"])
def test_smooth_multiclass_matches_expected_confusion_matrix(est_key, metric, average):
    est, X, y, w = _fitted("multiclass", "ints", est_key, 0)
    P = est.predict_proba(X)
    y_idx = np.searchsorted(est.classes_, y)
    for sw in (None, w):
        scorer = make_surrogate_scorer(metric, smooth=True, average=average, beta=2.0)
        expected = _ref_smooth_multiclass(
            metric,
            y_idx,
            P,
            sw,
            average=average if average != "auto" else "macro",
            beta=2.0 if metric == "fbeta" else 1.0,
        )
        assert_allclose(scorer(est, X, y, sample_weight=sw), expected, rtol=1e-10, err_msg=metric)


def test_smooth_hand_computed():
    # proba of the positive class [0.9, 0.6, 0.2, 0.3] for labels [1, 1, 0, 1]:
    # TP = 0.9 + 0.6 + 0.3 = 1.8, FN = 0.1 + 0.4 + 0.7 = 1.2, FP = 0.2, TN = 0.8
    # F1 = 3.6 / (3.6 + 1.2 + 0.2) = 0.72 ; accuracy = (1.8 + 0.8) / 4 = 0.65
    scorer = make_surrogate_scorer("f1", smooth=True)
    P1 = np.array([0.9, 0.6, 0.2, 0.3])
    proba = np.column_stack([1 - P1, P1])
    y = np.array([1, 1, 0, 1])
    assert_allclose(scorer.score_proba(y, proba, np.array([0, 1])), 0.72, rtol=1e-12)
    acc = make_surrogate_scorer("accuracy", smooth=True)
    assert_allclose(acc.score_proba(y, proba, np.array([0, 1])), 0.65, rtol=1e-12)
    # without smoothing: predictions [1, 1, 0, 0] -> F1 = 2*2 / (2*2 + 1) = 0.8
    assert_allclose(make_surrogate_scorer("f1").score_proba(y, proba, np.array([0, 1])), 0.8, rtol=1e-12)


@pytest.mark.parametrize("problem", ["binary", "multiclass"])
def test_smooth_near_exact_for_confident_model(problem, global_random_seed):
    n_classes = 2 if problem == "binary" else 3
    X, y = make_classification(
        n_samples=400,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        class_sep=4.0,
        flip_y=0.0,
        random_state=global_random_seed,
    )
    est = _LR(C=100.0).fit(X[:200], y[:200])
    X_test, y_test = X[200:], y[200:]
    assert est.predict_proba(X_test).max(axis=1).mean() > 0.97  # confident
    for metric in ("f1", "accuracy", "balanced_accuracy", "mcc"):
        exact = make_surrogate_scorer(metric)(est, X_test, y_test)
        smooth = make_surrogate_scorer(metric, smooth=True)(est, X_test, y_test)
        assert abs(smooth - exact) < 0.05, (metric, smooth, exact)
    # an unconfident model: the expected confusion matrix is far from the hard one
    weak = _LR(C=1e-4).fit(X[:200], y[:200])
    exact = make_surrogate_scorer("accuracy")(weak, X_test, y_test)
    smooth = make_surrogate_scorer("accuracy", smooth=True)(weak, X_test, y_test)
    assert exact - smooth > 0.1


def test_smooth_needs_predict_proba():
    est, X, y, _ = _fitted("binary", "01", "svc", 0)
    with pytest.raises(TypeError, match="predict_proba"):
        make_surrogate_scorer("f1", smooth=True)(est, X, y)


def test_smooth_does_not_change_ranking_metrics():
    est, X, y, w = _fitted("binary", "01", "lr", 0)
    for metric in ("roc_auc", "average_precision"):
        assert_allclose(
            make_surrogate_scorer(metric, smooth=True)(est, X, y, sample_weight=w),
            make_surrogate_scorer(metric)(est, X, y, sample_weight=w),
            rtol=1e-12,
        )


# ---------------------------------------------------------------------------
# model selection
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "labels_key, metric, sk_scoring",
    [
        ("01", "f1", "f1"),
        ("01", "roc_auc", "roc_auc"),
        ("01", "average_precision", "average_precision"),
        ("str", "f1", make_scorer(f1_score, pos_label="pos")),
        ("str", "roc_auc", "roc_auc"),
    ],
)
def test_grid_search_selects_like_sklearn(labels_key, metric, sk_scoring, global_random_seed):
    X, y, *_ = _data("binary", labels_key, global_random_seed)
    grid = {"C": [0.01, 0.03, 0.1, 0.3, 1.0, 10.0]}
    cv = StratifiedKFold(4, shuffle=True, random_state=global_random_seed)
    ours = GridSearchCV(_LR(), grid, scoring=make_surrogate_scorer(metric), cv=cv).fit(X, y)
    theirs = GridSearchCV(_LR(), grid, scoring=sk_scoring, cv=cv).fit(X, y)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_index_ == theirs.best_index_
    assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"], rtol=1e-12)
    for split in range(4):
        key = f"split{split}_test_score"
        assert_allclose(ours.cv_results_[key], theirs.cv_results_[key], rtol=1e-12)
    # the grid is not flat, so selecting the same C means something
    assert np.ptp(theirs.cv_results_["mean_test_score"]) > 1e-4


def test_cross_validate_multimetric_dict():
    X, y, *_ = _data("multiclass", "str", 0)
    scoring = {
        "ours_f1": make_surrogate_scorer("f1", average="weighted"),
        "sk_f1": "f1_weighted",
        "ours_auc": make_surrogate_scorer("roc_auc"),
        "sk_auc": "roc_auc_ovr",
    }
    res = cross_validate(_LR(), X, y, scoring=scoring, cv=3)
    assert_allclose(res["test_ours_f1"], res["test_sk_f1"], rtol=1e-12)
    assert_allclose(res["test_ours_auc"], res["test_sk_auc"], rtol=1e-12)


# ---------------------------------------------------------------------------
# user metrics
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("labels_key", ["01", "str"])
def test_user_metric_predict(labels_key):
    est, X, y, w = _fitted("binary", labels_key, "lr", 0)
    pos = est.classes_[-1]
    ours = make_surrogate_scorer(recall_score, response_method="predict", zero_division=0.0)
    theirs = make_scorer(recall_score, zero_division=0.0)
    if labels_key == "str":  # recall_score needs pos_label for string labels; pass it through a wrapper

        def recall_pos(y_true, y_pred, **kw):
            return recall_score(y_true, y_pred, pos_label=pos, **kw)

        ours = make_surrogate_scorer(recall_pos, response_method="predict", zero_division=0.0)
        theirs = make_scorer(recall_pos, zero_division=0.0)
    for sw in (None, w):
        assert_allclose(ours(est, X, y, sample_weight=sw), theirs(est, X, y, sample_weight=sw), rtol=1e-12)
    # response_method defaults to predict
    assert_allclose(
        make_surrogate_scorer(f1_score)(*_fitted("binary", "01", "lr", 0)[:3]),
        get_scorer("f1")(*_fitted("binary", "01", "lr", 0)[:3]),
        rtol=1e-12,
    )


@pytest.mark.parametrize("problem", ["binary", "multiclass"])
@pytest.mark.parametrize("est_key", ["lr", "tree"])
def test_user_metric_predict_proba_and_sign(problem, est_key):
    est, X, y, w = _fitted(problem, "01" if problem == "binary" else "012", est_key, 0)
    ours = make_surrogate_scorer(log_loss, response_method="predict_proba", greater_is_better=False)
    theirs = get_scorer("neg_log_loss")
    for sw in (None, w):
        got = ours(est, X, y, sample_weight=sw)
        assert_allclose(got, theirs(est, X, y, sample_weight=sw), rtol=1e-12)
        # the sign: minus the metric, computed directly
        P = est.predict_proba(X)
        direct = log_loss(y, P[:, 1] if problem == "binary" else P, sample_weight=sw)
        assert got < 0
        assert_allclose(got, -direct, rtol=1e-12)
    # greater_is_better=True returns the metric itself
    plain = make_surrogate_scorer(log_loss, response_method="predict_proba")(est, X, y)
    assert_allclose(plain, -ours(est, X, y), rtol=1e-12)
    if problem == "binary":
        brier = make_surrogate_scorer(brier_score_loss, response_method="predict_proba", greater_is_better=False)
        assert_allclose(
            brier(est, X, y, sample_weight=w), get_scorer("neg_brier_score")(est, X, y, sample_weight=w), rtol=1e-12
        )


@pytest.mark.parametrize("problem", ["binary", "multiclass"])
@pytest.mark.parametrize("est_key", ["lr", "svc"])
def test_user_metric_decision_function(problem, est_key):
    est, X, y, w = _fitted(problem, "01" if problem == "binary" else "012", est_key, 0)
    ours = make_surrogate_scorer(hinge_loss, response_method="decision_function", greater_is_better=False)
    theirs = make_scorer(hinge_loss, response_method="decision_function", greater_is_better=False)
    for sw in (None, w):
        assert_allclose(ours(est, X, y, sample_weight=sw), theirs(est, X, y, sample_weight=sw), rtol=1e-12)


@pytest.mark.parametrize(
    "problem, func, kwargs",
    [
        ("multiclass", f1_score, {"average": "macro"}),
        ("binary", fbeta_score, {"beta": 2.0}),
        ("binary", f1_score, {"pos_label": 0}),
    ],
    ids=["average", "beta", "pos_label"],
)
def test_user_metric_receives_colliding_kwargs(problem, func, kwargs):
    est, X, y, _ = _fitted(problem, "01" if problem == "binary" else "012", "lr", 0)
    ours = make_surrogate_scorer(func, response_method="predict", **kwargs)
    assert_allclose(ours(est, X, y), make_scorer(func, **kwargs)(est, X, y), rtol=1e-12)


# ---------------------------------------------------------------------------
# invalid parameters
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        (("f2",), {}, ValueError, "'f2'"),
        (("roc_auc_ovr",), {}, ValueError, "Unknown metric"),
        ((3,), {}, TypeError, "metric"),
        (("f1",), {"average": "weird"}, ValueError, "average"),
        (("f1",), {"average": None}, ValueError, "average"),
        (("fbeta",), {"beta": 0}, ValueError, "beta"),
        (("fbeta",), {"beta": -2.0}, ValueError, "beta"),
        (("fbeta",), {"beta": True}, ValueError, "beta"),
        (("fbeta",), {"beta": "2"}, ValueError, "beta"),
        (("fbeta",), {"beta": float("nan")}, ValueError, "beta"),
        ((f1_score,), {"response_method": "predict_log_proba"}, ValueError, "response_method"),
        (("f1",), {"response_method": "predict"}, ValueError, "response_method"),
        (("f1",), {"zero_division": 0.0}, ValueError, "callable"),
        (("f1",), {"smooth": "yes"}, TypeError, "smooth"),
    ],
)
def test_invalid_parameters_raise(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        make_surrogate_scorer(*args, **kwargs)


def test_metric_names():
    names = get_metric_names()
    assert names == sorted(names)
    assert set(names) == {
        "f1",
        "fbeta",
        "accuracy",
        "balanced_accuracy",
        "mcc",
        "gmean",
        "roc_auc",
        "average_precision",
        "partial_auc",
        "tpr_at_fpr",
        "recall_at_precision",
        "precision_at_k",
        "expected_cost",
        "expected_profit",
    }
    required = {"partial_auc": {"max_fpr": 0.1}, "tpr_at_fpr": {"max_fpr": 0.1},
                "recall_at_precision": {"min_precision": 0.8}, "precision_at_k": {"k": 5}}
    for name in names:
        assert isinstance(make_surrogate_scorer(name, **required.get(name, {})), SurrogateScorer)


def test_numpy_beta_accepted():
    est, X, y, _ = _fitted("binary", "01", "lr", 0)
    got = make_surrogate_scorer("fbeta", beta=np.float32(2.0))(est, X, y)
    assert_allclose(got, make_scorer(fbeta_score, beta=2.0)(est, X, y), rtol=1e-6)


# ---------------------------------------------------------------------------
# the matching surrogate loss
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, kwargs, loss_cls, params",
    [
        (("f1",), {}, FBetaLoss, {"beta": 1.0, "average": "auto"}),
        (("f1",), {"average": "weighted"}, FBetaLoss, {"beta": 1.0, "average": "weighted"}),
        (("fbeta",), {"beta": 2.0}, FBetaLoss, {"beta": 2.0, "average": "auto"}),
        (("fbeta",), {"beta": 0.5, "average": "micro"}, FBetaLoss, {"beta": 0.5, "average": "micro"}),
        (("roc_auc",), {}, AUCSquareLoss, {"margin": 1.0}),
        (("average_precision",), {}, AUCSquareLoss, {}),
        (("accuracy",), {}, AccuracyLoss, {}),
        (("balanced_accuracy",), {}, BalancedAccuracyLoss, {}),
        (("mcc",), {}, MCCLoss, {}),
        (("gmean",), {}, GMeanLoss, {}),
    ],
)
def test_surrogate_loss(args, kwargs, loss_cls, params):
    loss = make_surrogate_scorer(*args, **kwargs).surrogate_loss()
    assert type(loss) is loss_cls
    for key, value in params.items():
        assert loss.get_params()[key] == value, key
    # and the loss targets the scorer's metric
    assert loss.target_metric in (args[0], "roc_auc")


def test_surrogate_loss_params_override():
    loss = make_surrogate_scorer("fbeta", beta=2.0).surrogate_loss(L=20.0)
    assert (loss.beta, loss.L) == (2.0, 20.0)
    assert make_surrogate_scorer("f1").surrogate_loss(beta=3.0).beta == 3.0
    assert make_surrogate_scorer("roc_auc").surrogate_loss(margin=0.5).margin == 0.5
    with pytest.raises(ValueError, match="'bogus'"):
        make_surrogate_scorer("roc_auc").surrogate_loss(bogus=1)


def test_surrogate_loss_user_metric_raises():
    with pytest.raises(ValueError, match="f1_score"):
        make_surrogate_scorer(f1_score).surrogate_loss()


@pytest.mark.parametrize("name", [name for name in get_loss_names() if get_loss(name).target_metric is not None])
def test_loss_target_metric_roundtrip(name):
    # a loss's target metric (and its parameters) builds a scorer whose surrogate is the same kind of loss
    loss = get_loss(name)
    scorer = make_surrogate_scorer(loss.target_metric, **loss.target_metric_params())
    back = scorer.surrogate_loss()
    if isinstance(loss, FBetaLoss):
        assert type(back) is FBetaLoss
        assert (back.beta, back.average) == (loss.beta, loss.average)
    # several losses may target one metric; the scorer builds the one its table entry names (average precision:
    # the AUC square loss, which targets roc_auc), so the loss that comes back targets the metric or that loss's
    table_loss = get_loss(METRIC_TABLE[loss.target_metric].loss)
    assert back.target_metric in (loss.target_metric, table_loss.target_metric)
    assert type(back) is type(table_loss)


# ---------------------------------------------------------------------------
# metadata routing
# ---------------------------------------------------------------------------
def test_set_score_request_needs_routing_enabled():
    with pytest.raises(RuntimeError, match="metadata routing"):
        make_surrogate_scorer("f1").set_score_request(sample_weight=True)


@pytest.mark.parametrize(
    "metric, sk_name", [("f1", "f1"), ("roc_auc", "roc_auc"), ("balanced_accuracy", "balanced_accuracy")]
)
def test_metadata_routing_sample_weight(metric, sk_name):
    X, y, *_ = _data("binary", "01", 0)
    w = np.random.RandomState(1).uniform(0.0, 3.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        est = _LR().set_fit_request(sample_weight=True)
        ours = make_surrogate_scorer(metric).set_score_request(sample_weight=True)
        theirs = get_scorer(sk_name).set_score_request(sample_weight=True)
        theirs_unweighted = get_scorer(sk_name).set_score_request(sample_weight=False)
        got = cross_validate(est, X, y, scoring=ours, cv=3, params={"sample_weight": w})["test_score"]
        expected = cross_validate(est, X, y, scoring=theirs, cv=3, params={"sample_weight": w})["test_score"]
        unweighted = cross_validate(est, X, y, scoring=theirs_unweighted, cv=3, params={"sample_weight": w})
    assert np.abs(expected - unweighted["test_score"]).max() > 1e-4  # the weights matter
    assert_allclose(got, expected, rtol=1e-12)


def test_metadata_routing_set_score_request_returns_self():
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_surrogate_scorer("f1")
        assert scorer.set_score_request(sample_weight=True) is scorer


# -- decision-threshold tuning (TunedThresholdClassifierCV) --------------------------------------


@pytest.mark.parametrize(
    ("metric", "sklearn_metric"),
    [("f1", "f1"), ("balanced_accuracy", "balanced_accuracy"), ("mcc", "mcc"), ("accuracy", "accuracy")],
)
def test_tuned_threshold_matches_sklearn_scorer(metric, sklearn_metric):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, make_scorer, matthews_corrcoef
    from sklearn.model_selection import TunedThresholdClassifierCV

    functions = {"f1": f1_score, "balanced_accuracy": balanced_accuracy_score, "mcc": matthews_corrcoef,
                 "accuracy": accuracy_score}
    rng = np.random.RandomState(0)
    X = rng.randn(300, 3)
    y = np.where(X[:, 0] + 0.8 * rng.randn(300) > 1.0, "yes", "no")  # string labels, ~20 % "yes"
    kwargs = {"pos_label": "yes"} if sklearn_metric == "f1" else {}
    ours = TunedThresholdClassifierCV(LogisticRegression(), scoring=make_surrogate_scorer(metric),
                                      random_state=0).fit(X, y)
    theirs = TunedThresholdClassifierCV(LogisticRegression(), scoring=make_scorer(functions[sklearn_metric], **kwargs),
                                        random_state=0).fit(X, y)
    assert ours.best_threshold_ == pytest.approx(theirs.best_threshold_)
    assert ours.best_score_ == pytest.approx(theirs.best_score_)


def test_tuned_threshold_with_explicit_pos_label_and_loss_metric():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import TunedThresholdClassifierCV

    rng = np.random.RandomState(1)
    X = rng.randn(300, 3)
    y = (X[:, 0] + rng.randn(300) > 0.8).astype(int)
    # F1 of class 0 (pos_label given), and a callable loss metric (greater_is_better=False)
    ours = TunedThresholdClassifierCV(LogisticRegression(), scoring=make_surrogate_scorer("f1", pos_label=0),
                                      random_state=0).fit(X, y)
    theirs = TunedThresholdClassifierCV(LogisticRegression(), scoring=make_scorer(f1_score, pos_label=0),
                                        random_state=0).fit(X, y)
    assert ours.best_threshold_ == pytest.approx(theirs.best_threshold_)

    def false_negatives(y_true, y_pred):
        return float(np.sum((y_true == 1) & (y_pred == 0)))

    tuned = TunedThresholdClassifierCV(
        LogisticRegression(), random_state=0,
        scoring=make_surrogate_scorer(false_negatives, response_method="predict", greater_is_better=False),
    ).fit(X, y)
    # minimising false negatives pushes the threshold to the bottom of the grid
    assert tuned.best_threshold_ <= np.quantile(tuned.estimator_.predict_proba(X)[:, 1], 0.05)


def test_tuned_threshold_refuses_ranking_metric():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import TunedThresholdClassifierCV

    X, y = np.random.RandomState(0).randn(100, 2), np.arange(100) % 2
    with pytest.raises(ValueError, match="decision threshold does not change"):
        TunedThresholdClassifierCV(LogisticRegression(), scoring=make_surrogate_scorer("roc_auc")).fit(X, y)


@pytest.mark.filterwarnings("ignore::FutureWarning:sklearn")  # LogisticRegressionCV transition notices
def test_ranking_scorer_still_works_where_sklearn_probes_score_func():
    # LogisticRegressionCV asks hasattr(scorer, "_score_func"): the refusal above must read as "no".
    from sklearn.linear_model import LogisticRegressionCV

    rng = np.random.RandomState(0)
    X = rng.randn(120, 3)
    y = (X[:, 0] + rng.randn(120) > 0).astype(int)
    scorer = make_surrogate_scorer("roc_auc")
    assert not hasattr(scorer, "_score_func")
    assert hasattr(make_surrogate_scorer("f1"), "_score_func")
    model = LogisticRegressionCV(Cs=3, cv=3, scoring=scorer).fit(X, y)
    assert 0.5 < model.score(X, y) <= 1.0


def test_thresholded_metric_is_named_and_picklable():
    import pickle

    func = make_surrogate_scorer("f1")._score_func
    assert func.__name__ == "f1_thresholded"
    y_true, y_pred = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    assert pickle.loads(pickle.dumps(func))(y_true, y_pred) == pytest.approx(2 / 3)
