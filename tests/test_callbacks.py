"""skorch callbacks inside SurrogateClassifier: what they see, what they record, where they write."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from skorch.callbacks import (
    BatchScoring,
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    LRScheduler,
    ProgressBar,
)

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
from sklearn_surrogate._doc_link import DOCS_URL

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=300, n_features=8, n_informative=5, weights=[0.7], random_state=0)
    return X.astype(np.float32), y


def small(**params):
    defaults = {"hidden_layer_sizes": (16,), "max_iter": 8, "learning_rate_init": 1e-2, "batch_size": 64, "random_state": 0}
    return SurrogateClassifier(**{**defaults, **params})


class ValidRows(Callback):
    """Remembers which rows the validation split holds (the rows a valid score is computed on)."""

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.rows_ = dataset_valid.dataset.rows.cpu().numpy()


def fitted_callback(est, cls):
    return next(cb for _, cb in est.net_.callbacks_ if isinstance(cb, cls))


def valid_scores(labels, data, *callbacks, **params):
    """Fit with early stopping and the given callbacks; the best epoch's row and its validation rows."""
    X, y = data
    est = small(early_stopping=True, n_iter_no_change=3, callbacks=[*callbacks, ValidRows()], **params)
    est.fit(X, labels[y])
    rows = fitted_callback(est, ValidRows).rows_
    # the kept weights are the best epoch's, whose validation pass the callbacks scored
    return est, est.history_[est.best_epoch_ - 1], X[rows], labels[y][rows]


# -- scoring the validation split ------------------------------------------------------------------
@pytest.mark.parametrize("labels", [np.array(["ham", "spam"]), np.array([1, 2])], ids=["strings", "ints-1-2"])
def test_valid_string_scorers_score_as_on_the_fitted_estimator(data, labels):
    est, row, X_valid, y_valid = valid_scores(
        labels,
        data,
        EpochScoring("roc_auc", name="valid_auc", lower_is_better=False),
        EpochScoring("f1", lower_is_better=False),
        EpochScoring("accuracy", lower_is_better=False),
        EpochScoring("neg_log_loss", lower_is_better=False),
    )
    proba = est.predict_proba(X_valid)
    assert row["valid_auc"] == pytest.approx(roc_auc_score(y_valid, proba[:, 1]), abs=1e-12)
    # the positive class is classes_[1] (2 for labels {1, 2}, where scikit-learn's default would be 1)
    assert row["f1"] == pytest.approx(f1_score(y_valid, est.predict(X_valid), pos_label=est.classes_[1]))
    assert row["accuracy"] == pytest.approx(accuracy_score(y_valid, est.predict(X_valid)))
    assert row["neg_log_loss"] == pytest.approx(-log_loss(y_valid, proba), rel=1e-6)
    assert all("valid_auc" in r and "f1_best" in r for r in est.history_)


def test_valid_surrogate_scorers_match_the_estimators_score(data):
    labels = np.array(["no", "yes"])
    est, row, X_valid, y_valid = valid_scores(
        labels,
        data,
        EpochScoring(make_surrogate_scorer("roc_auc"), name="valid_auc", lower_is_better=False),
        EpochScoring(make_surrogate_scorer("f1"), name="valid_f1", lower_is_better=False),
        loss="f1",
    )
    assert row["valid_auc"] == pytest.approx(make_surrogate_scorer("roc_auc")(est, X_valid, y_valid), abs=1e-12)
    assert row["valid_f1"] == pytest.approx(est.score(X_valid, y_valid))
    # the estimator's own validation score is the same metric on the same rows
    assert row["valid_f1"] == pytest.approx(row["valid_score"])


def test_uncached_valid_scoring_reads_the_split_rows_and_labels(data):
    est, row, X_valid, y_valid = valid_scores(
        np.array(["a", "b"]), data, EpochScoring("roc_auc", name="valid_auc", use_caching=False, lower_is_better=False)
    )
    assert row["valid_auc"] == pytest.approx(roc_auc_score(y_valid, est.predict_proba(X_valid)[:, 1]), abs=1e-12)


def test_multiclass_valid_scoring(data):
    X, y = make_classification(n_samples=300, n_features=8, n_informative=6, n_classes=3, n_clusters_per_class=1,
                               random_state=0)
    labels = np.array(["x", "y", "z"])
    est, row, X_valid, y_valid = valid_scores(
        labels, (X, y),
        EpochScoring("accuracy", lower_is_better=False),
        EpochScoring(make_surrogate_scorer("f1"), name="valid_f1", lower_is_better=False),
    )
    assert row["accuracy"] == pytest.approx(accuracy_score(y_valid, est.predict(X_valid)))
    assert row["valid_f1"] == pytest.approx(f1_score(y_valid, est.predict(X_valid), average="macro"))


def test_batch_scoring_on_valid_and_train(data):
    X, y = data
    est = small(early_stopping=True, callbacks=[
        BatchScoring("accuracy", name="valid_bacc", lower_is_better=False),
        BatchScoring("accuracy", name="train_bacc", on_train=True, lower_is_better=False),
    ]).fit(X, y)
    for row in est.history_:
        assert 0.0 <= row["valid_bacc"] <= 1.0 and 0.0 <= row["train_bacc"] <= 1.0
    # one validation batch: the batch score is the epoch's accuracy on the split
    assert est.history_[-1]["valid_bacc"] == pytest.approx(est.history_[-1]["valid_score"])


# -- scoring the training data ------------------------------------------------------------------------
def test_train_scoring_without_caching_scores_the_epochs_final_weights(data):
    X, y = data
    labels = np.array(["neg", "pos"])[y]
    est = small(callbacks=[
        EpochScoring("roc_auc", name="train_auc", on_train=True, use_caching=False, lower_is_better=False),
        EpochScoring(None, name="train_score", on_train=True, use_caching=False, lower_is_better=False),
    ], loss="f1", early_stopping=False).fit(X, labels)
    last = est.history_[-1]
    assert last["train_auc"] == pytest.approx(roc_auc_score(labels, est.predict_proba(X)[:, 1]), abs=1e-12)
    # scoring=None records the target metric (the estimator's scorer_, F1 here)
    assert last["train_score"] == pytest.approx(est.score(X, labels))


def test_cached_train_scoring_takes_skorchs_loop_and_trains_the_same(data):
    X, y = data
    plain = small().fit(X, y)
    assert not plain.net_._listens_to_training_batches()
    scored = small(callbacks=[EpochScoring("roc_auc", name="train_auc", on_train=True, lower_is_better=False)])
    scored.fit(X, y)
    assert scored.net_._listens_to_training_batches()
    np.testing.assert_allclose(
        [r["train_loss"] for r in scored.history_], [r["train_loss"] for r in plain.history_], rtol=1e-6
    )
    np.testing.assert_allclose(scored.predict_proba(X), plain.predict_proba(X), rtol=1e-5, atol=1e-7)
    assert all(0.0 <= r["train_auc"] <= 1.0 for r in scored.history_)


def test_validation_only_callbacks_keep_the_lean_loop(data):
    X, y = data
    est = small(early_stopping=True, max_iter=2, callbacks=[
        EpochScoring("roc_auc", name="valid_auc", lower_is_better=False),
        BatchScoring("accuracy", name="valid_bacc", lower_is_better=False),
        LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1),
    ]).fit(X, y)
    assert not est.net_._listens_to_training_batches()
    est.set_params(callbacks=[LRScheduler(policy=torch.optim.lr_scheduler.CyclicLR, base_lr=1e-3, max_lr=1e-2,
                                          step_every="batch")]).fit(X, y)
    assert est.net_._listens_to_training_batches()


# -- no validation split -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "callback",
    [EpochScoring("roc_auc"), BatchScoring("accuracy"), EarlyStopping(monitor="valid_loss"), Checkpoint(dirname="x")],
    ids=["EpochScoring", "BatchScoring", "EarlyStopping", "Checkpoint"],
)
def test_validation_callbacks_without_a_split_raise(data, callback):
    X, y = data
    with pytest.raises(ValueError, match=r"holds out no validation data \(early_stopping=False\).*early_stopping=True"):
        small(early_stopping=False, callbacks=[callback]).fit(X, y)
    with pytest.raises(ValueError, match="partial_fit never does"):
        small(early_stopping=True, callbacks=[callback]).partial_fit(X, y, classes=[0, 1])


def test_monitoring_a_named_valid_score_without_a_split_raises(data):
    X, y = data
    cbs = [EpochScoring("roc_auc", name="auc", on_train=True), EarlyStopping(monitor="auc")]
    small(early_stopping=False, max_iter=2, callbacks=cbs).fit(X, y)  # a training score: fine
    cbs = [("score", EpochScoring("roc_auc", name="auc")), EarlyStopping(monitor="auc")]
    with pytest.raises(ValueError, match="'score'.*scores the validation data"):
        small(early_stopping=False, callbacks=cbs).fit(X, y)


# -- checkpoints, schedulers, skorch's early stopping, progress bar ---------------------------------------------
def test_checkpoint_needs_a_dirname(data, tmp_path, monkeypatch):
    X, y = data
    monkeypatch.chdir(tmp_path)
    for callback in (Checkpoint(), Checkpoint):  # skorch instantiates a class with dirname=''
        with pytest.raises(ValueError, match=r"would write 'params.pt'.*working directory.*dirname"):
            small(early_stopping=True, callbacks=[callback]).fit(X, y)
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_writes_into_its_dirname(data, tmp_path, monkeypatch):
    X, y = data
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "checkpoints"
    cbs = [EpochScoring("roc_auc", name="valid_auc", lower_is_better=False),
           Checkpoint(monitor="valid_auc_best", dirname=str(folder))]
    est = small(early_stopping=True, callbacks=cbs).fit(X, y)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoints"]
    assert {"params.pt", "history.json"} <= {p.name for p in folder.iterdir()}
    saved = json.loads((folder / "history.json").read_text())
    best = max(range(len(saved)), key=lambda i: (saved[i]["valid_auc"], -i))
    assert saved[best]["event_cp"] and any(r["event_cp"] for r in est.history_)
    # the saved parameters are the network of the best valid_auc epoch
    params = torch.load(folder / "params.pt", weights_only=True)
    assert set(params) == set(est.net_.module_.state_dict())


def test_lr_scheduler_step(data):
    X, y = data
    est = small(learning_rate_init=0.1, max_iter=4, callbacks=[
        LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=2, gamma=0.5)]).fit(X, y)
    assert [r["event_lr"] for r in est.history_] == pytest.approx([0.1, 0.1, 0.05, 0.05])
    assert est.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.025)


@pytest.mark.parametrize("monitor", ["valid_loss", "valid_auc", "valid_score"])
def test_lr_scheduler_plateau_on_a_validation_score(data, monitor):
    X, y = data
    cbs = [EpochScoring("roc_auc", name="valid_auc", lower_is_better=False),
           LRScheduler(policy=torch.optim.lr_scheduler.ReduceLROnPlateau, monitor=monitor, patience=0,
                       factor=0.5, mode="min" if monitor == "valid_loss" else "max")]
    est = small(learning_rate_init=0.05, max_iter=6, early_stopping=True, n_iter_no_change=50, callbacks=cbs).fit(X, y)
    lrs = [r["event_lr"] for r in est.history_]
    values = [r[monitor] for r in est.history_]
    better = (lambda a, b: a < b) if monitor == "valid_loss" else (lambda a, b: a > b)
    # with patience 0 the rate halves after each epoch that does not improve on the best so far
    expected, best, lr = [], None, 0.05
    for value in values:
        expected.append(lr)
        if best is None or better(value, best):
            best = value
        else:
            lr *= 0.5
    assert lrs == pytest.approx(expected)


@pytest.mark.parametrize("load_best", [False, True])
def test_skorchs_early_stopping_alongside_ours(data, load_best):
    X, y = data
    stopper = EarlyStopping(monitor="valid_loss", patience=2, threshold=0.5, load_best=load_best, sink=lambda *a: None)
    est = small(early_stopping=True, n_iter_no_change=100, max_iter=30, callbacks=[stopper]).fit(X, y)
    # its threshold (a 50% relative improvement) stops training early; that is no interruption
    assert est.n_iter_ == 3 and not est.interrupted_
    fitted = fitted_callback(est, EarlyStopping)
    if load_best:  # its restore comes after ours and wins
        assert est.best_epoch_ == fitted.best_epoch_ == 1


def test_our_early_stopping_lets_every_callback_see_the_last_epoch(data):
    X, y = data
    est = small(early_stopping=True, n_iter_no_change=2, max_iter=200, learning_rate_init=1e-1,
                callbacks=[EpochScoring("accuracy", name="valid_acc", lower_is_better=False)]).fit(X, y)
    assert est.n_iter_ < 200 and not est.interrupted_
    assert all("valid_acc" in row for row in est.history_)


def test_progress_bar_with_verbose_0(data, capsys):
    X, y = data
    est = small(max_iter=2, verbose=0, callbacks=[ProgressBar()]).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and len(est.history_) == 2


def test_user_callbacks_are_copied_not_changed(data):
    X, y = data
    scoring = EpochScoring("f1", lower_is_better=False)
    est = small(early_stopping=True, max_iter=2, callbacks=[("f1", scoring)]).fit(X, y)
    assert scoring.scoring == "f1" and not hasattr(scoring, "best_score_")
    assert "f1" in est.history_[-1]


# -- the per-epoch log ----------------------------------------------------------------------------------------
def test_log_has_no_colour_codes_off_a_terminal(data, capsys, monkeypatch):
    X, y = data
    small(max_iter=3, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "\x1b[" not in out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # a terminal keeps skorch's colours
    small(max_iter=3, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "\x1b[" in out


# -- the HTML representation's documentation link ----------------------------------------------------------------
def test_html_repr_links_to_the_api_page():
    html = SurrogateClassifier()._repr_html_()
    url = f"{DOCS_URL}generated/sklearn_surrogate.SurrogateClassifier.html"
    assert f'href="{url}"' in html
    urls = (ROOT / "pyproject.toml").read_text().split("[project.urls]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^Documentation = "([^"]+)"$', urls, flags=re.MULTILINE)[1] == DOCS_URL


def test_api_page_name_is_what_autosummary_generates():
    """autosummary writes generated/<currentmodule>.<name>.html for each entry under ':toctree: generated/'."""
    text = (ROOT / "docs" / "api.rst").read_text()
    module = None
    for block in re.split(r"\n(?=\.\. )", text):
        current = re.match(r"\.\. currentmodule:: (\S+)", block)
        if current:
            module = current.group(1)
        if block.startswith(".. autosummary::") and ":toctree: generated/" in block:
            entries = re.findall(r"^   (\w+)\s*$", block, flags=re.MULTILINE)
            if "SurrogateClassifier" in entries:
                assert module == SurrogateClassifier._doc_link_module == "sklearn_surrogate"
                return
    pytest.fail("docs/api.rst lists no SurrogateClassifier under an autosummary with ':toctree: generated/'")


def test_batch_labels_are_converted_only_for_callbacks_that_read_batches(monkeypatch, data):
    """The labels of a batch cost a device-to-host copy: made once per batch, and only when a user callback reads it."""
    from sklearn_surrogate import _net

    seen, conversions = [], []
    original_labels, original_to_numpy = _net.SurrogateNet._batch_labels, _net.to_numpy

    def labels_spy(self, target):
        seen.append(target["y"])
        return original_labels(self, target)

    def to_numpy_spy(tensor):
        conversions.append(tensor)
        return original_to_numpy(tensor)

    monkeypatch.setattr(_net.SurrogateNet, "_batch_labels", labels_spy)
    monkeypatch.setattr(_net, "to_numpy", to_numpy_spy)
    X, y = data
    small(early_stopping=True).fit(X, y)  # the package's own validation scoring reads no batch labels
    assert seen == [] and conversions == []
    small(early_stopping=True, callbacks=[BatchScoring("accuracy", name="valid_acc", lower_is_better=False)]).fit(X, y)
    batches = {id(t) for t in seen}
    assert batches and len(seen) == 2 * len(batches)  # each batch's begin and end
    assert len(conversions) == len(batches)  # one conversion per batch


def test_callbacks_may_be_a_tuple(data):
    """Any sequence but a string: a tuple trains as the same list does (and survives clone)."""
    from sklearn.base import clone

    X, y = data
    histories = []
    for callbacks in ([EpochScoring("f1", on_train=True, name="train_f1")],
                      (EpochScoring("f1", on_train=True, name="train_f1"),)):
        clf = clone(small(max_iter=3, callbacks=callbacks)).fit(X, y)
        histories.append([row["train_f1"] for row in clf.history_])
    assert len(histories[1]) == 3 and histories[0] == histories[1]
