"""Behaviour of SurrogateClassifier beyond scikit-learn's generic checks."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback
from torch import nn

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
from sklearn_surrogate.losses import AUCSquareLoss, CrossEntropyLoss, FBetaLoss


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(
        n_samples=400, n_features=8, n_informative=5, weights=[0.8], class_sep=1.0, random_state=0
    )
    return X, y


@pytest.fixture(scope="module")
def multiclass_data():
    X, y = make_classification(
        n_samples=450, n_features=8, n_informative=6, n_classes=3, n_clusters_per_class=1, random_state=0
    )
    return X, y


def fast(**params):
    return SurrogateClassifier(**{"max_iter": 30, "random_state": 0, **params})


# -- labels, shapes, methods ------------------------------------------------
@pytest.mark.parametrize("loss", ["cross_entropy", "f1", "auc_square"])
def test_string_and_noncontiguous_labels(binary_data, loss):
    X, y = binary_data
    for labels in (np.array(["ham", "spam"]), np.array([-3, 7])):
        y_lab = labels[y]
        clf = fast(loss=loss).fit(X, y_lab)
        assert list(clf.classes_) == sorted(labels.tolist())
        pred = clf.predict(X)
        assert set(pred) <= set(labels)
        proba = clf.predict_proba(X)
        assert proba.shape == (len(X), 2)
        np.testing.assert_allclose(proba.sum(1), 1.0)
        scores = clf.decision_function(X)
        assert scores.shape == (len(X),)
        # predict, predict_proba and decision_function agree
        np.testing.assert_array_equal(pred, clf.classes_[(scores > 0).astype(int)])
        np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(1)])


def test_multiclass_shapes_and_learning(multiclass_data):
    X, y = multiclass_data
    clf = SurrogateClassifier(max_iter=60, random_state=0).fit(X, y)
    assert clf.decision_function(X).shape == (len(X), 3)
    assert clf.predict_proba(X).shape == (len(X), 3)
    assert clf.score(X, y) > 0.85  # accuracy for cross-entropy


def test_multiclass_f1_loss_scores_macro_f1(multiclass_data):
    X, y = multiclass_data
    clf = SurrogateClassifier(loss="f1", max_iter=60, random_state=0).fit(X, y)
    assert clf.score(X, y) == pytest.approx(f1_score(y, clf.predict(X), average="macro"))
    assert clf.score(X, y) > 0.8


def test_score_is_the_target_metric(binary_data):
    X, y = binary_data
    f1_clf = fast(loss="f1").fit(X, y)
    assert f1_clf.score(X, y) == pytest.approx(f1_score(y, f1_clf.predict(X)))
    ce_clf = fast().fit(X, y)
    assert ce_clf.score(X, y) == pytest.approx(np.mean(ce_clf.predict(X) == y))
    auc_clf = fast(loss="auc_square").fit(X, y)
    from sklearn.metrics import roc_auc_score

    assert auc_clf.score(X, y) == pytest.approx(roc_auc_score(y, auc_clf.decision_function(X)))
    explicit = fast(loss="f1", scoring="balanced_accuracy").fit(X, y)
    from sklearn.metrics import balanced_accuracy_score

    assert explicit.score(X, y) == pytest.approx(balanced_accuracy_score(y, explicit.predict(X)))


def test_f1_loss_beats_cross_entropy_f1_on_imbalanced_data():
    # 5 % positives: cross-entropy at threshold 0.5 under-predicts the minority class.
    X, y = make_classification(
        n_samples=3000, n_features=10, n_informative=4, weights=[0.95], class_sep=0.8, flip_y=0.02, random_state=1
    )
    Xtr, Xte, ytr, yte = X[:2000], X[2000:], y[:2000], y[2000:]
    ce = SurrogateClassifier(max_iter=60, random_state=0).fit(Xtr, ytr)
    f1 = SurrogateClassifier(loss="f1", max_iter=60, random_state=0).fit(Xtr, ytr)
    assert f1_score(yte, f1.predict(Xte)) > f1_score(yte, ce.predict(Xte))


# -- parameters -------------------------------------------------------------
def test_loss_params_are_routed_and_searchable(binary_data):
    X, y = binary_data
    clf = fast(loss="fbeta", loss__beta=2.0, loss__L=30.0)
    params = clf.get_params()
    assert params["loss__beta"] == 2.0 and params["loss__L"] == 30.0
    clf.fit(X, y)
    assert isinstance(clf.loss_, FBetaLoss) and clf.loss_.beta == 2.0 and clf.loss_.L == 30.0
    assert clf.scorer_.metric == "fbeta" and clf.scorer_.beta == 2.0
    cloned = clone(clf)
    assert cloned.get_params()["loss__beta"] == 2.0
    cloned.set_params(loss__beta=0.5)
    assert cloned.loss__beta == 0.5 and clf.loss__beta == 2.0


def test_loss_as_class_instance_and_scorer(binary_data):
    X, y = binary_data
    instance = FBetaLoss(beta=2.0)
    clf = fast(loss=instance, loss__L=10.0).fit(X, y)
    assert clf.loss_ is not instance and clf.loss_.L == 10.0 and instance.L == 73.0
    assert isinstance(fast(loss=AUCSquareLoss, loss__margin=0.5).fit(X, y).loss_, AUCSquareLoss)
    scorer = make_surrogate_scorer("roc_auc")
    clf = fast(loss=scorer).fit(X, y)
    assert isinstance(clf.loss_, AUCSquareLoss) and clf.scorer_ is scorer
    plain = fast(loss=nn.BCEWithLogitsLoss()).fit(X, y)
    assert plain.score(X, y) > 0.8


def test_unknown_parameters_raise_at_fit(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="Invalid parameter 'lr_rate'"):
        fast(lr_rate=0.1).fit(X, y)
    with pytest.raises(ValueError, match="Invalid parameter.*'gamma'"):
        fast(loss="f1", loss__gamma=2).fit(X, y)
    with pytest.raises(ValueError, match="Unknown loss 'f2'"):
        fast(loss="f2").fit(X, y)
    with pytest.raises(ValueError, match="learning_rate_init"):
        fast(learning_rate_init=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="module__"):
        fast(module__width=3).fit(X, y)


def test_custom_module_class_builder_and_instance(binary_data):
    X, y = binary_data

    class Wide(nn.Module):
        def __init__(self, n_features, n_outputs, width=16):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, n_outputs))

        def forward(self, X):
            return self.net(X)

    clf = fast(module=Wide, module__width=8).fit(X, y)
    assert clf.net_.module_.net[0].out_features == 8
    builder = fast(module=lambda n_features, n_outputs: nn.Linear(n_features, n_outputs)).fit(X, y)
    assert isinstance(builder.net_.module_, nn.Linear)
    instance = nn.Linear(X.shape[1], 1)
    fitted = fast(module=instance).fit(X, y)
    assert fitted.net_.module_ is not instance
    with pytest.raises(ValueError, match=r"expected \(2, 1\)"):
        fast(module=nn.Linear(X.shape[1], 5)).fit(X, y)


def test_early_stopping_with_a_custom_module_of_one_output_column(binary_data):
    """A custom module's (n, 1) binary logits are scored on the validation split as ``predict`` reads them."""
    X, y = binary_data
    one_column = lambda n_features, n_outputs: nn.Linear(n_features, n_outputs)  # noqa: E731
    for params in ({"early_stopping": True}, {"metric": "f1"}):  # metric= switches early stopping on too
        clf = fast(module=one_column, max_iter=5, **params).fit(X, y)
        scores = np.array([row["valid_score"] for row in clf.history_])
        assert scores.shape == (len(clf.history_),) and np.all((scores >= 0) & (scores <= 1)), params
        assert clf.predict_proba(X).shape == (len(X), 2)


def test_optimizers_and_batch_options(binary_data):
    X, y = binary_data
    sgd = fast(optimizer="sgd", learning_rate_init=0.05, optimizer__momentum=0.9).fit(X, y)
    assert isinstance(sgd.net_.optimizer_, torch.optim.SGD)
    assert sgd.net_.optimizer_.param_groups[0]["momentum"] == 0.9
    full = fast(batch_size=-1, optimizer=torch.optim.AdamW, weight_decay=0.01).fit(X, y)
    assert full.history_[0]["train_batch_count"] == 1
    assert full.net_.optimizer_.param_groups[0]["weight_decay"] == 0.01


def test_sample_weight_and_class_weight(binary_data):
    X, y = binary_data
    base = fast().fit(X, y)
    ones = fast().fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(base.predict_proba(X), ones.predict_proba(X), rtol=1e-5, atol=1e-6)
    balanced = fast(class_weight="balanced").fit(X, y)
    # up-weighting the minority class predicts it more often
    assert balanced.predict(X).mean() > base.predict(X).mean()
    with pytest.raises(ValueError, match="sample_weight"):
        fast().fit(X, y, sample_weight=np.ones(len(y) - 1))
    with pytest.raises(ValueError, match="(?i)negative"):
        fast().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="non-zero|sums to zero"):
        fast().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="does not accept sample weights"):
        fast(loss=nn.BCEWithLogitsLoss()).fit(X, y, sample_weight=np.ones(len(y)))


def test_pandas_input_and_set_output_pipeline(binary_data):
    pd = pytest.importorskip("pandas")
    X, y = binary_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = fast().fit(frame, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    pipe = make_pipeline(StandardScaler(), fast(loss="f1")).set_output(transform="pandas")
    pipe.fit(frame, y)
    assert pipe.predict(frame).shape == (len(y),)
    np.testing.assert_array_equal(pipe[-1].feature_names_in_, frame.columns)


def test_float64_and_float32_inputs_agree(binary_data):
    X, y = binary_data
    a = fast().fit(X.astype(np.float64), y).predict_proba(X)
    b = fast().fit(X.astype(np.float32), y).predict_proba(X)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# -- reproducibility, history, early stopping --------------------------------
def test_same_random_state_same_predictions(binary_data):
    X, y = binary_data
    state = torch.get_rng_state()
    a = fast(dropout=0.2).fit(X, y).predict_proba(X)
    b = fast(dropout=0.2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert torch.equal(state, torch.get_rng_state()), "fit must not consume the global torch RNG"
    c = SurrogateClassifier(max_iter=30, random_state=1, dropout=0.2).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, c)


def test_history_and_early_stopping(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(
        loss="f1", early_stopping=True, n_iter_no_change=3, max_iter=200, random_state=0
    ).fit(X, y)
    assert clf.n_iter_ == len(clf.history_) < 200
    assert {"epoch", "train_loss", "valid_loss", "valid_score", "dur"} <= set(clf.history_[0])
    scores = [row["valid_score"] for row in clf.history_]
    assert clf.best_epoch_ == 1 + int(np.argmax(np.array(scores) > max(scores) - 1e-4))
    # the validation split is stratified and seeded: same split, same run
    again = SurrogateClassifier(
        loss="f1", early_stopping=True, n_iter_no_change=3, max_iter=200, random_state=0
    ).fit(X, y)
    assert [r["valid_score"] for r in again.history_] == scores
    # no validation data is kept in the fitted net
    assert clf.net_.train_split is None
    no_es = fast(early_stopping=False).fit(X, y)
    assert no_es.n_iter_ == 30 and "valid_score" not in no_es.history_[0]


def test_user_callbacks_pass_through(binary_data):
    X, y = binary_data

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs_ = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs_ += 1

    counter = CountEpochs()
    clf = fast(callbacks=[counter]).fit(X, y)
    fitted = [cb for name, cb in clf.net_.callbacks_ if isinstance(cb, CountEpochs)]
    assert fitted and fitted[0].epochs_ == 30


def test_verbose_prints_progress(binary_data, capsys):
    X, y = binary_data
    fast(verbose=1, max_iter=3).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "epoch" in out
    fast(verbose=2, max_iter=2).fit(X, y)  # adds a tqdm progress bar over the batches
    captured = capsys.readouterr()
    assert "train_loss" in captured.out and "/2" in captured.err + captured.out


# -- persistence and devices -----------------------------------------------
def test_pickle_round_trip(binary_data):
    X, y = binary_data
    clf = fast(loss="f1").fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.score(X, y) == clf.score(X, y)


def test_model_saved_on_gpu_loads_on_cpu(binary_data):
    """A net pickled on a CUDA device is mapped to the CPU when no GPU is present (skorch's mechanism)."""
    if torch.cuda.is_available():
        pytest.skip("simulates a CPU-only machine")
    X, y = binary_data
    clf = fast().fit(X, y)
    expected = clf.predict_proba(X)
    clf.net_.device = "cuda"  # what a net trained with device="cuda" records
    clf.device_ = torch.device("cuda")
    payload = pickle.dumps(clf)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*CUDA.*")
        restored = pickle.loads(payload)
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


def test_bad_device_raises_clear_error(binary_data):
    X, y = binary_data
    for device in ["tpu", "cuda:x", "gpu"]:
        with pytest.raises(ValueError, match="not a valid device"):
            fast(device=device).fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available"):
            fast(device="cuda").fit(X, y)
        with pytest.raises(ValueError, match="not available"):
            fast(device="cuda:1").fit(X, y)


def test_auto_device_and_two_devices_in_one_process(binary_data):
    X, y = binary_data
    auto = fast(device="auto").fit(X, y)
    expected = "cuda" if torch.cuda.is_available() else auto.device_.type
    assert auto.device_.type == expected
    cpu = fast(device="cpu").fit(X, y)
    assert cpu.device_.type == "cpu"
    assert next(cpu.net_.module_.parameters()).device.type == "cpu"


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fit_and_cpu_unpickle_in_fresh_process(binary_data, tmp_path):
    X, y = binary_data
    clf = fast(device="cuda").fit(X, y)
    assert next(clf.net_.module_.parameters()).is_cuda
    other = fast(device="cpu").fit(X, y)
    assert not next(other.net_.module_.parameters()).is_cuda
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", clf.predict_proba(X))
    code = (
        "import pickle, numpy as np, warnings; warnings.simplefilter('ignore');"
        f"m = pickle.loads(open({str(path)!r}, 'rb').read());"
        f"X = np.load({str(tmp_path / 'X.npy')!r}); e = np.load({str(tmp_path / 'expected.npy')!r});"
        "assert m.device_.type == 'cpu'; np.testing.assert_allclose(m.predict_proba(X), e, atol=1e-5)"
    )
    env = {"CUDA_VISIBLE_DEVICES": ""}
    import os

    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, **env})


# -- model selection --------------------------------------------------------
@pytest.mark.parametrize("metric", ["f1", "roc_auc"])
def test_grid_search_in_pipeline_binary(binary_data, metric):
    X, y = binary_data
    pipe = make_pipeline(StandardScaler(), SurrogateClassifier(max_iter=15, random_state=0))
    grid = {
        "surrogateclassifier__loss": ["cross_entropy", "f1", "fbeta"],
        "surrogateclassifier__loss__beta": [1.0, 2.0],
        "surrogateclassifier__learning_rate_init": [1e-3, 1e-2],
    }
    # loss__beta only applies to F-beta; restrict the grid accordingly
    param_grid = [
        {k: v for k, v in grid.items() if k != "surrogateclassifier__loss__beta"}
        | {"surrogateclassifier__loss": ["cross_entropy", "f1"]},
        {"surrogateclassifier__loss": ["fbeta"], "surrogateclassifier__loss__beta": [1.0, 2.0],
         "surrogateclassifier__learning_rate_init": [1e-3, 1e-2]},
    ]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    ours = GridSearchCV(pipe, param_grid, scoring=make_surrogate_scorer(metric), cv=cv).fit(X, y)
    reference = GridSearchCV(pipe, param_grid, scoring=metric, cv=cv).fit(X, y)
    assert ours.best_params_ == reference.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], reference.cv_results_["mean_test_score"])
    assert len(ours.cv_results_["params"]) == 8


@pytest.mark.parametrize("metric,reference", [("f1", "f1_macro"), ("roc_auc", "roc_auc_ovr")])
def test_grid_search_in_pipeline_multiclass(multiclass_data, metric, reference):
    X, y = multiclass_data
    pipe = make_pipeline(StandardScaler(), SurrogateClassifier(max_iter=15, random_state=0))
    param_grid = [
        {"surrogateclassifier__loss": ["cross_entropy"], "surrogateclassifier__learning_rate_init": [1e-3, 1e-2]},
        {"surrogateclassifier__loss": ["f1"], "surrogateclassifier__loss__average": ["macro", "weighted"],
         "surrogateclassifier__learning_rate_init": [1e-3, 1e-2]},
    ]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    ours = GridSearchCV(pipe, param_grid, scoring=make_surrogate_scorer(metric), cv=cv).fit(X, y)
    ref = GridSearchCV(pipe, param_grid, scoring=reference, cv=cv).fit(X, y)
    assert ours.best_params_ == ref.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])


def test_cross_validate_with_surrogate_scorers(binary_data):
    X, y = binary_data
    scoring = {"f1": make_surrogate_scorer("f1"), "auc": make_surrogate_scorer("roc_auc")}
    result = cross_validate(fast(loss="f1"), X, y, cv=3, scoring=scoring)
    assert np.all((result["test_f1"] > 0) & (result["test_f1"] <= 1))
    assert np.all(result["test_auc"] > 0.7)


def test_scorer_as_skorch_epoch_scoring(binary_data):
    """The scorer works as the `scoring` of a skorch EpochScoring callback on a plain skorch net."""
    from skorch import NeuralNetBinaryClassifier
    from skorch.callbacks import EpochScoring
    from skorch.dataset import ValidSplit

    X, y = binary_data
    X = StandardScaler().fit_transform(X).astype(np.float32)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = NeuralNetBinaryClassifier(
            nn.Sequential(nn.Linear(X.shape[1], 1)),
            max_epochs=5,
            lr=0.1,
            train_split=ValidSplit(0.2, stratified=True, random_state=0),
            callbacks=[
                EpochScoring(make_surrogate_scorer("roc_auc"), name="valid_auc", lower_is_better=False),
                EpochScoring("roc_auc", name="sklearn_auc", lower_is_better=False),
            ],
            verbose=0,
        )
        net.fit(X, y.astype(np.float32))
    aucs = net.history[:, "valid_auc"]
    assert len(aucs) == 5 and aucs[-1] > 0.6
    np.testing.assert_allclose(aucs, net.history[:, "sklearn_auc"])


def test_losses_reset_between_fits(binary_data):
    X, y = binary_data
    loss = CrossEntropyLoss(class_weight=[1.0, 3.0])
    clf = fast(loss=loss)
    first = clf.fit(X, y).predict_proba(X)
    second = clf.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


# -- interrupted training ------------------------------------------------------------------------


class _InterruptAtEpoch(Callback):
    """Raise KeyboardInterrupt at the end of an epoch, as Ctrl-C during training would."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("early_stopping", [False, True])
def test_keyboard_interrupt_leaves_a_usable_model_and_propagates(binary_data, early_stopping):
    X, y = binary_data
    clf = SurrogateClassifier(max_iter=50, early_stopping=early_stopping, callbacks=[_InterruptAtEpoch(3)],
                              random_state=0)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert clf.interrupted_ and clf.n_iter_ == 3 and len(clf.history_) == 3
    assert 1 <= clf.best_epoch_ <= 3
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba)) and set(clf.predict(X)) <= set(clf.classes_)
    # a full fit afterwards is not interrupted
    clf.set_params(callbacks=None, max_iter=5).fit(X, y)
    assert not clf.interrupted_ and clf.n_iter_ == 5


def test_early_stopping_is_not_reported_as_an_interruption(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(max_iter=500, early_stopping=True, n_iter_no_change=2, random_state=0).fit(X, y)
    assert clf.n_iter_ < 500 and not clf.interrupted_


# -- concurrent prediction -----------------------------------------------------------------------


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_concurrent_predict_from_threads_is_identical(dropout):
    import threading

    rng = np.random.RandomState(0)
    X = rng.randn(2000, 8).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = SurrogateClassifier(max_iter=2, dropout=dropout, hidden_layer_sizes=(64, 64), random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    results, errors = [], []

    def predict_many():
        try:
            for _ in range(10):
                results.append(clf.predict_proba(X))
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=predict_many) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert len(results) == 60
    assert all(np.array_equal(result, expected) for result in results)


def test_predict_with_a_module_that_cannot_be_copied(binary_data):
    import threading

    class Locked(torch.nn.Module):
        def __init__(self, n_features, n_outputs):
            super().__init__()
            self.linear = torch.nn.Linear(n_features, n_outputs)
            self.lock = threading.Lock()  # deepcopy fails on this

        def forward(self, x):
            return self.linear(x)

    X, y = binary_data
    clf = SurrogateClassifier(module=Locked, max_iter=2, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.all(np.isfinite(proba))
    assert clf.net_.module_.training  # the in-place path restores the module's mode


# -- warm start and partial_fit -------------------------------------------------------------------


def _adam_steps(clf):
    return {int(state["step"]) for state in clf.net_.optimizer_.state.values()}


def test_partial_fit_continues_weights_and_optimizer_state(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(batch_size=64, random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    steps = -(-len(X) // 64)  # batches per epoch
    assert clf.n_iter_ == 1 and _adam_steps(clf) == {steps}
    first_weights = clf.net_.module_.state_dict()["layers.0.weight"].clone()
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.history_) == 2 and _adam_steps(clf) == {2 * steps}
    moved = clf.net_.module_.state_dict()["layers.0.weight"] - first_weights
    assert 0 < float(moved.abs().max()) < 0.1  # one more epoch from where it was, not a new start
    # one epoch per call: 20 calls reach a model as good as a 20-epoch fit, roughly
    for _ in range(18):
        clf.partial_fit(X, y)
    full = SurrogateClassifier(batch_size=64, max_iter=20, random_state=0).fit(X, y)
    assert clf.score(X, y) >= full.score(X, y) - 0.05


def test_partial_fit_validates_classes(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        SurrogateClassifier().partial_fit(X, y)
    clf = SurrogateClassifier(random_state=0).partial_fit(X[:50], y[:50], classes=[0, 1])
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, np.where(y == 1, 2, 0))
    with pytest.raises(ValueError, match="is not the same as on the last call to partial_fit"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="X has 3 features, but SurrogateClassifier is expecting"):
        clf.partial_fit(X[:, :3], y)
    # a batch holding one class is fine once the classes are known
    clf.partial_fit(X[y == 1], y[y == 1])
    assert clf.n_iter_ == 2


@pytest.mark.parametrize("loss", ["auc_margin", "aldr_kl", "f1", "reloss"])
def test_partial_fit_with_stateful_and_batch_level_losses(binary_data, loss):
    X, y = binary_data
    clf = SurrogateClassifier(loss=loss, random_state=0)
    clf.partial_fit(X[:100], y[:100], classes=[0, 1]).partial_fit(X[100:], y[100:])
    assert clf.n_iter_ == 2 and np.all(np.isfinite(clf.predict_proba(X)))


def test_warm_start_continues_and_plain_fit_restarts(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(max_iter=5, random_state=0).fit(X, y)
    last_loss = clf.history_[-1]["train_loss"]
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.n_iter_ == 10 and len(clf.history_) == 10
    fresh_first_loss = SurrogateClassifier(max_iter=1, random_state=0).fit(X, y).history_[0]["train_loss"]
    # the warm-started first epoch starts near where the last fit ended, not from scratch
    assert abs(clf.history_[5]["train_loss"] - last_loss) < abs(fresh_first_loss - last_loss)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same classes"):
        clf.fit(X, np.where(y == 1, 2, 0))
    clf.set_params(warm_start=False).fit(X, y)
    assert clf.n_iter_ == 5


# -- numerical faults during training ------------------------------------------------------------


# -- reproducibility across processes ------------------------------------------------------------

_FIT_AND_PRINT = """
import hashlib, sys
import numpy as np
from sklearn.datasets import make_classification
from sklearn_surrogate import SurrogateClassifier
X, y = make_classification(n_samples=600, n_features=8, weights=[0.8], random_state=0)
for loss in ["cross_entropy", "f1", "auc_margin", "ensloss"]:
    proba = SurrogateClassifier(loss=loss, max_iter=15, dropout=0.2, early_stopping=True, n_threads=1,
                                random_state=0).fit(X, y).predict_proba(X)
    print(loss, hashlib.sha256(np.ascontiguousarray(proba).tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_same_random_state_gives_identical_predictions_in_two_processes():
    import subprocess
    import sys

    runs = [subprocess.run([sys.executable, "-c", _FIT_AND_PRINT], capture_output=True, text=True, timeout=300,
                           check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0].splitlines()) == 4


class _InterruptMidEpoch(Callback):
    """Raise KeyboardInterrupt after the second training batch."""

    def on_batch_end(self, net, training=False, **kwargs):
        if training and len(net.history[-1]["batches"]) == 2:
            raise KeyboardInterrupt


def test_interruption_inside_the_only_epoch_is_reported(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(batch_size=50, callbacks=[_InterruptMidEpoch()], random_state=0)
    with pytest.raises(KeyboardInterrupt):
        clf.partial_fit(X, y, classes=[0, 1])
    assert clf.interrupted_ and clf.n_iter_ == 1 and np.all(np.isfinite(clf.predict_proba(X)))


def test_partial_fit_uses_current_hyper_parameters_and_survives_an_optimizer_switch(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(learning_rate_init=1e-3, random_state=0).partial_fit(X, y, classes=[0, 1])
    clf.set_params(learning_rate_init=0.05).partial_fit(X, y)
    assert clf.net_.optimizer_.param_groups[0]["lr"] == 0.05
    assert _adam_steps(clf) == {2 * -(-len(X) // 256)}  # the moments carried on
    clf.set_params(optimizer="sgd").partial_fit(X, y)  # another optimizer starts afresh
    assert clf.n_iter_ == 3 and np.all(np.isfinite(clf.predict_proba(X)))


def test_history_epochs_count_across_calls(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(random_state=0)
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1])
    assert [row["epoch"] for row in clf.history_] == [1, 2, 3]
    warm = SurrogateClassifier(max_iter=2, warm_start=True, random_state=0).fit(X, y).fit(X, y)
    assert [row["epoch"] for row in warm.history_] == [1, 2, 3, 4] and warm.n_iter_ == 4


def test_warm_start_needs_the_same_classes_and_partial_fit_refuses_balanced(multiclass_data):
    X, y = multiclass_data
    clf = SurrogateClassifier(max_iter=2, warm_start=True, random_state=0).fit(X, y)
    keep = y != y.max()
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same classes"):
        clf.fit(X[keep], y[keep])
    with pytest.raises(ValueError, match="class_weight 'balanced' is not supported for partial_fit"):
        SurrogateClassifier(class_weight="balanced").partial_fit(X, y, classes=np.unique(y))
    # a one-class chunk with sample weights is fine once the classes are known
    inc = SurrogateClassifier(random_state=0).partial_fit(X, y, classes=np.unique(y))
    one = y == y.min()
    inc.partial_fit(X[one], y[one], sample_weight=np.ones(one.sum()))
    assert inc.n_iter_ == 2


def test_cpu_prediction_copy_is_reused_until_the_weights_change(binary_data):
    X, y = binary_data
    clf = SurrogateClassifier(max_iter=2, random_state=0).fit(X, y)
    from sklearn_surrogate._classifier import _float64_copy

    first = _float64_copy(clf.net_.module_)
    assert _float64_copy(clf.net_.module_) is first
    before = clf.predict_proba(X)
    with torch.no_grad():
        next(clf.net_.module_.parameters()).mul_(2.0)  # an in-place edit bumps the version counter
    assert _float64_copy(clf.net_.module_) is not first
    assert not np.array_equal(clf.predict_proba(X), before)


@pytest.mark.parametrize("old, new, value", [("max_epochs", "max_iter", 3), ("lr", "learning_rate_init", 0.05)])
def test_renamed_parameters_still_work_with_a_future_warning(binary_data, old, new, value):
    """skorch's max_epochs and lr became scikit-learn's max_iter and learning_rate_init; the old names last a release."""
    X, y = binary_data
    with pytest.warns(FutureWarning, match=f"`{old}` was renamed `{new}`"):
        old_style = SurrogateClassifier(random_state=0, **{"max_iter": 3, old: value}).fit(X, y)
    new_style = SurrogateClassifier(random_state=0, **{"max_iter": 3, new: value}).fit(X, y)
    np.testing.assert_array_equal(old_style.predict_proba(X), new_style.predict_proba(X))
    assert old_style.get_params()[old] == value and new_style.get_params()[old] == "deprecated"
    assert "max_epochs" not in repr(new_style) and "lr=" not in repr(new_style)
    clone(old_style).get_params()  # clones keep the old name's value
    with pytest.raises(ValueError, match=f"The '{old}' parameter of SurrogateClassifier must be"):
        SurrogateClassifier(**{old: -1}).fit(X, y)
