"""make_surrogate_scorer against scikit-learn's scorers, for any classifier; and the loss registry."""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, fbeta_score, get_scorer, matthews_corrcoef, recall_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sklearn_surrogate import get_metric_names, make_surrogate_scorer
from sklearn_surrogate.losses import (
    AUCSquareLoss,
    AccuracyLoss,
    CrossEntropyLoss,
    FBetaLoss,
    MCCLoss,
    SurrogateLoss,
    get_loss,
    get_loss_names,
    register_loss,
)


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=300, n_features=6, weights=[0.75], flip_y=0.05, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def multiclass():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, n_clusters_per_class=1, random_state=0
    )
    return X, y


CLASSIFIERS = [
    LogisticRegression(max_iter=1000),
    SVC(random_state=0),  # decision_function only
    DecisionTreeClassifier(max_depth=3, random_state=0),
]
LABELINGS = {"01": np.array([0, 1]), "strings": np.array(["neg", "pos"]), "sparse_ints": np.array([-4, 10])}


@pytest.mark.parametrize("labels", LABELINGS)
@pytest.mark.parametrize("clf", CLASSIFIERS, ids=lambda c: type(c).__name__)
@pytest.mark.parametrize(
    "metric,reference",
    [("f1", "f1"), ("roc_auc", "roc_auc"), ("average_precision", "average_precision"),
     ("accuracy", "accuracy"), ("balanced_accuracy", "balanced_accuracy"), ("mcc", "matthews_corrcoef")],
)
def test_binary_scores_equal_sklearn(binary, clf, labels, metric, reference):
    X, y = binary
    y_lab = LABELINGS[labels][y]
    fitted = sklearn.base.clone(clf).fit(X, y_lab)
    ours = make_surrogate_scorer(metric)(fitted, X, y_lab)
    if labels == "01":
        expected = get_scorer(reference)(fitted, X, y_lab)
    else:  # scikit-learn's scorers default to pos_label=1; ours to the greater label
        from sklearn.metrics import average_precision_score, roc_auc_score

        positive = fitted.classes_[-1]
        if hasattr(fitted, "decision_function"):
            scores = fitted.decision_function(X)
        else:
            scores = fitted.predict_proba(X)[:, 1]
        functions = {
            "f1": lambda: f1_score(y_lab, fitted.predict(X), pos_label=positive),
            "roc_auc": lambda: roc_auc_score(y_lab == positive, scores),
            "average_precision": lambda: average_precision_score(y_lab == positive, scores),
        }
        expected = functions[metric]() if metric in functions else get_scorer(reference)(fitted, X, y_lab)
    assert ours == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("clf", CLASSIFIERS[::2], ids=lambda c: type(c).__name__)
@pytest.mark.parametrize(
    "metric,kwargs,reference",
    [("f1", {}, "f1_macro"), ("f1", {"average": "weighted"}, "f1_weighted"), ("f1", {"average": "micro"}, "f1_micro"),
     ("roc_auc", {}, "roc_auc_ovr"), ("roc_auc", {"average": "weighted"}, "roc_auc_ovr_weighted"),
     ("accuracy", {}, "accuracy"), ("balanced_accuracy", {}, "balanced_accuracy")],
)
def test_multiclass_scores_equal_sklearn(multiclass, clf, metric, kwargs, reference):
    X, y = multiclass
    fitted = sklearn.base.clone(clf).fit(X, y)
    assert make_surrogate_scorer(metric, **kwargs)(fitted, X, y) == pytest.approx(
        get_scorer(reference)(fitted, X, y), rel=1e-12
    )
    mcc = make_surrogate_scorer("mcc")(fitted, X, y)
    assert mcc == pytest.approx(matthews_corrcoef(y, fitted.predict(X)))


def test_fbeta_pos_label_and_sample_weight(binary):
    X, y = binary
    clf = LogisticRegression(max_iter=1000).fit(X, y)
    pred = clf.predict(X)
    w = np.random.default_rng(0).uniform(0, 2, len(y))
    assert make_surrogate_scorer("fbeta", beta=2.0)(clf, X, y, sample_weight=w) == pytest.approx(
        fbeta_score(y, pred, beta=2.0, sample_weight=w)
    )
    assert make_surrogate_scorer("f1", pos_label=0)(clf, X, y) == pytest.approx(f1_score(y, pred, pos_label=0))
    auc_neg = make_surrogate_scorer("roc_auc", pos_label=0)(clf, X, y)
    assert auc_neg == pytest.approx(make_surrogate_scorer("roc_auc")(clf, X, y))  # AUC is symmetric
    ap_neg = make_surrogate_scorer("average_precision", pos_label=0)(clf, X, y)
    from sklearn.metrics import average_precision_score

    assert ap_neg == pytest.approx(average_precision_score(y == 0, clf.predict_proba(X)[:, 0]))
    with pytest.raises(ValueError, match="pos_label=7 is not a valid label"):
        make_surrogate_scorer("f1", pos_label=7)(clf, X, y)


def test_gmean(binary, multiclass):
    for X, y in (binary, multiclass):
        clf = LogisticRegression(max_iter=1000).fit(X, y)
        recalls = recall_score(y, clf.predict(X), average=None)
        assert make_surrogate_scorer("gmean")(clf, X, y) == pytest.approx(np.prod(recalls) ** (1 / len(recalls)))


def _expected_confusion(y, proba, classes, w=None):
    """Independent reference: C[i, j] = sum_n w_n [y_n = classes[i]] proba[n, j]."""
    w = np.ones(len(y)) if w is None else w
    C = np.zeros((len(classes), len(classes)))
    for n in range(len(y)):
        C[list(classes).index(y[n])] += w[n] * proba[n]
    return C


def test_smooth_scores_use_the_expected_confusion_matrix(binary, multiclass):
    X, y = binary
    clf = LogisticRegression(max_iter=1000).fit(X, y)
    proba = clf.predict_proba(X)
    C = _expected_confusion(y, proba, clf.classes_)
    tp, fn, fp = C[1, 1], C[1, 0], C[0, 1]
    assert make_surrogate_scorer("f1", smooth=True)(clf, X, y) == pytest.approx(2 * tp / (2 * tp + fn + fp))
    assert make_surrogate_scorer("accuracy", smooth=True)(clf, X, y) == pytest.approx(np.trace(C) / C.sum())
    recall = np.diag(C) / C.sum(1)
    assert make_surrogate_scorer("balanced_accuracy", smooth=True)(clf, X, y) == pytest.approx(recall.mean())
    # ranking metrics are unaffected
    assert make_surrogate_scorer("roc_auc", smooth=True)(clf, X, y) == pytest.approx(
        make_surrogate_scorer("roc_auc")(clf, X, y)
    )
    X, y = multiclass
    clf = LogisticRegression(max_iter=1000, C=100).fit(X, y)
    proba = clf.predict_proba(X)
    C = _expected_confusion(y, proba, clf.classes_)
    f1s = 2 * np.diag(C) / (C.sum(0) + C.sum(1))
    assert make_surrogate_scorer("f1", smooth=True)(clf, X, y) == pytest.approx(f1s.mean())
    # a confident model's smooth score is close to the exact one
    exact = make_surrogate_scorer("f1")(clf, X, y)
    assert abs(make_surrogate_scorer("f1", smooth=True)(clf, X, y) - exact) < 0.1
    t, p, c, s = C.sum(1), C.sum(0), np.trace(C), C.sum()
    mcc = (c * s - t @ p) / np.sqrt((s**2 - p @ p) * (s**2 - t @ t))
    assert make_surrogate_scorer("mcc", smooth=True)(clf, X, y) == pytest.approx(mcc)


@pytest.mark.parametrize("metric,reference", [("f1", "f1"), ("roc_auc", "roc_auc"), ("balanced_accuracy", "balanced_accuracy")])
def test_grid_search_selects_like_sklearn(binary, metric, reference):
    X, y = binary
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    grid = {"C": [1e-3, 1e-2, 0.1, 1.0, 10.0], "class_weight": [None, "balanced"]}
    ours = GridSearchCV(LogisticRegression(max_iter=1000), grid, scoring=make_surrogate_scorer(metric), cv=cv).fit(X, y)
    ref = GridSearchCV(LogisticRegression(max_iter=1000), grid, scoring=reference, cv=cv).fit(X, y)
    assert ours.best_params_ == ref.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])


def test_user_callable_metrics(binary):
    X, y = binary
    clf = LogisticRegression(max_iter=1000).fit(X, y)

    def cost(y_true, y_pred, fn_cost=5.0):
        cm = confusion_matrix(y_true, y_pred)
        return cm[0, 1] + fn_cost * cm[1, 0]

    scorer = make_surrogate_scorer(cost, greater_is_better=False, fn_cost=10.0)
    cm = confusion_matrix(y, clf.predict(X))
    assert scorer(clf, X, y) == -(cm[0, 1] + 10 * cm[1, 0])

    def mean_positive_proba(y_true, proba):
        return proba[y_true == 1].mean()

    scorer = make_surrogate_scorer(mean_positive_proba, response_method="predict_proba")
    assert scorer(clf, X, y) == pytest.approx(clf.predict_proba(X)[y == 1, 1].mean())
    with pytest.raises(ValueError, match="no built-in surrogate"):
        scorer.surrogate_loss()


def test_invalid_scorer_arguments():
    with pytest.raises(ValueError, match="Unknown metric 'f2'"):
        make_surrogate_scorer("f2")
    with pytest.raises(ValueError, match="average"):
        make_surrogate_scorer("f1", average="samples")
    with pytest.raises(ValueError, match="beta"):
        make_surrogate_scorer("fbeta", beta=-1)
    with pytest.raises(ValueError, match="response_method"):
        make_surrogate_scorer(lambda y, p: 0.0, response_method="transform")
    with pytest.raises(ValueError, match="response_method is only used"):
        make_surrogate_scorer("f1", response_method="predict")
    with pytest.raises(TypeError, match="metric must be"):
        make_surrogate_scorer(3)
    assert set(get_metric_names()) >= {"f1", "fbeta", "roc_auc", "average_precision", "balanced_accuracy",
                                       "accuracy", "mcc"}


def test_binary_average_on_multiclass_data_is_explained(multiclass):
    X, y = multiclass
    clf = LogisticRegression(max_iter=1000).fit(X, y)
    with pytest.raises(ValueError, match="average='binary' needs a binary target"):
        make_surrogate_scorer("f1", average="binary")(clf, X, y)


def test_surrogate_loss_matches_the_metric():
    assert isinstance(make_surrogate_scorer("f1").surrogate_loss(), FBetaLoss)
    f2 = make_surrogate_scorer("fbeta", beta=2.0, average="weighted").surrogate_loss(L=20.0)
    assert f2.beta == 2.0 and f2.average == "weighted" and f2.L == 20.0
    assert isinstance(make_surrogate_scorer("roc_auc").surrogate_loss(), AUCSquareLoss)
    assert isinstance(make_surrogate_scorer("accuracy").surrogate_loss(), AccuracyLoss)
    assert isinstance(make_surrogate_scorer("mcc").surrogate_loss(), MCCLoss)
    # each loss's declared target metric maps back to a scorer of that metric
    for name in get_loss_names():
        loss = get_loss(name)
        if loss.target_metric is not None:
            assert make_surrogate_scorer(loss.target_metric, **loss.target_metric_params()).metric == loss.target_metric


def test_metadata_routing_of_sample_weight(binary):
    X, y = binary
    w = np.random.default_rng(1).uniform(0.1, 2, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        est = LogisticRegression(max_iter=1000).set_fit_request(sample_weight=True)
        ours = cross_validate(est, X, y, cv=3, params={"sample_weight": w},
                              scoring=make_surrogate_scorer("f1").set_score_request(sample_weight=True))
        ref = cross_validate(est, X, y, cv=3, params={"sample_weight": w},
                             scoring=get_scorer("f1").set_score_request(sample_weight=True))
    np.testing.assert_allclose(ours["test_score"], ref["test_score"])
    with pytest.raises(RuntimeError, match="metadata routing is enabled"):
        make_surrogate_scorer("f1").set_score_request(sample_weight=True)


def test_scorer_repr():
    assert repr(make_surrogate_scorer("fbeta", beta=2.0)) == "make_surrogate_scorer(metric='fbeta', beta=2.0)"


# ---------------------------------------------------------------- registry
def test_registry_lists_and_builds_every_loss():
    names = get_loss_names()
    assert names == sorted(names) and {"cross_entropy", "f1", "auc_square", "ldr_kl", "ensloss"} <= set(names)
    for name in names:
        assert isinstance(get_loss(name), SurrogateLoss)
    assert get_loss("fbeta", beta=3.0).beta == 3.0


def test_registry_errors_name_the_problem():
    with pytest.raises(ValueError, match="Unknown loss 'nope'.*cross_entropy"):
        get_loss("nope")
    with pytest.raises(ValueError, match="Invalid parameter.*'gamma'.*Valid parameters are: 'L', 'average'"):
        get_loss("f1", gamma=1.0)
    with pytest.raises(ValueError, match="already registered"):
        register_loss("f1", FBetaLoss)
    with pytest.raises(TypeError, match="non-empty string"):
        register_loss("", FBetaLoss)


def test_register_a_custom_loss():
    from sklearn_surrogate.losses import _registry

    class HalfCrossEntropy(CrossEntropyLoss):
        def forward(self, logits, targets, sample_weight=None):
            return 0.5 * super().forward(logits, targets, sample_weight)

    register_loss("half_ce", HalfCrossEntropy)
    try:
        assert "half_ce" in get_loss_names()
        z, y = torch.randn(8), torch.randint(0, 2, (8,))
        assert float(get_loss("half_ce")(z, y)) == pytest.approx(0.5 * float(CrossEntropyLoss()(z, y)))
    finally:
        _registry._LOSSES.pop("half_ce", None)
