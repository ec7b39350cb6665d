"""``pos_label`` of the binary losses: which class a binary problem trains for.

* the losses: ``pos_label=0`` is the loss of the flipped problem (negated logit, flipped targets),
  F-beta then scores class 0, the symmetric metrics do not change, and the default is untouched;
* standalone misuse (a label instead of an index, a multiclass problem) raises;
* the estimator: a scorer's ``pos_label`` trains for that class (pc4, minority relabelled as
  ``classes_[0]``), ``loss__pos_label`` does the same, the default scoring follows, and bad
  values raise scikit-learn's error; a grid search over ``loss__pos_label``.
"""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import f1_score, fbeta_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
from sklearn_surrogate.datasets import load_shipped
from sklearn_surrogate.losses import AUCMarginLoss, FBetaLoss, get_loss
from sklearn_surrogate.losses._base import resolve_pos_label

CONFUSION = ["f1", "fbeta", "accuracy", "balanced_accuracy", "gmean", "mcc"]
AUC = ["auc_square", "auc_squared_hinge", "auc_exp", "auc_logistic", "auc_margin"]
POS_LABEL_LOSSES = CONFUSION + AUC
# every loss above but F-beta's binary average is symmetric in the two classes
SYMMETRIC = [name for name in POS_LABEL_LOSSES if name not in ("f1", "fbeta")]


def _batch(n=64, seed=0, two_columns=False):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn((n, 2) if two_columns else (n,), generator=g, dtype=torch.float64) * 2.0
    targets = (torch.rand(n, generator=g) < 0.3).long()
    weights = torch.rand(n, generator=g, dtype=torch.float64) + 0.1
    return logits, targets, weights


def _value_and_grad(loss, logits, targets, weights):
    logits = logits.clone().requires_grad_(True)
    value = loss(logits, targets, sample_weight=weights)
    (grad,) = torch.autograd.grad(value, logits)
    return value.detach(), grad


# ---------------------------------------------------------------------------
# the losses on their own
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", POS_LABEL_LOSSES)
@pytest.mark.parametrize("two_columns", [False, True], ids=["one_logit", "two_logits"])
def test_pos_label_zero_is_the_flipped_problem(name, two_columns):
    logits, targets, weights = _batch(two_columns=two_columns)
    flipped_logits = logits.flip(1) if two_columns else -logits
    value, grad = _value_and_grad(get_loss(name, pos_label=0), logits, targets, weights)
    expected, expected_grad = _value_and_grad(get_loss(name), flipped_logits, 1 - targets, weights)
    torch.testing.assert_close(value, expected, rtol=1e-12, atol=0)
    # d/dz of f(-z) is -f'(-z); swapping the columns swaps the gradient's columns
    torch.testing.assert_close(grad, expected_grad.flip(1) if two_columns else -expected_grad, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", POS_LABEL_LOSSES)
def test_pos_label_one_and_none_are_the_default(name):
    logits, targets, weights = _batch(seed=1)
    default = get_loss(name)(logits, targets, sample_weight=weights)
    assert torch.equal(get_loss(name, pos_label=1)(logits, targets, sample_weight=weights), default)
    assert get_loss(name).get_params()["pos_label"] is None


@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_fbeta_pos_label_zero_scores_class_zero(beta):
    # confident logits: the soft counts are the hard ones, so the loss is one minus class 0's F-beta
    logits, targets, _ = _batch(n=200, seed=2)
    logits = torch.where(logits > 0, 8.0, -8.0).double()
    predictions = (logits > 0).long().numpy()
    for pos_label in (0, 1):
        value = FBetaLoss(beta=beta, pos_label=pos_label)(logits, targets).item()
        expected = 1.0 - fbeta_score(targets.numpy(), predictions, beta=beta, pos_label=pos_label)
        np.testing.assert_allclose(value, expected, atol=1e-4)
    # the two classes' F-beta differ on this imbalanced batch: pos_label is not a no-op here
    assert abs(FBetaLoss(beta=beta, pos_label=0)(logits, targets) - FBetaLoss(beta=beta)(logits, targets)) > 0.05


@pytest.mark.parametrize("name", SYMMETRIC)
def test_symmetric_losses_do_not_depend_on_pos_label(name):
    logits, targets, weights = _batch(n=128, seed=3)
    value, grad = _value_and_grad(get_loss(name, pos_label=0), logits, targets, weights)
    default, default_grad = _value_and_grad(get_loss(name), logits, targets, weights)
    torch.testing.assert_close(value, default, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(grad, default_grad, rtol=1e-7, atol=1e-12)


def test_auc_margin_pos_label_learns_the_other_class_means():
    # after training steps with pos_label=0, a and b are the flipped problem's: the mean score of class 0
    # (as the positive class) and of class 1, i.e. (1 - b, 1 - a) of the default problem
    logits, targets, weights = _batch(n=256, seed=4)
    losses = {pos_label: AUCMarginLoss(pos_label=pos_label) for pos_label in (None, 0)}
    for pos_label, loss in losses.items():
        optimizer = torch.optim.SGD(loss.parameters(), lr=0.5)
        for _ in range(20):
            optimizer.zero_grad()
            loss(logits, targets, sample_weight=weights).backward()
            optimizer.step()
    default, flipped = losses[None], losses[0]
    torch.testing.assert_close(flipped.a.detach(), 1.0 - default.b.detach(), rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(flipped.b.detach(), 1.0 - default.a.detach(), rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(flipped.alpha.detach(), default.alpha.detach(), rtol=1e-6, atol=1e-9)
    # and they moved: the test is not comparing initial values
    assert abs(default.a.item() - 1.0) > 1e-3 and abs(default.b.item()) > 1e-3


def test_auc_margin_imratio_is_the_share_of_pos_label():
    logits, targets, _ = _batch(n=100, seed=5)
    value = AUCMarginLoss(imratio=0.3, pos_label=0)(logits, targets)
    expected = AUCMarginLoss(imratio=0.3)(-logits, 1 - targets)
    assert torch.equal(value, expected)
    assert not torch.allclose(value, AUCMarginLoss(imratio=0.3)(logits, targets))


@pytest.mark.parametrize("name", POS_LABEL_LOSSES)
def test_standalone_label_instead_of_index_raises(name):
    logits, targets, _ = _batch(n=16)
    with pytest.raises(ValueError, match=r"pos_label='bad' is not a class index"):
        get_loss(name, pos_label="bad")(logits, targets)
    with pytest.raises(ValueError, match=r"pos_label=2 is not a class index"):
        get_loss(name, pos_label=2)(logits, targets)


@pytest.mark.parametrize("name", [n for n in POS_LABEL_LOSSES if get_loss(n).supports_multiclass])
def test_standalone_multiclass_pos_label_raises(name):
    logits = torch.randn(12, 3)
    targets = torch.arange(12) % 3
    with pytest.raises(ValueError, match="only applies to binary problems, but there are 3 classes"):
        get_loss(name, pos_label=0)(logits, targets)


def test_set_classes_resolves_labels():
    loss = FBetaLoss(pos_label="bad")
    loss.set_classes(np.array(["bad", "good"]))
    logits, targets, _ = _batch(n=32, seed=6)
    assert torch.equal(loss(logits, targets), FBetaLoss(pos_label=0)(logits, targets))
    # a later set_params takes over from the resolved label
    loss.set_params(pos_label=1)
    assert torch.equal(loss(logits, targets), FBetaLoss()(logits, targets))
    expected = r"^pos_label='ugly' is not a valid label. It should be one of \['bad', 'good'\]"
    with pytest.raises(ValueError, match=expected):
        FBetaLoss(pos_label="ugly").set_classes(np.array(["bad", "good"]))
    with pytest.raises(ValueError, match="only applies to binary problems"):
        FBetaLoss(pos_label="a").set_classes(np.array(["a", "b", "c"]))
    # labels and indices differ: class 1 of classes [1, 2] is index 0
    assert resolve_pos_label(1, np.array([1, 2])) == 0
    assert resolve_pos_label(np.int64(2), [1, 2]) == 1
    # clone keeps the label, not its resolution
    assert clone(loss).get_params()["pos_label"] == 1


def test_target_metric_params_carry_pos_label():
    assert FBetaLoss(pos_label="bad").target_metric_params() == {"average": "auto", "pos_label": "bad"}
    assert get_loss("auc_margin", pos_label="bad").target_metric_params() == {"pos_label": "bad"}
    assert get_loss("mcc").target_metric_params() == {}


def test_scorer_passes_pos_label_to_its_loss():
    for metric in ("f1", "fbeta", "accuracy", "balanced_accuracy", "gmean", "mcc", "roc_auc", "average_precision"):
        assert make_surrogate_scorer(metric, pos_label="bad").surrogate_loss().pos_label == "bad", metric
        assert make_surrogate_scorer(metric).surrogate_loss().pos_label is None, metric
    # an explicit loss parameter wins over the scorer's
    assert make_surrogate_scorer("f1", pos_label="bad").surrogate_loss(pos_label="good").pos_label == "good"


# ---------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------
def _pc4_split(seed=0):
    X, y, _ = load_shipped()
    # the minority class ("True", defects) becomes classes_[0]
    y = np.where(np.asarray(y) == "True", "a_defect", "b_clean")
    return train_test_split(X.to_numpy(np.float64), y, test_size=0.3, stratify=y, random_state=seed)


def _pc4_model(**params):
    clf = SurrogateClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=0, **params)
    return make_pipeline(StandardScaler(), clf)


def _weights(model):
    return [p.detach().clone() for p in model[-1].net_.module_.parameters()]


@pytest.mark.parametrize("seed", [0, 1])
def test_training_for_classes_0_raises_its_f1_on_pc4(seed):
    X_train, X_test, y_train, y_test = _pc4_split(seed)
    for_defects = _pc4_model(loss=make_surrogate_scorer("f1", pos_label="a_defect")).fit(X_train, y_train)
    for_clean = _pc4_model(loss="f1").fit(X_train, y_train)  # trains for classes_[-1], "b_clean"
    assert list(for_defects[-1].classes_) == ["a_defect", "b_clean"]
    f1_defects = f1_score(y_test, for_defects.predict(X_test), pos_label="a_defect")
    f1_clean = f1_score(y_test, for_clean.predict(X_test), pos_label="a_defect")
    assert f1_defects > f1_clean, (f1_defects, f1_clean)
    # score() (the default scoring follows the loss) reports the F1 of "a_defect"
    assert for_defects[-1].scorer_.pos_label == "a_defect"
    np.testing.assert_allclose(for_defects.score(X_test, y_test), f1_defects)
    np.testing.assert_allclose(for_clean.score(X_test, y_test),
                               f1_score(y_test, for_clean.predict(X_test), pos_label="b_clean"))


def test_loss_pos_label_parameter_matches_the_scorers():
    X_train, _, y_train, _ = _pc4_split()
    by_scorer = _pc4_model(loss=make_surrogate_scorer("f1", pos_label="a_defect")).fit(X_train, y_train)
    by_param = _pc4_model(loss="f1", loss__pos_label="a_defect").fit(X_train, y_train)
    by_instance = _pc4_model(loss=FBetaLoss(pos_label="a_defect")).fit(X_train, y_train)
    default = _pc4_model(loss="f1").fit(X_train, y_train)
    for model in (by_param, by_instance):
        assert all(torch.equal(a, b) for a, b in zip(_weights(model), _weights(by_scorer)))
        assert model[-1].scorer_.pos_label == "a_defect"
        assert model[-1].loss_.pos_label == "a_defect"
    assert not all(torch.equal(a, b) for a, b in zip(_weights(default), _weights(by_scorer)))
    # naming the default positive class explicitly changes nothing
    explicit = _pc4_model(loss="f1", loss__pos_label="b_clean").fit(X_train, y_train)
    assert all(torch.equal(a, b) for a, b in zip(_weights(explicit), _weights(default)))


def test_loss_pos_label_overrides_the_scorers_everywhere():
    X_train, X_test, y_train, y_test = _pc4_split()
    scorer = make_surrogate_scorer("f1", pos_label="b_clean")
    model = _pc4_model(loss=scorer, loss__pos_label="a_defect").fit(X_train, y_train)
    reference = _pc4_model(loss=make_surrogate_scorer("f1", pos_label="a_defect")).fit(X_train, y_train)
    assert all(torch.equal(a, b) for a, b in zip(_weights(model), _weights(reference)))
    # score() follows the class trained for; the user's scorer is not modified
    assert model[-1].scorer_.pos_label == "a_defect" and scorer.pos_label == "b_clean"
    np.testing.assert_allclose(model.score(X_test, y_test),
                               f1_score(y_test, model.predict(X_test), pos_label="a_defect"))


def test_early_stopping_scores_the_pos_label_class():
    X_train, _, y_train, _ = _pc4_split()
    model = _pc4_model(loss=make_surrogate_scorer("f1", pos_label="a_defect"), early_stopping=True,
                       n_iter_no_change=3).fit(X_train, y_train)
    clf = model[-1]
    assert clf.scorer_.pos_label == "a_defect"
    # the validation scores are F1s of "a_defect" (about 0.5 on pc4), not of "b_clean" (above 0.9): the best
    # epoch's, whose weights were kept, is nearer the defects' F1 of the kept model on the training data
    best = clf.history_[clf.best_epoch_ - 1]["valid_score"]
    predictions = model.predict(X_train)
    f1_defects = f1_score(y_train, predictions, pos_label="a_defect")
    f1_clean = f1_score(y_train, predictions, pos_label="b_clean")
    assert abs(best - f1_defects) < abs(best - f1_clean), (best, f1_defects, f1_clean)


@pytest.mark.parametrize("name", POS_LABEL_LOSSES)
def test_every_binary_loss_takes_a_class_label(name):
    X, y = make_classification(n_samples=200, n_features=5, weights=[0.7], random_state=0)
    y = np.array(["neg", "pos"])[y]
    params = dict(loss=name, hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    clf = SurrogateClassifier(loss__pos_label="neg", **params).fit(X, y)
    assert clf.loss_.pos_label == "neg" and clf.scorer_.pos_label == "neg"
    if name in SYMMETRIC:
        # the flipped problem is the same problem: the same model, up to float32 rounding (which Adam's
        # normalised steps can magnify to ~lr on parameters whose gradient is near zero)
        default = SurrogateClassifier(**params).fit(X, y)
        np.testing.assert_allclose(clf.predict_proba(X), default.predict_proba(X), atol=2e-3)
    if name in AUC:
        np.testing.assert_allclose(clf.score(X, y), roc_auc_score(y == "neg", clf.predict_proba(X)[:, 0]))


def test_wrong_pos_label_raises():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    y = np.array(["neg", "pos"])[y]
    for loss, params in [(make_surrogate_scorer("f1", pos_label="maybe"), {}), ("auc_margin", {"loss__pos_label": 1})]:
        clf = SurrogateClassifier(loss=loss, max_iter=1, **params)
        with pytest.raises(ValueError, match=r"is not a valid label. It should be one of \['neg', 'pos'\]"):
            clf.fit(X, y)


def test_pos_label_on_multiclass_raises():
    X, y = make_classification(n_samples=90, n_features=5, n_informative=3, n_classes=3, random_state=0)
    for loss, params in [(make_surrogate_scorer("f1", pos_label=0), {}), ("auc_square", {"loss__pos_label": 0})]:
        with pytest.raises(ValueError, match="only applies to binary problems, but there are 3 classes"):
            SurrogateClassifier(loss=loss, max_iter=1, **params).fit(X, y)


def test_grid_search_over_pos_label():
    X_train, _, y_train, _ = _pc4_split()
    search = GridSearchCV(
        _pc4_model(loss="f1"),
        {"surrogateclassifier__loss__pos_label": ["a_defect", "b_clean"]},
        scoring=make_surrogate_scorer("f1", pos_label="a_defect"),
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    ).fit(X_train, y_train)
    # the F1 of the defects is selected on: training for them wins
    assert search.best_params_ == {"surrogateclassifier__loss__pos_label": "a_defect"}
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] > scores[1]
    assert search.best_estimator_[-1].loss_.pos_label == "a_defect"


def test_a_metric_named_by_string_scores_the_loss_pos_label_class():
    X = np.random.RandomState(0).randn(120, 3)
    y = np.where(X[:, 0] > 0.5, "bad", "good")
    clf = SurrogateClassifier(loss="f1", loss__pos_label="bad", scoring="f1", hidden_layer_sizes=(8,), max_iter=3,
                              random_state=0).fit(X, y)
    assert clf.scorer_.pos_label == "bad"
    assert SurrogateClassifier(loss="f1", scoring="f1", max_iter=1).fit(X, y).scorer_.pos_label is None
