"""Per-example costs through ``SurrogateClassifier.fit`` (issue 19): to the loss, the validation score and routing.

The costs of a row are made to name it (its false-negative cost is ``1 + row``), so that what a loss or a scorer
received can be traced back to the rows it came from.
"""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from skorch.callbacks import Callback

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
from sklearn_surrogate._scorer import SurrogateScorer
from sklearn_surrogate.losses import CostSensitiveLoss

N = 160
X, Y = make_classification(n_samples=N, n_features=6, random_state=0)
X = X.astype(np.float32)
ROW_COSTS = np.column_stack([np.zeros(N), np.ones(N), 1.0 + np.arange(N), np.zeros(N)])  # [TN, FP, FN, TP]


def _rows_of(costs):
    """The row numbers that ``ROW_COSTS``-style costs (FN cost ``1 + row``) name."""
    costs = np.asarray(costs, dtype=np.float64).reshape(-1, 4)
    return np.rint(costs[:, 2] - 1).astype(int)


def _model(**params):
    return SurrogateClassifier(**{"hidden_layer_sizes": (16,), "max_iter": 5, "random_state": 0, **params})


class RecordingCostLoss(CostSensitiveLoss):
    """The cost-sensitive loss, recording each batch's row indices and costs (into a class-level list).

    ``seen`` holds ``(index, costs)`` of training batches, ``seen_eval`` those of the validation loss's batches.
    """

    needs_sample_index = True
    seen = []
    seen_eval = []

    def forward(self, logits, targets, sample_weight=None, costs=None, index=None, **extra):
        (RecordingCostLoss.seen if self.training else RecordingCostLoss.seen_eval).append(
            (None if index is None else index.cpu().numpy().copy(), None if costs is None else costs.cpu().numpy())
        )
        return super().forward(logits, targets, sample_weight, costs=costs)


@pytest.fixture
def recorded():
    RecordingCostLoss.seen, RecordingCostLoss.seen_eval = [], []
    yield RecordingCostLoss.seen
    RecordingCostLoss.seen, RecordingCostLoss.seen_eval = [], []


def _weights(clf):
    return [p.detach().clone() for p in clf.net_.module_.parameters()]


class _BatchListener(Callback):
    """A callback with a batch hook: training then runs skorch's loop instead of the lean one."""

    def on_batch_end(self, net, **kwargs):
        pass


@pytest.mark.parametrize("loop", ["lean", "skorch"])
def test_costs_reach_the_loss_row_by_row(recorded, loop):
    callbacks = [("listener", _BatchListener())] if loop == "skorch" else None
    _model(loss=RecordingCostLoss, batch_size=32, callbacks=callbacks).fit(X, Y, costs=ROW_COSTS)
    assert len(recorded) == 5 * 5  # 5 epochs of 5 batches
    for index, costs in recorded:
        assert costs is not None and costs.shape == (len(index), 2, 2)
        np.testing.assert_array_equal(_rows_of(costs), index)  # each row got its own costs
    assert set(np.concatenate([index for index, _ in recorded]).tolist()) == set(range(N))


def test_costs_train_only_on_the_training_split_and_score_the_validation_rows(recorded, monkeypatch):
    scored = []
    score_proba = SurrogateScorer.score_proba

    def recording_score_proba(self, y_true, proba, classes, sample_weight=None, costs=None):
        scored.append((np.asarray(y_true).copy(), None if costs is None else np.asarray(costs).copy()))
        return score_proba(self, y_true, proba, classes, sample_weight=sample_weight, costs=costs)

    monkeypatch.setattr(SurrogateScorer, "score_proba", recording_score_proba)
    clf = _model(loss=RecordingCostLoss, scoring="expected_cost", early_stopping=True, validation_fraction=0.25,
                 n_iter_no_change=50).fit(X, Y, costs=ROW_COSTS)
    trained = set(np.concatenate([index for index, _ in recorded]).tolist())
    assert len(scored) == clf.n_iter_  # one validation score per epoch
    valid = _rows_of(scored[0][1])
    assert len(valid) == N // 4 and not trained & set(valid.tolist()) and trained | set(valid.tolist()) == set(range(N))
    # the validation loss (valid_loss) saw the validation rows with their own costs too
    for index, costs in RecordingCostLoss.seen_eval:
        np.testing.assert_array_equal(_rows_of(costs), index)
    assert set(np.concatenate([index for index, _ in RecordingCostLoss.seen_eval]).tolist()) == set(valid.tolist())
    np.testing.assert_array_equal(scored[0][0], Y[valid])  # the labels of those very rows
    # the history's score is the expected cost of the validation rows under their own costs
    scorer = make_surrogate_scorer("expected_cost")
    expected = scorer(clf, X[valid], Y[valid], costs=ROW_COSTS[valid])  # the best epoch's weights were restored
    assert max(row["valid_score"] for row in clf.history_) == pytest.approx(expected)


@pytest.mark.parametrize("layout", ["n4", "n22"])
def test_equal_costs_train_the_cost_matrix_model(layout):
    matrix = np.array([[0.0, 1.0], [5.0, 0.0]])
    costs = np.tile(matrix.reshape(1, 4), (N, 1)) if layout == "n4" else np.tile(matrix, (N, 1, 1))
    by_row = _model(loss="cost_sensitive").fit(X, Y, costs=costs)
    by_matrix = _model(loss="cost_sensitive", loss__cost_matrix=matrix).fit(X, Y)
    for a, b in zip(_weights(by_row), _weights(by_matrix)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_equal_multiclass_costs_train_the_cost_matrix_model():
    X3, y3 = make_classification(n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=1)
    matrix = np.array([[0.0, 1.0, 4.0], [2.0, 0.0, 1.0], [8.0, 1.0, 0.0]])
    by_row = _model(loss="cost_sensitive").fit(X3, y3, costs=np.tile(matrix, (len(y3), 1, 1)))
    by_matrix = _model(loss="cost_sensitive", loss__cost_matrix=matrix).fit(X3, y3)
    for a, b in zip(_weights(by_row), _weights(by_matrix)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_costs_that_differ_per_row_change_the_model():
    uniform = _model(loss="cost_sensitive").fit(X, Y, costs=np.tile([0.0, 1.0, 1.0, 0.0], (N, 1)))
    per_row = _model(loss="cost_sensitive").fit(X, Y, costs=ROW_COSTS)
    assert any(not torch.equal(a, b) for a, b in zip(_weights(uniform), _weights(per_row)))


def test_partial_fit_takes_costs(recorded):
    clf = _model(loss=RecordingCostLoss, batch_size=64)
    clf.partial_fit(X[:80], Y[:80], classes=[0, 1], costs=ROW_COSTS[:80])
    clf.partial_fit(X[80:], Y[80:], costs=ROW_COSTS[80:])
    first = np.concatenate([_rows_of(c) for _, c in recorded[:2]])
    second = np.concatenate([_rows_of(c) for _, c in recorded[2:]])
    assert sorted(first.tolist()) == list(range(80)) and sorted(second.tolist()) == list(range(80, N))


def test_cross_fitted_ensemble_passes_each_member_its_rows_costs(recorded):
    _model(loss=RecordingCostLoss, n_members=2, batch_size=40, early_stopping=False).fit(X, Y, costs=ROW_COSTS)
    # CrossFitLoss calls each member's loss on the rows outside its fold: the costs follow the rows
    assert recorded and all(costs is not None for _, costs in recorded)
    for index, costs in recorded:
        np.testing.assert_array_equal(_rows_of(costs), index)


@pytest.mark.parametrize("dear", ["fn", "fp"])
def test_metric_threshold_is_tuned_on_the_costs(dear):
    # a missed positive 20 times dearer than a false alarm pulls the threshold down; the reverse pushes it up
    row = [0.0, 1.0, 20.0, 0.0] if dear == "fn" else [0.0, 20.0, 1.0, 0.0]
    clf = _model(loss="cost_sensitive", metric="expected_cost", n_members=2, max_iter=3)
    clf.fit(X, Y, costs=np.tile(row, (N, 1)))
    assert (clf.threshold_ < 0.5) if dear == "fn" else (clf.threshold_ > 0.5)


@pytest.mark.parametrize("loss", ["auto", "cross_entropy", "f1"])
def test_a_loss_without_costs_refuses_them(loss):
    name = {"auto": "CrossEntropyLoss", "cross_entropy": "CrossEntropyLoss", "f1": "FBetaLoss"}[loss]
    with pytest.raises(ValueError, match=f"costs were passed to fit, but .*{name}, which takes no per-example costs"):
        _model(loss=loss).fit(X, Y, costs=ROW_COSTS)


def test_takes_costs_flag():
    from sklearn_surrogate.losses import SurrogateLoss, get_loss, get_loss_names

    assert SurrogateLoss.takes_costs is False and CostSensitiveLoss.takes_costs is True
    assert [name for name in get_loss_names() if getattr(get_loss(name), "takes_costs", False)] == ["cost_sensitive"]


def test_score_takes_costs():
    clf = _model(loss="cost_sensitive", scoring="expected_cost").fit(X, Y, costs=ROW_COSTS)
    scorer = make_surrogate_scorer("expected_cost")
    assert clf.score(X, Y, costs=ROW_COSTS) == pytest.approx(scorer(clf, X, Y, costs=ROW_COSTS))
    assert clf.score(X, Y, costs=2 * ROW_COSTS) == pytest.approx(2 * clf.score(X, Y, costs=ROW_COSTS))


def test_costs_routed_to_fit_and_scorer_through_grid_search(recorded):
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    grid = {"learning_rate_init": [1e-3, 1e-2]}
    with sklearn.config_context(enable_metadata_routing=True):
        est = _model(loss=RecordingCostLoss).set_fit_request(costs=True)
        scorer = make_surrogate_scorer("expected_cost").set_score_request(costs=True)
        search = GridSearchCV(est, grid, scoring=scorer, cv=cv, refit=False).fit(X, Y, costs=ROW_COSTS)
        assert est.get_metadata_routing().fit.requests["costs"] is True
    # every fit got the costs of its own training rows
    splits = list(cv.split(X, Y))
    batches_per_fit = len(recorded) // (len(splits) * 2)
    for i, (_, costs) in enumerate(recorded):
        train, _ = splits[(i // batches_per_fit) % len(splits)]
        assert set(_rows_of(costs).tolist()) <= set(train.tolist())
    # and each test score is the expected cost of the test rows under their costs, as computed by hand
    for k, (train, test) in enumerate(splits):
        for j, lr in enumerate(grid["learning_rate_init"]):
            model = clone(_model(loss="cost_sensitive")).set_params(learning_rate_init=lr)
            model.fit(X[train], Y[train], costs=ROW_COSTS[train])
            by_hand = make_surrogate_scorer("expected_cost")(model, X[test], Y[test], costs=ROW_COSTS[test])
            assert search.cv_results_[f"split{k}_test_score"][j] == pytest.approx(by_hand)
