"""SurrogateClassifier(metric=...): the cross-fitted ensemble, loss="auto" and the decision tuned for the metric."""

import pickle

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, f1_score, matthews_corrcoef
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import check_classifiers_train

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
from sklearn_surrogate._decision import tune_class_offsets, tune_threshold
from sklearn_surrogate._ensemble import _SCALE_RATE, CrossFitLoss, MLPEnsemble, assign_folds, out_of_fold_logits
from sklearn_surrogate._modules import MLP
from sklearn_surrogate.losses import CrossEntropyLoss

FAST = {"max_iter": 40, "hidden_layer_sizes": (32,)}


@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(n_samples=400, n_features=6, n_informative=4, weights=[0.85], flip_y=0.05,
                               random_state=0)
    return X, y


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_classification(n_samples=450, n_features=6, n_informative=4, n_classes=3,
                               weights=[0.6, 0.3, 0.1], random_state=1)
    return X, y


# -- what metric= builds ------------------------------------------------------------------------------
def test_without_metric_nothing_changes(imbalanced):
    X, y = imbalanced
    clf = SurrogateClassifier(max_iter=5, random_state=0).fit(X, y)
    assert type(clf.net_.module_) is MLP and isinstance(clf.loss_, CrossEntropyLoss)
    assert clf.threshold_ == 0.5
    assert_array_equal(clf.predict(X), clf.classes_[(clf.net_.forward(torch.as_tensor(X, dtype=torch.float32))
                                                     .numpy() > 0).astype(int)])


def test_metric_trains_a_cross_fitted_ensemble_and_tunes_the_threshold(imbalanced):
    X, y = imbalanced
    clf = SurrogateClassifier(metric="f1", random_state=0, **FAST).fit(X, y)
    assert isinstance(clf.net_.module_, MLPEnsemble) and clf.net_.module_.n_members == 8
    # loss="auto": cross-entropy, the measured rule (sklearn_surrogate/_auto.py), each member its own copy
    assert isinstance(clf.loss_, CrossFitLoss) and type(clf.loss_.base) is CrossEntropyLoss
    assert 0 < clf.threshold_ < 1
    proba = clf.predict_proba(X)[:, 1]
    decision = clf.decision_function(X)
    assert_array_equal(clf.predict(X) == clf.classes_[1], decision > 0)
    assert_array_equal(decision > 0, proba > clf.threshold_)
    # early stopping watched the out-of-fold metric every epoch
    assert all("valid_score" in row for row in clf.history_)
    assert clf.score(X, y) == pytest.approx(f1_score(y, clf.predict(X)))


@pytest.mark.parametrize(
    "metric, multiclass, smoothing",
    [
        ("f1", False, 0.0),  # binary: no smoothing
        ("f1_macro", True, 0.1),  # a multiclass metric of decisions: smoothed
        ("balanced_accuracy", True, 0.1),
        ("roc_auc", True, 0.0),  # a metric of scores: the smoothed logits rank less well
    ],
)
def test_auto_loss_smooths_the_labels_for_multiclass_decisions(imbalanced, three_classes, metric, multiclass,
                                                               smoothing):
    X, y = three_classes if multiclass else imbalanced
    clf = SurrogateClassifier(metric=metric, random_state=0, max_iter=2, hidden_layer_sizes=(8,)).fit(X, y)
    assert type(clf.loss_.base) is CrossEntropyLoss and clf.loss_.base.label_smoothing == smoothing
    # the user's loss__label_smoothing overrides the rule, either way
    clf.set_params(loss__label_smoothing=0.05).fit(X, y)
    assert clf.loss_.base.label_smoothing == 0.05
    # and a named loss is left as it is
    clf = SurrogateClassifier(metric=metric, loss="cross_entropy", random_state=0, max_iter=2,
                              hidden_layer_sizes=(8,)).fit(X, y)
    assert clf.loss_.base.label_smoothing == 0.0


def test_label_smoothing_keeps_the_member_logits_bounded(three_classes):
    # what smoothing changes in training: a plain cross-entropy keeps growing the logits of rows it already
    # classifies, a smoothed one stops where the labelled class has probability 1 - eps (K - 1) / K
    X, y = three_classes
    spans = {}
    for smoothing in [0.0, 0.1]:
        clf = SurrogateClassifier(metric="f1_macro", loss__label_smoothing=smoothing, early_stopping=False,
                                  max_iter=150, random_state=0).fit(X, y)
        proba = clf.predict_proba(X)
        spans[smoothing] = proba.max(axis=1).mean()
    assert spans[0.1] < spans[0.0]
    assert spans[0.1] < 1 - 0.1 * 2 / 3 + 0.01  # the smoothed optimum, up to the averaging of members


def test_threshold_is_the_best_on_the_out_of_fold_predictions(imbalanced):
    X, y = imbalanced
    clf = SurrogateClassifier(metric="f1", random_state=0, **FAST).fit(X, y)
    dataset = clf._dataset(clf._tensors(X.astype(np.float32), y, None), None)
    oof = out_of_fold_logits(clf.net_.module_, dataset, clf.loss_.folds)
    cut = np.log(clf.threshold_ / (1 - clf.threshold_))
    tuned = f1_score(y, oof > cut)
    # no cut of the out-of-fold logits does better
    assert all(f1_score(y, oof > c) <= tuned + 1e-12 for c in np.unique(oof))


def test_fixed_threshold(imbalanced):
    X, y = imbalanced
    clf = SurrogateClassifier(metric="f1", threshold=0.3, random_state=0, **FAST).fit(X, y)
    assert clf.threshold_ == 0.3
    assert_array_equal(clf.predict(X) == 1, clf.predict_proba(X)[:, 1] > 0.3)


def test_ranking_metric_keeps_the_default_threshold(imbalanced):
    X, y = imbalanced
    clf = SurrogateClassifier(metric="roc_auc", random_state=0, **FAST).fit(X, y)
    assert clf.threshold_ == 0.5
    assert clf.scorer_.metric == "roc_auc"


def test_multiclass_metric_tunes_class_offsets(three_classes):
    X, y = three_classes
    clf = SurrogateClassifier(metric="f1_macro", random_state=0, **FAST).fit(X, y)
    assert clf.class_offsets_.shape == (3,)
    logits = clf._logits(X)
    assert_array_equal(clf.predict(X), clf.classes_[np.argmax(logits + clf.class_offsets_, axis=1)])
    with pytest.raises(ValueError, match="binary decision threshold, but y has 3 classes"):
        SurrogateClassifier(metric="f1", threshold=0.4, **FAST).fit(X, y)


def test_single_network_with_metric_uses_the_validation_split(imbalanced):
    X, y = imbalanced
    clf = SurrogateClassifier(metric="balanced_accuracy", n_members=1, random_state=0, **FAST).fit(X, y)
    assert type(clf.net_.module_) is MLP
    assert "valid_score" in clf.history_[0] and 0 < clf.threshold_ < 1


def test_n_members_needs_the_default_network(imbalanced):
    X, y = imbalanced
    with pytest.raises(ValueError, match="n_members=3 builds an ensemble of the default network"):
        SurrogateClassifier(n_members=3, module=MLP, module__n_features=6, max_iter=2).fit(X, y)


def test_string_labels_sample_weight_and_pos_label(imbalanced):
    X, y = imbalanced
    labels = np.array(["bad", "good"])[1 - y]  # the minority is "bad" = classes_[0]
    scorer = make_surrogate_scorer("f1", pos_label="bad")
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    clf = SurrogateClassifier(metric=scorer, random_state=0, **FAST).fit(X, labels, sample_weight=weights)
    assert clf.classes_.tolist() == ["bad", "good"]
    # the threshold was tuned for the minority "bad": it is predicted, on a sensible share of rows
    share = np.mean(clf.predict(X) == "bad")
    assert 0.05 < share < 0.5
    assert clf.score(X, labels) == pytest.approx(f1_score(labels, clf.predict(X), pos_label="bad"))


@pytest.mark.parametrize("n_members", [4, 1])
def test_class_weight_trains_but_the_metric_weighs_rows_by_sample_weight_only(imbalanced, monkeypatch, n_members):
    # class_weight is a training device: the threshold and the checkpoint are chosen on the user's metric,
    # which weighs rows by sample_weight alone (as TunedThresholdClassifierCV scores them)
    import sklearn_surrogate._classifier as classifier_module

    X, y = imbalanced
    labels = np.array(["no", "yes"])[y]
    seen = []
    real_tune = classifier_module.tune_threshold

    def tune(y_true, logits, scorer, classes, sample_weight=None):
        seen.append(sample_weight)
        return real_tune(y_true, logits, scorer, classes, sample_weight)

    monkeypatch.setattr(classifier_module, "tune_threshold", tune)
    params = dict(metric="f1", n_members=n_members, random_state=0, **FAST)
    clf = SurrogateClassifier(class_weight={"no": 1, "yes": 5}, **params).fit(X, labels)
    assert seen[-1] is None
    # sample weights of 1 and 3: the tuning weights keep exactly that ratio, class weights divided out
    weights = np.random.default_rng(0).choice([1.0, 3.0], len(y))
    clf = SurrogateClassifier(class_weight="balanced", **params).fit(X, labels, sample_weight=weights)
    ratios = np.unique(np.round(seen[-1] / seen[-1].min(), 9))
    assert_allclose(ratios, [1.0, 3.0])
    if n_members > 1:  # every row's out-of-fold prediction, in row order
        assert_allclose(seen[-1] / seen[-1][0], weights / weights[0])
    # early stopping scored the same metric: its scorer weighs the held-out rows the same way
    monitor = dict(clf.net_.callbacks_)["valid_score"]
    assert_allclose(monitor.sample_weight / monitor.sample_weight.min(), seen[-1] / seen[-1].min())


def test_grid_search_and_pickle(imbalanced):
    X, y = imbalanced
    search = GridSearchCV(
        SurrogateClassifier(metric="f1", random_state=0, **FAST),
        {"threshold": ["auto", 0.5], "n_members": [1, 3]}, cv=2, scoring="f1",
    ).fit(X, y)
    assert set(search.cv_results_["param_n_members"]) == {1, 3}
    model = search.best_estimator_
    restored = pickle.loads(pickle.dumps(model))
    assert restored.threshold_ == model.threshold_
    assert_allclose(restored.predict_proba(X), model.predict_proba(X))
    assert_array_equal(restored.predict(X), model.predict(X))


def test_estimator_check_that_a_tuned_threshold_fails_holds_for_the_ensemble_otherwise():
    # check_classifiers_train asks predict == arg-max of predict_proba, which a tuned threshold breaks by design
    # (test_common.py expects it to fail there); with a ranking metric the threshold stays 0.5
    check_classifiers_train("SurrogateClassifier", SurrogateClassifier(metric="roc_auc", max_iter=100))


# -- the cross-fitting ------------------------------------------------------------------------------
def test_each_member_learns_only_from_rows_outside_its_fold():
    torch.manual_seed(0)
    module = MLPEnsemble(n_features=3, n_outputs=1, n_members=3, hidden_layer_sizes=(4,))
    loss = CrossFitLoss(CrossEntropyLoss(), 3)
    loss.setup(2, 6)
    loss.assign(np.array([0, 0, 1, 1, 2, 2]))
    X, y = torch.randn(6, 3), torch.tensor([0, 1, 0, 1, 0, 1])
    rows = torch.tensor([0, 1])  # both in fold 0: member 0 must get no gradient from them
    loss(module.train()(X[rows]), y[rows], index=rows).backward()
    first = module.layers[0]
    assert torch.count_nonzero(first.weight.grad[0]) == 0 and torch.count_nonzero(first.weight.grad[1]) > 0


def test_assign_folds_is_stratified_and_copes_with_rare_classes():
    folds = assign_folds(np.array([0] * 20 + [1] * 8), 4, random_state=0)
    assert np.bincount(folds[20:]).tolist() == [2, 2, 2, 2]
    rare = assign_folds(np.array([0] * 10 + [1] * 2), 4, random_state=0)
    assert len(np.unique(rare[10:])) == 2  # the two rows of the rare class land in different folds


def test_ensemble_input_statistics_are_robust_and_saved():
    X = np.c_[np.random.default_rng(0).normal(5, 2, 500), np.r_[np.zeros(499), 1e6]]
    module = MLPEnsemble(2, 1, n_members=2, hidden_layer_sizes=(4,))
    module.set_input_statistics(X)
    assert module.input_center[0] == pytest.approx(np.median(X[:, 0]), rel=1e-5)
    out = module.eval()(torch.as_tensor(X, dtype=torch.float32))
    assert torch.isfinite(out).all()  # the outlier is clipped smoothly, not propagated
    assert "bin_edges" in module.state_dict() and "input_scale" in module.state_dict()


def test_encoding_leaves_out_columns_of_two_values_or_fewer():
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=300), rng.integers(0, 2, 300), np.ones(300), rng.exponential(size=300)]
    module = MLPEnsemble(4, 1, n_members=2, hidden_layer_sizes=(4,))
    assert module.layers[0].weight.shape[1] == 4 * 17  # before the statistics: every feature has its bins
    optimizer = torch.optim.Adam(module.parameters())
    module.set_input_statistics(X)
    # the one-hot-like and the constant column get no bins: they would only repeat the column
    assert module.encoded.tolist() == [0, 3] and module.bin_edges.shape == (2, 17)
    assert module.layers[0].weight.shape[1] == 4 + 2 * 16
    # the lone inputs keep the pace of a binned feature: gain 1 + n_bins, weights sqrt(1 + n_bins) smaller
    assert module._plain_gain().tolist() == [1.0, 17.0, 17.0, 1.0]
    weight = module.layers[0].weight.detach()
    assert weight[:, [1, 2]].abs().max() <= 1 / np.sqrt(weight.shape[1]) / np.sqrt(17) + 1e-7
    assert weight[:, [0, 3]].abs().max() > 1 / np.sqrt(weight.shape[1]) / np.sqrt(17)
    # resized in place: an optimizer made before still holds the first layer's parameters
    assert any(p is module.layers[0].weight for group in optimizer.param_groups for p in group["params"])
    out = module.eval()(torch.as_tensor(X, dtype=torch.float32))
    assert out.shape == (300,) and torch.isfinite(out).all()
    # a fresh module (every feature binned) takes the saved shapes when it loads the state
    fresh = MLPEnsemble(4, 1, n_members=2, hidden_layer_sizes=(4,))
    fresh.load_state_dict(module.state_dict())
    assert_allclose(fresh.eval()(torch.as_tensor(X, dtype=torch.float32)).detach().numpy(),
                    out.detach().numpy())


def test_n_bins_sets_or_turns_off_the_encoding(three_classes):
    X, y = three_classes  # six continuous features: every one is encoded
    fitted = {}
    for n_bins, width in [(0, 6), (4, 6 + 6 * 4), (16, 6 + 6 * 16)]:
        clf = SurrogateClassifier(metric="f1_macro", n_members=2, n_bins=n_bins, random_state=0, **FAST).fit(X, y)
        assert clf.net_.module_.n_bins == n_bins
        assert clf.net_.module_.layers[0].weight.shape[1] == width
        restored = pickle.loads(pickle.dumps(clf))
        assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
        fitted[n_bins] = clf
    assert SurrogateClassifier().n_bins == "auto"
    assert not np.allclose(fitted[0].predict_proba(X), fitted[16].predict_proba(X))
    # a warm start cannot change the network's shape: a clear error, not a torch one
    with pytest.raises(ValueError, match="shape differs"):
        fitted[0].set_params(warm_start=True, n_bins=4).fit(X, y)
    with pytest.raises(ValueError, match="'n_bins' parameter"):
        SurrogateClassifier(metric="f1_macro", n_bins=-1).fit(X, y)


def _linear_three_classes(seed, n=240):
    """Three classes cut along one direction of eight strongly correlated features: bins only add noise."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    X = z @ rng.normal(size=(2, 8)) + 0.05 * rng.normal(size=(n, 8))
    return X, np.digitize(z[:, 0] - 0.5 * z[:, 1], [-0.5, 0.5])


def _banded_three_classes(seed, n=240):
    """Three classes set by a wave in one feature: the bins of the piecewise-linear encoding draw it."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(n, 4))
    return X, np.digitize(np.sin(2 * X[:, 0]) + 0.3 * X[:, 1], [-0.4, 0.4])


def test_n_bins_auto_keeps_the_encoding_with_the_better_out_of_fold_score():
    # multiclass metric of decisions: both encodings are fitted, the better out-of-fold score is kept
    fast = {"n_members": 4, "hidden_layer_sizes": (32,), "max_iter": 150, "learning_rate_init": 1e-2}
    chosen = set()
    for X, y in [_banded_three_classes(1), _linear_three_classes(1)]:
        clf = SurrogateClassifier(metric="f1_macro", random_state=0, **fast).fit(X, y)
        assert set(clf.bin_scores_) == {16, 0}
        assert clf.bin_scores_[clf.n_bins_] == max(clf.bin_scores_.values())
        assert clf.net_.module_.n_bins == clf.n_bins_
        chosen.add(clf.n_bins_)
        # the kept model is the fit of that encoding, to the digit, and its score is its out-of-fold score
        same = SurrogateClassifier(metric="f1_macro", n_bins=clf.n_bins_, random_state=0, **fast).fit(X, y)
        assert_array_equal(clf.predict_proba(X), same.predict_proba(X))
        assert_array_equal(clf.class_offsets_, same.class_offsets_)
        timeless = [[{k: v for k, v in row.items() if k != "dur"} for row in fit.history_] for fit in (clf, same)]
        assert timeless[0] == timeless[1] and not hasattr(same, "bin_scores_")
        oof = out_of_fold_logits(same.net_.module_, same._dataset(same._tensors(X.astype(np.float32), y, None), None),
                                 same.loss_.folds)
        _, score = tune_class_offsets(y, oof, make_surrogate_scorer("f1", average="macro"), clf.classes_)
        assert clf.bin_scores_[clf.n_bins_] == pytest.approx(score)
        # a warm start continues the chosen encoding, without choosing again
        clf.set_params(warm_start=True, max_iter=2).fit(X, y)
        assert clf.net_.module_.n_bins == clf.n_bins_ and not hasattr(clf, "bin_scores_")
    assert chosen == {0, 16}  # each data set chose differently: neither encoding is forced


def test_n_bins_auto_is_16_where_there_is_nothing_to_choose_on(imbalanced, three_classes):
    X, y = three_classes
    for clf, data in [
        (SurrogateClassifier(metric="f1", n_members=2, **FAST), imbalanced),  # binary: measured with 16
        (SurrogateClassifier(metric="roc_auc", n_members=2, **FAST), three_classes),  # no decision to tune
        (SurrogateClassifier(metric="f1_macro", n_members=2, early_stopping=False, **FAST).set_params(
            n_members=1), three_classes),  # a single network has no encoding
    ]:
        clf.fit(*data)
        assert not hasattr(clf, "bin_scores_")
        if clf.n_members == 1:
            assert clf.n_bins_ is None
        else:
            assert clf.n_bins_ == 16 and clf.net_.module_.n_bins == 16


def test_learn_scale_weighs_the_first_layer_inputs():
    X, y = make_classification(n_samples=600, n_features=4, n_informative=4, n_redundant=0, random_state=0)
    X = np.c_[X, np.random.default_rng(0).normal(size=(600, 6)), (X[:, 0] > 0).astype(float)]  # noise, one-hot
    plain = SurrogateClassifier(metric="f1", n_members=2, learn_scale=False, random_state=0, max_iter=40).fit(X, y)
    clf = SurrogateClassifier(metric="f1", n_members=2, learn_scale=True, random_state=0, max_iter=40).fit(X, y)
    assert plain.net_.module_.scale is None
    # "auto" (the default) learns the scale on a binary problem: the very same fit as True
    default = SurrogateClassifier(metric="f1", n_members=2, random_state=0, max_iter=40).fit(X, y)
    assert SurrogateClassifier().learn_scale == "auto" and default.net_.module_.scale is not None
    assert_array_equal(default.predict_proba(X), clf.predict_proba(X))
    # ... and not on a multiclass one (measured level to worse there), unless asked
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    multi = SurrogateClassifier(metric="f1_macro", n_members=2, n_bins=0, random_state=0, max_iter=5).fit(X, y3)
    assert multi.net_.module_.scale is None
    asked = SurrogateClassifier(metric="f1_macro", n_members=2, n_bins=0, learn_scale=True, random_state=0,
                                max_iter=5).fit(X, y3)
    assert asked.net_.module_.scale is not None
    # nor for a ranking or a cost metric (not measured there)
    for metric in ("roc_auc", make_surrogate_scorer("expected_cost", cost_matrix=[[0, 1], [5, 0]])):
        other = SurrogateClassifier(metric=metric, n_members=2, random_state=0, max_iter=5).fit(X, y)
        assert other.net_.module_.scale is None, metric
    module = clf.net_.module_
    # one factor per member and first-layer input (the one-hot column has no bins), learned
    assert module.scale.shape == (2, 1, module.layers[0].weight.shape[1]) == (2, 1, 11 + 10 * 16)
    factor = 1 + _SCALE_RATE * module.scale.detach()[:, 0]
    assert not torch.allclose(factor, torch.ones_like(factor))
    # a feature's mean factor over its inputs (itself and its 16 bins): the informative ones grow the most
    per_feature = torch.cat([factor[:, :10, None], factor[:, 11:].reshape(2, 10, 16)], dim=-1).abs().mean(dim=(0, 2))
    assert per_feature[:4].min() > per_feature[4:].max()
    assert not np.allclose(plain.predict_proba(X), clf.predict_proba(X))
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    restored.set_params(warm_start=True, max_iter=2).fit(X, y)  # the loaded shapes and optimizer state carry on
    assert np.isfinite(restored.predict_proba(X)).all()
    with pytest.raises(ValueError, match="'learn_scale' parameter"):
        SurrogateClassifier(metric="f1", learn_scale="yes").fit(X, y)


def test_one_hot_data_round_trips_and_warm_starts():
    X, y = make_classification(n_samples=300, n_features=4, weights=[0.8], random_state=0)
    X = np.c_[X, (X[:, 0] > 0).astype(float), (X[:, 1] > 0.5).astype(float)]  # two one-hot-like columns
    clf = SurrogateClassifier(metric="f1", random_state=0, **FAST).fit(X, y)
    assert clf.net_.module_.encoded.tolist() == [0, 1, 2, 3]
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.threshold_ == clf.threshold_
    # warm start continues from the loaded shapes and optimizer state
    restored.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert restored.net_.module_.layers[0].weight.shape == clf.net_.module_.layers[0].weight.shape
    assert np.isfinite(restored.predict_proba(X)).all()


# -- the decision rules ------------------------------------------------------------------------------
@pytest.mark.parametrize("metric, exact", [
    ("f1", f1_score), ("balanced_accuracy", balanced_accuracy_score), ("mcc", matthews_corrcoef),
])
@pytest.mark.parametrize("weighted", [False, True])
def test_tune_threshold_finds_the_best_cut(metric, exact, weighted):
    rng = np.random.default_rng(3)
    y = (rng.uniform(size=300) < 0.2).astype(int)
    logits = y * 1.0 + rng.normal(size=300)
    w = rng.uniform(0.2, 3, 300) if weighted else None
    cut, score = tune_threshold(y, logits, make_surrogate_scorer(metric), np.array([0, 1]), w)
    brute = max(exact(y, logits > c, sample_weight=w) for c in np.r_[logits, logits.min() - 1])
    assert score == pytest.approx(brute) and exact(y, logits > cut, sample_weight=w) == pytest.approx(brute)


def test_tune_threshold_for_the_other_class_and_a_callable_metric():
    rng = np.random.default_rng(4)
    y = (rng.uniform(size=200) < 0.7).astype(int)  # class 0 is the minority
    logits = y * 1.5 + rng.normal(size=200)
    scorer = make_surrogate_scorer("f1", pos_label=0)
    cut, score = tune_threshold(y, logits, scorer, np.array([0, 1]))
    brute = max(f1_score(y, logits > c, pos_label=0) for c in np.r_[logits, logits.min() - 1])
    assert score == pytest.approx(brute)
    custom = make_surrogate_scorer(lambda t, p: float(np.mean(t == p)))
    cut, score = tune_threshold(y, logits, custom, np.array([0, 1]))
    assert score == pytest.approx(np.mean(y == (logits > cut)))


def test_class_offsets_never_score_worse_than_the_arg_max(three_classes):
    rng = np.random.default_rng(5)
    _, y = three_classes
    logits = np.eye(3)[y] * 1.2 + rng.normal(size=(len(y), 3))
    for metric in ("f1", "balanced_accuracy"):
        scorer = make_surrogate_scorer(metric)
        base = scorer.score_predictions(y, logits.argmax(axis=1), np.arange(3))
        offsets, score = tune_class_offsets(y, logits, scorer, np.arange(3))
        assert score >= base
        assert scorer.score_predictions(y, np.argmax(logits + offsets, axis=1), np.arange(3)) == pytest.approx(score)


def _operating_data(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 5).astype(np.float32)
    return X, (X[:, 0] + 0.5 * X[:, 1] + rng.randn(n) > 1.5).astype(int)


def test_metric_of_scores_with_an_operating_point_sets_the_threshold_there():
    # tpr_at_fpr: predict follows the Neyman-Pearson threshold read off the out-of-fold rows; precision_at_k: the
    # top k share is flagged; a pure ranking metric keeps the default threshold
    X, y = _operating_data(1500, 0)
    model = SurrogateClassifier(metric=make_surrogate_scorer("tpr_at_fpr", max_fpr=0.05), max_iter=30,
                                random_state=0).fit(X, y)
    assert model.threshold_ != 0.5
    proba = model.predict_proba(X)[:, 1]
    assert_array_equal(model.predict(X) == 1, proba >= model.threshold_)
    X_test, y_test = _operating_data(4000, 1)
    false_positive_rate = (model.predict(X_test)[y_test == 0] == 1).mean()
    assert false_positive_rate < 0.1  # tuned for 0.05 on held-out rows; a default threshold flags far fewer or more
    top = SurrogateClassifier(metric=make_surrogate_scorer("precision_at_k", k=0.1), max_iter=30,
                              random_state=0).fit(X, y)
    assert abs(top.predict(X_test).mean() - 0.1) < 0.03
    ranking = SurrogateClassifier(metric=make_surrogate_scorer("partial_auc", max_fpr=0.1), max_iter=5,
                                  random_state=0).fit(X, y)
    assert ranking.threshold_ == 0.5
