"""Learned surrogates for the metrics with options (issue 20, part 4): ``metric_params`` from ``learn_surrogate``
through ``ReLoss``, the surrogate file and the classifier's scoring, and the shipped recall-at-precision surrogate."""

import json

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import fbeta_score, roc_auc_score

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
from sklearn_surrogate.learned import ReLoss, learn_surrogate, load_surrogate, save_surrogate
from sklearn_surrogate.learned._io import SHIPPED_METRIC_PARAMS, shipped_surrogate_path
from sklearn_surrogate.learned._metrics import SCORER_METRICS, metric_kinds, resolve_metric
from sklearn_surrogate._operating_metrics import recall_at_precision_score

TINY = {"steps": 20, "n_train_sets": 64, "n_test_sets": 32, "n_samples": 32, "sets_per_step": 16,
        "real_fraction": 0.0, "verbose": False}
#: an operating point for every scorer metric that takes one
PARAMS = {
    "fbeta": {"beta": 2.0},
    "gmean": {},
    "average_precision": {},
    "partial_auc": {"max_fpr": 0.1},
    "tpr_at_fpr": {"max_fpr": 0.05},
    "recall_at_precision": {"min_precision": 0.8},
    "precision_at_k": {"k": 0.1},
    "expected_cost": {"cost_matrix": [[0.0, 1.0], [5.0, 0.0]]},
    "expected_profit": {"cost_matrix": [[0.0, -1.0], [-5.0, 3.0]]},
}


def _binary_set(seed=0, n=64):
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n // 2, int), np.ones(n - n // 2, int)]
    p1 = 1 / (1 + np.exp(-(1.5 * (2 * y - 1) + rng.normal(size=n))))
    return y, np.column_stack([1 - p1, p1])


def test_every_scorer_metric_has_an_operating_point_here():
    assert set(PARAMS) == set(SCORER_METRICS)


def test_recall_at_precision_on_a_hand_computed_set():
    # scores, best first: 1 1 0 1 | 0 0 -> precision 1, 1, 2/3, 3/4, 3/5, 1/2 at recall 1/3, 2/3, 2/3, 1, 1, 1
    y = np.array([1, 1, 0, 1, 0, 0])
    p1 = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.1])
    P = np.column_stack([1 - p1, p1])
    for floor, expected in [(0.7, 1.0), (0.8, 2 / 3), (1.0, 2 / 3)]:
        evaluate, *_ = resolve_metric("recall_at_precision", 2, metric_params={"min_precision": floor})
        assert evaluate(y, P) == pytest.approx(expected)


def test_a_cost_is_learned_negated_so_that_higher_is_better():
    y, P = np.array([0, 0, 1, 1]), np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.1, 0.9]])
    evaluate, *_ = resolve_metric("expected_cost", 2, metric_params=PARAMS["expected_cost"])
    # one false positive (cost 1) and one false negative (cost 5) over 4 rows
    assert evaluate(y, P) == pytest.approx(-(1 + 5) / 4)


@pytest.mark.parametrize("name", ["fbeta", "partial_auc", "tpr_at_fpr", "precision_at_k", "average_precision"])
def test_scorer_metrics_equal_their_functions(name):
    from sklearn_surrogate._metric_table import METRIC_TABLE

    y, P = _binary_set()
    evaluate, label, counts, params = resolve_metric(name, 2, metric_params=PARAMS[name])
    assert (label, counts, params) == (name, (2,), PARAMS[name])
    if name == "fbeta":
        expected = fbeta_score(y, P.argmax(1), beta=2.0)
    elif name == "partial_auc":
        expected = roc_auc_score(y, P[:, 1], max_fpr=0.1)
    else:
        expected = METRIC_TABLE[name].score(y, P[:, 1], **params)
    assert evaluate(y, P) == pytest.approx(expected)


def test_which_class_counts_each_metric_is_defined_for():
    assert metric_kinds("recall_at_precision") == (True, False)
    assert metric_kinds("expected_cost") == (True, True)
    with pytest.raises(ValueError, match="'recall_at_precision' is not defined for n_classes=3"):
        resolve_metric("recall_at_precision", 3, metric_params={"min_precision": 0.8})
    evaluate, *_ = resolve_metric("expected_cost", 3, metric_params={"cost_matrix": np.ones((3, 3)) - np.eye(3)})
    y, P = np.array([0, 1, 2, 2]), np.eye(3)[[0, 1, 1, 2]]
    assert evaluate(y, P) == pytest.approx(-0.25)


@pytest.mark.parametrize("metric, params, error, text", [
    ("recall_at_precision", None, ValueError, r"needs metric_params=\{'min_precision': \.\.\.\}"),
    ("partial_auc", {}, ValueError, r"needs metric_params=\{'max_fpr': \.\.\.\}"),
    ("recall_at_precision", {"min_precision": 1.5}, ValueError, r"min_precision must be a number in \(0, 1\]"),
    ("recall_at_precision", {"min_precision": 0.8, "k": 3}, ValueError,
     r"metric_params \['k'\] are not options of the metric 'recall_at_precision'; its options are \['min_precision'\]"),
    ("precision_at_k", {"k": 0}, ValueError, "k must be a count >= 1"),
    ("f1", {"beta": 2.0}, ValueError, r"The metric 'f1' takes no metric_params, got \['beta'\]"),
    ("expected_cost", None, ValueError, r"needs metric_params=\{'cost_matrix': \.\.\.\}"),
    ("expected_cost", {"cost_matrix": [[0, 1, 1], [1, 0, 1], [1, 1, 0]]}, ValueError,
     r"metric_params\['cost_matrix'\] is 3 x 3, but the surrogate is learned for n_classes=\[2\]"),
    ("recall_at_precision", [("min_precision", 0.8)], TypeError, "metric_params must be a dict"),
    ("average_precision", {1: 2}, TypeError, "metric_params must be a dict with str keys"),
    ("recall_at_precisio", None, ValueError, r"Unknown metric 'recall_at_precisio'; built-in metrics are \["),
])
def test_bad_metric_params_are_named(metric, params, error, text):
    with pytest.raises(error, match=text):
        learn_surrogate(metric, metric_params=params, **TINY)


def test_a_callable_metric_receives_its_metric_params():
    seen = []

    def youden_shifted(y_true, y_pred, *, shift):
        seen.append(shift)
        return (y_pred[y_true == 1] == 1).mean() - (y_pred[y_true == 0] == 1).mean() + shift

    loss = learn_surrogate(youden_shifted, metric_params={"shift": 0.25}, **TINY)
    assert set(seen) == {0.25}
    assert loss.metric is None and loss.metric_params is None  # a user metric: no scorer options to record
    assert loss.info_["metric_params"] == {"shift": 0.25}


@pytest.fixture(scope="module")
def rap_loss():
    """A tiny surrogate for the recall at a precision of 0.9 (not the shipped operating point)."""
    return learn_surrogate("recall_at_precision", metric_params={"min_precision": 0.9}, random_state=0, **TINY)


def test_the_learned_loss_records_its_operating_point(rap_loss):
    assert rap_loss.metric == "recall_at_precision"
    assert rap_loss.metric_params == {"min_precision": 0.9} == rap_loss.info_["metric_params"]
    assert rap_loss.target_metric == "recall_at_precision"
    assert rap_loss.target_metric_params() == {"min_precision": 0.9}


def test_the_operating_point_survives_the_file(tmp_path, rap_loss):
    path = tmp_path / "rap.safetensors"
    save_surrogate(rap_loss, path)
    loaded = load_surrogate(path)
    assert json.loads(loaded.metadata_["metric_params"]) == {"min_precision": 0.9}
    assert loaded.metric == "recall_at_precision" and loaded.metric_params == {"min_precision": 0.9}
    logits, y = torch.randn(16, dtype=torch.float64), torch.arange(16) % 2
    assert torch.equal(loaded(logits, y), rap_loss(logits, y))


@pytest.mark.parametrize("value, allowed", [
    ("not json", "valid JSON"),
    ("[0.9]", "a JSON object"),
    ('{"min_precision": 2}', "the options of 'recall_at_precision' (min_precision must be a number in (0, 1]"),
    ('{"k": 3}', "the options of 'recall_at_precision' (metric_params ['k'] are not options"),
    ("{}", "the options of 'recall_at_precision' (The metric 'recall_at_precision' needs metric_params"),
])
def test_a_tampered_operating_point_is_refused(tmp_path, rap_loss, value, allowed):
    from safetensors.torch import save_file

    from sklearn_surrogate.learned._io import _read

    save_surrogate(rap_loss, tmp_path / "good.safetensors")
    meta, tensors = _read(tmp_path / "good.safetensors")
    path = tmp_path / "tampered.safetensors"
    save_file(tensors, str(path), metadata={**meta, "metric_params": value})
    with pytest.raises(ValueError) as info:
        load_surrogate(path)
    message = str(info.value)
    assert message.startswith(f"The surrogate file {str(path)!r} has an invalid metadata field 'metric_params': "
                              f"{value!r}; it must be {allowed}")


def test_options_on_a_metric_without_them_or_a_user_metric_file_are_refused(tmp_path, rap_loss):
    from safetensors.torch import save_file

    from sklearn_surrogate.learned._io import _read

    meta, tensors = _read(shipped_surrogate_path("f1"))
    for extra, allowed in [({"metric_params": '{"k": 3}'}, "the options of 'f1'"),
                           ({"metric_params": '{"k": 3}', "builtin_metric": "false"}, "empty unless")]:
        path = tmp_path / "f1.safetensors"
        save_file(tensors, str(path), metadata={**meta, **extra})
        with pytest.raises(ValueError, match=f"invalid metadata field 'metric_params'.*it must be {allowed}"):
            load_surrogate(path)


def test_the_classifier_scores_and_thresholds_at_the_learned_operating_point(rap_loss):
    X, y = make_classification(n_samples=240, n_features=6, weights=[0.7], random_state=0)
    clf = SurrogateClassifier(loss=rap_loss, batch_size=32, max_iter=3, random_state=0).fit(X, y)
    expected = make_surrogate_scorer("recall_at_precision", min_precision=0.9)(clf, X, y)
    assert clf.score(X, y) == pytest.approx(expected)
    assert clf.score(X, y) == pytest.approx(recall_at_precision_score(y, clf.predict_proba(X)[:, 1],
                                                                       min_precision=0.9))


def test_reloss_checks_metric_params_when_it_is_used():
    logits, y = torch.randn(8), torch.arange(8) % 2
    network = load_surrogate(shipped_surrogate_path("f1")).surrogate
    with pytest.raises(ValueError, match=r"ReLoss: the metric 'f1' takes no metric_params, got \['k'\]"):
        ReLoss(metric="f1", metric_params={"k": 3})(logits, y)
    with pytest.raises(ValueError, match=r"ReLoss: min_precision must be a number in \(0, 1\]"):
        ReLoss(metric="recall_at_precision", surrogate=network, metric_params={"min_precision": 3})(logits, y)
    with pytest.raises(ValueError, match="metric_params"):
        ReLoss(metric="f1", metric_params=[("k", 3)])(logits, y)
    # a user metric's surrogate takes any options: they are not the package's to check
    assert torch.isfinite(ReLoss(metric=None, surrogate=network, metric_params={"alpha": 1})(logits, y))


# -- the shipped recall-at-precision surrogate -------------------------------------------------------------------
def test_the_shipped_surrogate_is_used_at_its_own_operating_point_only():
    shipped = SHIPPED_METRIC_PARAMS["recall_at_precision"]
    loss = ReLoss(metric="recall_at_precision")
    assert loss.target_metric_params() == shipped
    assert torch.isfinite(loss(torch.randn(8), torch.arange(8) % 2))
    assert torch.isfinite(ReLoss(metric="recall_at_precision", metric_params=dict(shipped))(torch.randn(8),
                                                                                           torch.arange(8) % 2))
    with pytest.raises(ValueError, match=r"the shipped surrogate for 'recall_at_precision' is learned for "
                                         r"metric_params=\{'min_precision': 0.8\}, not \{'min_precision': 0.9\}\. "
                                         r"Learn one for that operating point with learn_surrogate"):
        ReLoss(metric="recall_at_precision", metric_params={"min_precision": 0.9})(torch.randn(8),
                                                                                  torch.arange(8) % 2)


def test_the_shipped_file_records_its_operating_point():
    for architecture in ("set", "per_sample"):
        loaded = load_surrogate(shipped_surrogate_path("recall_at_precision", architecture))
        assert loaded.metric_params == SHIPPED_METRIC_PARAMS["recall_at_precision"]
        assert loaded.trained_classes == (2,)


def test_the_shipped_surrogate_ranks_fresh_sets():
    from scipy.special import softmax

    from sklearn_surrogate.learned._prediction_sets import make_prediction_sets
    from sklearn_surrogate.learned._spearman import spearman

    loss = ReLoss(metric="recall_at_precision", ce_weight=0.0)  # the surrogate's own ranking
    evaluate, *_ = resolve_metric("recall_at_precision", 2, metric_params=SHIPPED_METRIC_PARAMS["recall_at_precision"])
    Y, Z = make_prediction_sets(200, n_samples=256, real_fraction=0.0, random_state=123)
    truth = [evaluate(y, softmax(z, axis=1)) for y, z in zip(Y, Z)]
    with torch.no_grad():
        values = [float(loss(torch.as_tensor(z[:, 1] - z[:, 0]), torch.as_tensor(y))) for y, z in zip(Y, Z)]
    assert spearman(-np.array(values), truth) > 0.85  # 0.919 when written


def test_the_benchmark_scores_the_shipped_operating_point():
    from sklearn_surrogate.app import TARGET_SCORERS

    target = dict(TARGET_SCORERS["recall_at_precision"])
    assert target.pop("metric") == "recall_at_precision"
    assert target == SHIPPED_METRIC_PARAMS["recall_at_precision"]
