"""The operating-region and cost metrics of the scorer: partial AUC, TPR at FPR, recall at precision,
precision at k, average precision, expected cost and profit (issue 19).

Each is checked against scikit-learn where scikit-learn has the metric, else against a brute force over
thresholds (or tie orders) built on scikit-learn's confusion counts, and on hand-computed cases.
"""

import itertools

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    make_scorer,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import GridSearchCV, StratifiedKFold, TunedThresholdClassifierCV, cross_validate

from sklearn_surrogate import make_surrogate_scorer
from sklearn_surrogate._operating_metrics import (
    expected_cost_score,
    partial_auc_score,
    precision_at_k_score,
    recall_at_precision_score,
    tpr_at_fpr_score,
)


def _scores(seed, n=80, ties=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(int)
    s = y * 0.8 + rng.normal(size=n)
    if ties:
        s = np.round(s, 1)  # many tied scores
    return y, s, rng.uniform(0.2, 3.0, n)


def _problem(seed=0, n=240, labels=("no", "yes")):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 3)
    y = np.where(X[:, 0] + 0.9 * rng.randn(n) > 0.9, labels[1], labels[0])
    return X, y


def _thresholds(s):
    return np.r_[np.inf, np.unique(s)]


# ---------------------------------------------------------------------------
# partial AUC
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("max_fpr", [0.05, 0.1, 0.37, 1.0])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_partial_auc_is_sklearns_and_its_raw_area_standardizes_to_it(max_fpr, ties, weighted):
    y, s, w = _scores(1, ties=ties)
    w = w if weighted else None
    expected = roc_auc_score(y, s, max_fpr=max_fpr, sample_weight=w)
    assert partial_auc_score(y, s, max_fpr=max_fpr, sample_weight=w) == pytest.approx(expected, rel=1e-12)
    raw = partial_auc_score(y, s, max_fpr=max_fpr, standardize=False, sample_weight=w)
    assert 0.0 <= raw <= max_fpr
    # McClish's correction of our raw area gives scikit-learn's standardised value
    low, high = 0.5 * max_fpr**2, max_fpr
    assert 0.5 * (1 + (raw - low) / (high - low)) == pytest.approx(expected, rel=1e-10)


def test_partial_auc_hand_computed():
    # ranked: + - + - - - ; ROC (0, .5) -> (.25, .5) -> (.25, 1) -> (1, 1)
    y, s = [0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.7, 0.6, 0.8]
    assert partial_auc_score(y, s, max_fpr=0.1, standardize=False) == pytest.approx(0.1 * 0.5)
    assert partial_auc_score(y, s, max_fpr=0.5, standardize=False) == pytest.approx(0.25 * 0.5 + 0.25 * 1.0)
    assert partial_auc_score(y, s, max_fpr=1.0, standardize=False) == pytest.approx(0.875)  # the full AUC
    # a perfect ranking has the whole region: raw max_fpr, standardised 1
    assert partial_auc_score([0, 0, 1, 1], [1, 2, 3, 4], max_fpr=0.3, standardize=False) == pytest.approx(0.3)
    assert partial_auc_score([0, 0, 1, 1], [1, 2, 3, 4], max_fpr=0.3) == pytest.approx(1.0)
    # all scores tied: the diagonal, raw m^2 / 2, which McClish maps to 0.5
    assert partial_auc_score([0, 0, 1, 1], [1, 1, 1, 1], max_fpr=0.3, standardize=False) == pytest.approx(0.045)
    assert partial_auc_score([0, 0, 1, 1], [1, 1, 1, 1], max_fpr=0.3) == pytest.approx(0.5)
    # a reversed ranking: raw 0, standardised (1 + (0 - 0.045) / (0.3 - 0.045)) / 2
    assert partial_auc_score([0, 0, 1, 1], [4, 3, 2, 1], max_fpr=0.3, standardize=False) == 0.0
    assert partial_auc_score([0, 0, 1, 1], [4, 3, 2, 1], max_fpr=0.3) == pytest.approx((1 - 0.045 / 0.255) / 2)


@pytest.mark.parametrize("labels", [("no", "yes"), (0, 1)])
@pytest.mark.parametrize("positive", [0, 1])
def test_partial_auc_scorer_matches_sklearn_scorer(labels, positive):
    X, y = _problem(labels=labels)
    est = LogisticRegression().fit(X, y)
    pos = labels[positive]
    theirs = make_scorer(roc_auc_score, max_fpr=0.1, response_method="decision_function")
    # scikit-learn's scorer ranks the greater class; for the first class, its decision values negated
    scores = est.decision_function(X) if positive else -est.decision_function(X)
    expected = roc_auc_score(y == pos, scores, max_fpr=0.1)
    if positive:
        assert theirs(est, X, y == pos) == pytest.approx(expected, rel=1e-12)
    ours = make_surrogate_scorer("partial_auc", max_fpr=0.1, pos_label=pos)
    assert ours(est, X, y) == pytest.approx(expected, rel=1e-12)
    raw = make_surrogate_scorer("partial_auc", max_fpr=0.1, standardize=False, pos_label=pos)
    assert raw(est, X, y) == pytest.approx(partial_auc_score(y == pos, scores, max_fpr=0.1, standardize=False))


# ---------------------------------------------------------------------------
# TPR at FPR and recall at precision: brute force over the thresholds
# ---------------------------------------------------------------------------
def _rates(y, pred, w):
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1], sample_weight=w).ravel()
    return tp / (tp + fn), fp / (fp + tn)


@pytest.mark.parametrize("max_fpr", [0.01, 0.1, 0.25, 1.0])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_tpr_at_fpr_is_the_best_threshold_within_the_budget(max_fpr, ties, weighted):
    y, s, w = _scores(2, ties=ties)
    w = w if weighted else None
    best = 0.0
    for t in _thresholds(s):
        tpr, fpr = _rates(y, (s >= t).astype(int), w)
        if fpr <= max_fpr:
            best = max(best, tpr)
    assert tpr_at_fpr_score(y, s, max_fpr=max_fpr, sample_weight=w) == pytest.approx(best, rel=1e-12)


def test_tpr_at_fpr_hand_computed_and_ties_not_split():
    y, s = [0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.7, 0.6, 0.8]
    assert tpr_at_fpr_score(y, s, max_fpr=0.2) == 0.5
    assert tpr_at_fpr_score(y, s, max_fpr=0.25) == 1.0
    # one negative tied with both positives: taking them costs FPR 1/4, so under 1/4 nothing is taken
    y, s = [0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9, 0.9, 0.9]
    assert tpr_at_fpr_score(y, s, max_fpr=0.2) == 0.0
    assert tpr_at_fpr_score(y, s, max_fpr=0.25) == 1.0


@pytest.mark.parametrize("min_precision", [0.3, 0.5, 0.8, 1.0])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_recall_at_precision_is_the_best_threshold_above_the_floor(min_precision, ties, weighted):
    y, s, w = _scores(3, ties=ties)
    w = w if weighted else None
    best = 0.0
    for t in np.unique(s):
        pred = (s >= t).astype(int)
        if precision_score(y, pred, sample_weight=w, zero_division=0.0) >= min_precision:
            best = max(best, recall_score(y, pred, sample_weight=w))
    got = recall_at_precision_score(y, s, min_precision=min_precision, sample_weight=w)
    assert got == pytest.approx(best, rel=1e-12)


def test_recall_at_precision_hand_computed():
    y, s = [0, 1, 1, 0, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.1]
    assert recall_at_precision_score(y, s, min_precision=0.6) == 1.0  # top 5: precision 3/5
    assert recall_at_precision_score(y, s, min_precision=0.65) == pytest.approx(2 / 3)  # top 3
    assert recall_at_precision_score(y, s, min_precision=1.0) == 0.0  # the top row is a negative


# ---------------------------------------------------------------------------
# precision at k
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 7, 40, 80])
@pytest.mark.parametrize("weighted", [False, True])
def test_precision_at_k_without_ties_is_the_precision_of_the_top_k(k, weighted):
    y, s, w = _scores(4)
    w = w if weighted else None
    top = np.zeros(len(y), dtype=int)
    top[np.argsort(-s)[:k]] = 1
    expected = precision_score(y, top, sample_weight=w)
    assert precision_at_k_score(y, s, k=k, sample_weight=w) == pytest.approx(expected, rel=1e-12)
    assert precision_at_k_score(y, s, k=k / len(y), sample_weight=w) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 2.5 / 6])
def test_precision_at_k_ties_are_the_mean_over_tie_orders(k):
    # rows 1..4 tied; the cut-off falls inside the tie for k in 2..4
    y = np.array([1, 0, 1, 1, 0, 0])
    s = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.1])
    budget = k * 6 if isinstance(k, float) else k  # a fraction of the rows: 2.5 rows
    values = []
    for perm in itertools.permutations([1, 2, 3, 4]):  # every order of the tied rows
        order = [0, *perm, 5]
        taken = np.clip(budget - np.arange(6), 0, 1)  # a fractional budget takes its last row by the fraction
        values.append(taken @ y[order] / taken.sum())
    assert precision_at_k_score(y, s, k=k) == pytest.approx(np.mean(values), rel=1e-12)


def test_precision_at_k_fraction_of_rows():
    y = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0])
    s = -np.arange(10.0)  # already ranked
    assert precision_at_k_score(y, s, k=0.3) == pytest.approx(2 / 3)
    assert precision_at_k_score(y, s, k=0.25) == pytest.approx((1 + 0 + 0.5 * 1) / 2.5)
    assert precision_at_k_score(y, s, k=1.0) == pytest.approx(0.3)  # all rows: the prevalence


def test_precision_at_k_is_not_top_k_accuracy():
    # top_k_accuracy ranks each row's classes; precision at k ranks the rows
    from sklearn.metrics import top_k_accuracy_score

    y, s = np.array([1, 1, 0, 0]), np.array([0.4, 0.3, 0.2, 0.1])
    assert precision_at_k_score(y, s, k=2) == 1.0
    assert top_k_accuracy_score(y, s, k=1) == 0.5  # rows scored below 0.5 are predicted 0


# ---------------------------------------------------------------------------
# average precision: scikit-learn's value, ties and weights included
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["decision_function", "predict_proba"])
def test_average_precision_is_sklearns_with_ties_and_weights(method):
    X, y = _problem(1)
    X = np.round(X, 1)
    est = LogisticRegression().fit(X[:, :1], y)  # one rounded feature: many tied scores
    w = np.random.RandomState(0).uniform(0.1, 2.0, len(y))
    scores = getattr(est, method)(X[:, :1])
    scores = scores if scores.ndim == 1 else scores[:, 1]
    assert len(np.unique(scores)) < len(y) / 3
    expected = average_precision_score(y == "yes", scores, sample_weight=w)
    got = make_surrogate_scorer("average_precision")(est, X[:, :1], y, sample_weight=w)
    assert got == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------
# expected cost and profit
# ---------------------------------------------------------------------------
COSTS = np.array([[0.0, 1.0], [10.0, -2.0]])  # TN, FP / FN, TP


def _cost_by_confusion(y, pred, labels, matrix, w=None):
    C = confusion_matrix(y, pred, labels=labels, sample_weight=w)
    return float((C * matrix).sum() / C.sum())


@pytest.mark.parametrize("weighted", [False, True])
def test_expected_cost_is_the_confusion_matrix_times_the_costs(weighted):
    X, y = _problem(2)
    est = LogisticRegression().fit(X, y)
    w = np.random.RandomState(1).uniform(0.1, 2.0, len(y)) if weighted else None
    expected = _cost_by_confusion(y, est.predict(X), ["no", "yes"], COSTS, w)
    assert make_surrogate_scorer("expected_cost", cost_matrix=COSTS)(est, X, y, sample_weight=w) == pytest.approx(
        -expected, rel=1e-12)  # a cost: the scorer negates it
    assert make_surrogate_scorer("expected_profit", cost_matrix=COSTS)(est, X, y, sample_weight=w) == pytest.approx(
        -expected, rel=1e-12)
    assert expected_cost_score(y, est.predict(X), cost_matrix=COSTS, sample_weight=w) == pytest.approx(expected)
    # with pos_label="no", "no" is the positive class: the matrix reads the other way round
    flipped = _cost_by_confusion(y, est.predict(X), ["yes", "no"], COSTS, w)
    scorer = make_surrogate_scorer("expected_cost", cost_matrix=COSTS, pos_label="no")
    assert scorer(est, X, y, sample_weight=w) == pytest.approx(-flipped, rel=1e-12)
    assert flipped != pytest.approx(expected)


def test_expected_cost_hand_computed_and_per_row_costs():
    y, pred = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 0])
    assert expected_cost_score(y, pred, cost_matrix=[[0, 1], [10, 0]]) == pytest.approx(11 / 4)
    # per row: [TN, FP, FN, TP]; a missed fraud costs its amount
    per_row = np.array([[0, 1, 5, 1], [0, 1, 5, 1], [0, 1, 100, 1], [0, 1, 30, 1]], dtype=float)
    assert expected_cost_score(y, pred, costs=per_row) == pytest.approx((0 + 1 + 1 + 30) / 4)
    assert expected_cost_score(y, pred, costs=per_row.reshape(-1, 2, 2)) == pytest.approx(32 / 4)
    same = np.tile(COSTS.ravel(), (4, 1))  # the same matrix on every row is cost_matrix
    assert expected_cost_score(y, pred, costs=same) == pytest.approx(expected_cost_score(y, pred, cost_matrix=COSTS))


def test_expected_cost_multiclass_matrix_in_class_order():
    X, y = _problem(3)
    y = np.where(X[:, 1] > 0.5, "maybe", y)  # three classes
    est = LogisticRegression().fit(X, y)
    matrix = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 4.0], [5.0, 6.0, 0.0]])
    expected = _cost_by_confusion(y, est.predict(X), list(est.classes_), matrix)
    assert make_surrogate_scorer("expected_cost", cost_matrix=matrix)(est, X, y) == pytest.approx(-expected)
    with pytest.raises(ValueError, match="3 classes"):
        make_surrogate_scorer("expected_cost", cost_matrix=COSTS)(est, X, y)


def test_expected_cost_smooth_is_the_cost_of_drawn_predictions():
    y = np.array([0, 1, 1])
    proba = np.array([[0.8, 0.2], [0.5, 0.5], [0.1, 0.9]])
    scorer = make_surrogate_scorer("expected_cost", cost_matrix=COSTS, smooth=True)
    expected = (0.2 * 1.0 + 0.5 * 10 + 0.5 * -2 + 0.1 * 10 + 0.9 * -2) / 3
    assert scorer.score_proba(y, proba, [0, 1]) == pytest.approx(-expected)
    # one-hot probabilities: the exact cost
    onehot = np.eye(2)[[0, 0, 1]]
    exact = make_surrogate_scorer("expected_cost", cost_matrix=COSTS).score_predictions(y, [0, 0, 1], [0, 1])
    assert scorer.score_proba(y, onehot, [0, 1]) == pytest.approx(exact)


# ---------------------------------------------------------------------------
# bad options: clear errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "metric, kwargs, match",
    [
        ("partial_auc", {}, "needs max_fpr"),
        ("partial_auc", {"max_fpr": 0.0}, r"max_fpr must be a number in \(0, 1\]"),
        ("tpr_at_fpr", {"max_fpr": 1.5}, "max_fpr must be"),
        ("tpr_at_fpr", {"max_fpr": True}, "max_fpr must be"),
        ("tpr_at_fpr", {"max_fpr": "0.1"}, "max_fpr must be"),
        ("recall_at_precision", {}, "needs min_precision"),
        ("recall_at_precision", {"min_precision": -0.1}, "min_precision must be"),
        ("precision_at_k", {}, "needs k"),
        ("precision_at_k", {"k": 0}, "k must be a count >= 1"),
        ("precision_at_k", {"k": 1.5}, "k must be a count"),
        ("precision_at_k", {"k": True}, "k must be a count"),
        ("expected_cost", {"cost_matrix": [1, 2, 3, 4]}, "square"),
        ("expected_cost", {"cost_matrix": [[0, 1, 2], [1, 0, 2]]}, "square"),
        ("expected_profit", {"cost_matrix": [[0, np.nan], [1, 0]]}, "finite"),
        ("expected_cost", {"cost_matrix": [["a", "b"], ["c", "d"]]}, "cost_matrix must be"),
        ("f1", {"max_fpr": 0.1}, "max_fpr is only used by the metrics partial_auc, tpr_at_fpr"),
        ("roc_auc", {"k": 3}, "k is only used by"),
        ("tpr_at_fpr", {"max_fpr": 0.1, "standardize": False}, "standardize is only used by"),
        ("f1", {"cost_matrix": COSTS}, "cost_matrix is only used by"),
    ],
)
def test_invalid_options_raise(metric, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_surrogate_scorer(metric, **kwargs)


def test_scoring_errors_are_clear():
    X, y = _problem(4, n=60)
    est = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="k=100 exceeds the 60 rows"):
        make_surrogate_scorer("precision_at_k", k=100)(est, X, y)
    with pytest.raises(ValueError, match="needs costs"):
        make_surrogate_scorer("expected_cost")(est, X, y)
    with pytest.raises(ValueError, match="not both"):
        make_surrogate_scorer("expected_cost", cost_matrix=COSTS)(est, X, y, costs=np.ones((60, 4)))
    with pytest.raises(ValueError, match=r"costs must have shape \(60, 4\)"):
        make_surrogate_scorer("expected_cost")(est, X, y, costs=np.ones((60, 3)))
    with pytest.raises(ValueError, match="takes no per-row costs"):
        make_surrogate_scorer("f1")(est, X, y, costs=np.ones((60, 4)))
    # binary only: multiclass and multilabel targets are refused
    y3 = np.arange(60) % 3
    est3 = LogisticRegression().fit(X, y3)
    for metric, kwargs in [("partial_auc", {"max_fpr": 0.1}), ("precision_at_k", {"k": 0.1})]:
        with pytest.raises(ValueError, match="binary problems only, but there are 3 classes"):
            make_surrogate_scorer(metric, **kwargs)(est3, X, y3)
    with pytest.raises(ValueError, match="not defined for multilabel"):
        make_surrogate_scorer("tpr_at_fpr", max_fpr=0.1).score_proba(np.eye(3)[y3], np.eye(3)[y3], None)
    with pytest.raises(ValueError, match="without positive rows"):
        recall_at_precision_score([0, 0, 0], [0.1, 0.2, 0.3], min_precision=0.5)
    with pytest.raises(ValueError, match="without negative rows"):
        tpr_at_fpr_score([1, 1], [0.1, 0.2], max_fpr=0.5)


def test_set_score_request_costs_only_for_cost_metrics():
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(TypeError, match="takes no per-row costs"):
            make_surrogate_scorer("f1").set_score_request(costs=True)
        scorer = make_surrogate_scorer("expected_cost").set_score_request(costs=True)
        scorer.set_score_request(sample_weight=True)  # the costs request is kept
        requests = scorer.get_metadata_routing().score.requests
    assert requests == {"sample_weight": True, "costs": True}


def test_repr_shows_the_options():
    assert repr(make_surrogate_scorer("partial_auc", max_fpr=0.1, standardize=False)) == (
        "make_surrogate_scorer(metric='partial_auc', max_fpr=0.1, standardize=False)")
    assert repr(make_surrogate_scorer("expected_cost", cost_matrix=np.array([[0, 1], [5, 0]]))) == (
        "make_surrogate_scorer(metric='expected_cost', cost_matrix=[[0, 1], [5, 0]])")


def test_callable_metric_receives_the_options():
    X, y = _problem(5)
    est = LogisticRegression().fit(X, y)
    ours = make_surrogate_scorer(roc_auc_score, max_fpr=0.2, response_method="predict_proba")
    assert ours(est, X, y) == pytest.approx(roc_auc_score(y, est.predict_proba(X)[:, 1], max_fpr=0.2))


# ---------------------------------------------------------------------------
# scikit-learn integrations
# ---------------------------------------------------------------------------
def test_grid_search_on_partial_auc_selects_like_sklearn():
    X, y = _problem(6)
    grid = {"C": [0.001, 0.1, 10.0]}
    ours = GridSearchCV(LogisticRegression(), grid, cv=3,
                        scoring=make_surrogate_scorer("partial_auc", max_fpr=0.1)).fit(X, y)
    # scikit-learn's scorer needs 0/1 labels here (roc_auc_score takes no pos_label): the same folds
    theirs = GridSearchCV(LogisticRegression(), grid, cv=3,
                          scoring=make_scorer(roc_auc_score, max_fpr=0.1,
                                              response_method="decision_function")).fit(X, (y == "yes").astype(int))
    assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"], rtol=1e-12)
    assert ours.best_params_ == theirs.best_params_


def test_cross_validate_every_new_metric_matches_its_function_per_fold():
    X, y = _problem(7, n=200)
    cv = StratifiedKFold(4)
    scoring = {
        "pauc_raw": make_surrogate_scorer("partial_auc", max_fpr=0.2, standardize=False),
        "tpr": make_surrogate_scorer("tpr_at_fpr", max_fpr=0.1),
        "rap": make_surrogate_scorer("recall_at_precision", min_precision=0.7),
        "p_at_k": make_surrogate_scorer("precision_at_k", k=0.1),
        "cost": make_surrogate_scorer("expected_cost", cost_matrix=COSTS),
    }
    got = cross_validate(LogisticRegression(), X, y, cv=cv, scoring=scoring)
    functions = {
        "pauc_raw": lambda t, s, p: partial_auc_score(t, s, max_fpr=0.2, standardize=False),
        "tpr": lambda t, s, p: tpr_at_fpr_score(t, s, max_fpr=0.1),
        "rap": lambda t, s, p: recall_at_precision_score(t, s, min_precision=0.7),
        "p_at_k": lambda t, s, p: precision_at_k_score(t, s, k=0.1),
        "cost": lambda t, s, p: -expected_cost_score(t, p, cost_matrix=COSTS),
    }
    for fold, (train, test) in enumerate(cv.split(X, y)):
        est = LogisticRegression().fit(X[train], y[train])
        truth, s = (y[test] == "yes").astype(int), est.decision_function(X[test])
        pred = (est.predict(X[test]) == "yes").astype(int)
        for name, func in functions.items():
            assert got[f"test_{name}"][fold] == pytest.approx(func(truth, s, pred), rel=1e-12), name


def test_per_row_costs_routed_through_cross_validate_and_grid_search():
    X, y = _problem(8, n=200)
    amount = np.random.RandomState(0).uniform(1, 100, len(y))
    costs = np.column_stack([np.zeros_like(amount), np.full_like(amount, 5.0), amount, np.full_like(amount, 5.0)])
    cv = StratifiedKFold(4)
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_surrogate_scorer("expected_profit").set_score_request(costs=True)
        got = cross_validate(LogisticRegression(), X, y, cv=cv, scoring=scorer, params={"costs": costs})
        search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]}, cv=cv, scoring=scorer).fit(
            X, y, costs=costs)
    for fold, (train, test) in enumerate(cv.split(X, y)):
        pred = LogisticRegression().fit(X[train], y[train]).predict(X[test])
        expected = -expected_cost_score(y[test], pred, costs=costs[test])
        assert got["test_score"][fold] == pytest.approx(expected, rel=1e-12)
    assert_allclose(search.cv_results_["split0_test_score"][1], got["test_score"][0], rtol=1e-12)


def test_tuned_threshold_on_expected_cost_matches_sklearn():
    X, y = _problem(9, n=300)

    def cost(y_true, y_pred):
        return _cost_by_confusion(y_true, y_pred, ["no", "yes"], COSTS)

    ours = TunedThresholdClassifierCV(LogisticRegression(), random_state=0,
                                      scoring=make_surrogate_scorer("expected_cost", cost_matrix=COSTS)).fit(X, y)
    theirs = TunedThresholdClassifierCV(LogisticRegression(), random_state=0,
                                        scoring=make_scorer(cost, greater_is_better=False)).fit(X, y)
    assert ours.best_threshold_ == pytest.approx(theirs.best_threshold_)
    assert ours.best_score_ == pytest.approx(theirs.best_score_)
    assert ours.best_threshold_ < 0.3  # a missed positive costs 10 times a false alarm: a low threshold


def test_tuned_threshold_with_routed_per_row_costs_matches_sklearn():
    X, y = _problem(10, n=300)
    amount = np.random.RandomState(1).uniform(1, 50, len(y))
    costs = np.column_stack([np.zeros_like(amount), np.full_like(amount, 3.0), amount, np.zeros_like(amount)])

    def cost(y_true, y_pred, costs):
        rows = costs.reshape(-1, 2, 2)[np.arange(len(y_true)), (y_true == "yes").astype(int)]
        return float(rows[np.arange(len(y_true)), (y_pred == "yes").astype(int)].mean())

    with sklearn.config_context(enable_metadata_routing=True):
        ours = TunedThresholdClassifierCV(
            LogisticRegression(), random_state=0,
            scoring=make_surrogate_scorer("expected_cost").set_score_request(costs=True)).fit(X, y, costs=costs)
        theirs = TunedThresholdClassifierCV(
            LogisticRegression(), random_state=0,
            scoring=make_scorer(cost, greater_is_better=False).set_score_request(costs=True)).fit(X, y, costs=costs)
    assert ours.best_threshold_ == pytest.approx(theirs.best_threshold_)
    assert ours.best_score_ == pytest.approx(theirs.best_score_)


@pytest.mark.parametrize(
    "metric, kwargs, reference",
    [
        ("tpr_at_fpr", {"max_fpr": 0.1}, lambda tpr, fpr, prec: tpr if fpr <= 0.1 else 0.0),
        ("recall_at_precision", {"min_precision": 0.8}, lambda tpr, fpr, prec: tpr if prec >= 0.8 else 0.0),
    ],
)
def test_tuned_threshold_picks_the_constrained_operating_point(metric, kwargs, reference):
    X, y = _problem(11, n=300)

    def constrained(y_true, y_pred):
        tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=["no", "yes"]).ravel()
        precision = tp / (tp + fp) if tp + fp else 0.0
        return reference(tp / (tp + fn), fp / (fp + tn), precision)

    ours = TunedThresholdClassifierCV(LogisticRegression(), random_state=0,
                                      scoring=make_surrogate_scorer(metric, **kwargs)).fit(X, y)
    theirs = TunedThresholdClassifierCV(LogisticRegression(), random_state=0,
                                        scoring=make_scorer(constrained)).fit(X, y)
    assert ours.best_threshold_ == pytest.approx(theirs.best_threshold_)
    assert ours.best_score_ == pytest.approx(theirs.best_score_)
    assert ours.best_score_ > 0.0
    # the tuned model's predictions keep (about) the constraint on the training rows
    pred = ours.predict(X)
    if metric == "tpr_at_fpr":
        assert np.mean(pred[y == "no"] == "yes") <= 0.2
    else:
        assert np.mean(y[pred == "yes"] == "yes") >= 0.6


@pytest.mark.parametrize("metric, kwargs", [("partial_auc", {"max_fpr": 0.1}), ("precision_at_k", {"k": 0.1}),
                                            ("average_precision", {})])
def test_tuned_threshold_refuses_pure_ranking_metrics(metric, kwargs):
    X, y = _problem(12, n=100)
    with pytest.raises(ValueError, match="decision threshold does not change"):
        TunedThresholdClassifierCV(LogisticRegression(), scoring=make_surrogate_scorer(metric, **kwargs)).fit(X, y)


def test_numpy_scalars_count_as_their_python_values():
    # np.True_ is the default standardize, so another metric does not refuse it; np.float32 rates are rates
    assert repr(make_surrogate_scorer("f1", standardize=np.True_)) == "make_surrogate_scorer(metric='f1')"
    scorer = make_surrogate_scorer("tpr_at_fpr", max_fpr=np.float32(0.25), standardize=np.True_)
    y, s = np.array([0, 0, 0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.7, 0.6, 0.8])
    assert scorer.score_proba(y, s, [0, 1]) == 1.0
    with pytest.raises(ValueError, match="standardize is only used by"):
        make_surrogate_scorer("f1", standardize=np.False_)
