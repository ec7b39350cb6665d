"""Persistence: every registered loss and fitted models survive joblib; learned weights never unpickle."""

import threading

import joblib
import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

import sklearn_surrogate
from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.exceptions import InconsistentVersionWarning
from sklearn_surrogate.losses._registry import base_loss_names
from sklearn_surrogate.losses import get_loss


# reloss_<metric> names are reloss with a bound metric (tests/test_registry.py checks them): each loss runs once
@pytest.mark.parametrize("name", base_loss_names())
def test_every_loss_round_trips_through_joblib(name, tmp_path):
    loss = get_loss(name)
    n_classes = 2 if loss.supports_binary else 3
    loss.setup(n_classes, 64)
    g = torch.Generator().manual_seed(0)
    logits = torch.randn((64,) if n_classes == 2 else (64, n_classes), generator=g)
    targets = torch.arange(64) % n_classes
    kwargs = {"index": torch.arange(64)} if loss.needs_sample_index else {}
    loss.train()
    loss(logits, targets, **kwargs)  # let stateful losses (ALDR-KL, AUC-M) hold some state
    joblib.dump(loss, tmp_path / "loss.joblib")
    restored = joblib.load(tmp_path / "loss.joblib")
    assert restored.get_params() == loss.get_params()
    for key, value in loss.state_dict().items():
        assert torch.equal(restored.state_dict()[key], value), key
    if name != "ensloss":  # EnsLoss draws a random loss per call: its value is not a function of the inputs
        loss.eval()
        restored.eval()
        assert torch.equal(restored(logits, targets, **kwargs), loss(logits, targets, **kwargs))


@pytest.mark.parametrize("loss", ["cross_entropy", "f1", "auc_margin", "aldr_kl", "reloss"])
def test_fitted_model_round_trips_through_joblib(loss, tmp_path):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 6)
    y = np.where(X[:, 0] + rng.randn(300) > 0.5, "yes", "no")
    model = SurrogateClassifier(loss=loss, max_iter=5, random_state=0).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    restored = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert restored.score(X, y) == model.score(X, y)
    # and it can go on training
    restored.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert restored.n_iter_ == 7


# -- the portable form: skops, pickle without torch objects, continued training -------------------------
OURS = {"sklearn_surrogate._classifier.SurrogateClassifier", "sklearn_surrogate._scorer.SurrogateScorer"}


def _tiny(loss="cross_entropy", **params):
    return SurrogateClassifier(loss=loss, hidden_layer_sizes=(16,), max_iter=3, random_state=0, **params)


def _problem(n_classes):
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5) * 3 + 1
    score = X[:, 0] - X[:, 1] + rng.randn(200)
    y = np.array(["no", "yes", "maybe"])[np.digitize(score, np.quantile(score, [1 / 3, 2 / 3])[: n_classes - 1])]
    return X, y


def _same_state(a, b):
    for part in ("module_", "criterion_"):
        sa, sb = getattr(a.net_, part).state_dict(), getattr(b.net_, part).state_dict()
        assert sa.keys() == sb.keys()
        for key in sa:
            assert torch.equal(sa[key].cpu(), sb[key].cpu()), (part, key)


@pytest.mark.parametrize("name", base_loss_names())
def test_every_loss_round_trips_through_skops_in_a_pipeline(name, tmp_path):
    sio = pytest.importorskip("skops.io")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _problem(2 if get_loss(name).supports_binary else 3)
    model = make_pipeline(StandardScaler(), _tiny(name)).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert set(untrusted) == OURS  # no torch, skorch or safetensors types: the net is plain values and bytes
    loaded = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.score(X, y) == model.score(X, y)
    clf, original = loaded[-1], model[-1]
    _same_state(clf, original)
    assert clf.history_ == original.history_ and clf.n_iter_ == original.n_iter_
    # it trains on: a warm start and a partial_fit
    Xs = loaded[0].transform(X)
    clf.set_params(warm_start=True, max_iter=2).fit(Xs, y)
    clf.partial_fit(Xs, y)
    assert clf.n_iter_ == original.n_iter_ + 3 and np.isfinite(clf.predict_proba(Xs)).all()


def test_skops_file_holds_no_pickle(tmp_path):
    """Every binary member of the skops file is a safetensors blob (tensors and a JSON header), never a pickle."""
    sio = pytest.importorskip("skops.io")
    import zipfile

    from safetensors.torch import load as load_tensors

    X, y = _problem(3)
    clf = _tiny("auc_margin").fit(X, y)
    sio.dump(clf, tmp_path / "model.skops")
    with zipfile.ZipFile(tmp_path / "model.skops") as archive:
        blobs = [archive.read(n) for n in archive.namelist() if n.endswith(".bin")]
    assert len(blobs) == 1
    tensors = load_tensors(blobs[0])
    assert {k.split(".")[0] for k in tensors} == {"module", "criterion", "optimizer"}
    assert not blobs[0].startswith(b"\x80")  # not a pickle stream


class _NoTorchUnpickler(__import__("pickle").Unpickler):
    def find_class(self, module, name):
        if module.split(".")[0] in ("torch", "skorch"):
            raise AssertionError(f"the pickle refers to {module}.{name}")
        return super().find_class(module, name)


def test_pickle_holds_no_torch_objects_and_keeps_everything():
    import io
    import pickle

    X, y = _problem(2)
    clf = _tiny("auc_margin", early_stopping=True).fit(X, y)
    restored = _NoTorchUnpickler(io.BytesIO(pickle.dumps(clf))).load()
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    _same_state(restored, clf)
    assert restored.device_ == torch.device("cpu") and restored.loss_ is restored.net_.criterion_
    assert [dict(row) for row in restored.net_.history] == [dict(row) for row in clf.net_.history]
    for attr in ("history_", "n_iter_", "best_epoch_", "interrupted_", "classes_"):
        np.testing.assert_equal(getattr(restored, attr), getattr(clf, attr))
    opt_a, opt_b = clf.net_.optimizer_.state_dict(), restored.net_.optimizer_.state_dict()
    assert opt_a["param_groups"] == opt_b["param_groups"]
    for key, state in opt_a["state"].items():
        for name, value in state.items():
            assert torch.equal(value, opt_b["state"][key][name]), (key, name)
    # the restored optimizer state is the one training continues with: the same next step
    clf.partial_fit(X, y)
    restored.partial_fit(X, y)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_deepcopy_and_resave_and_rng_untouched():
    import copy
    import pickle

    X, y = _problem(2)
    clf = _tiny("aldr_kl").fit(X, y)
    before = torch.random.get_rng_state()
    twice = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(clf))))
    copied = copy.deepcopy(clf)
    assert torch.equal(torch.random.get_rng_state(), before)  # rebuilding draws no global random numbers
    for other in (twice, copied):
        np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))
        _same_state(other, clf)  # ALDR-KL's per-sample temperatures included
    assert copied.net_ is not clf.net_


def test_parameters_changed_after_fit_do_not_change_the_saved_model():
    import pickle

    X, y = _problem(2)
    clf = _tiny("fbeta", loss__beta=2.0).fit(X, y)
    clf.set_params(hidden_layer_sizes=(4, 4), activation="tanh", loss="f1", optimizer="sgd")
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert type(restored.loss_) is type(clf.loss_) and restored.loss_.beta == 2.0
    assert type(restored.net_.optimizer_) is torch.optim.Adam
    assert restored.hidden_layer_sizes == (4, 4)  # the parameters themselves are kept as set
    restored.fit(X, y)  # and the next fit uses them
    assert len(restored.net_.module_.layers) == 5


class _Net(torch.nn.Module):
    def __init__(self, n_features, n_outputs, width=8):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(n_features, width), torch.nn.ReLU())
        self.head = torch.nn.Linear(width, n_outputs)

    def forward(self, X):
        return self.head(self.body(X)).squeeze(-1)


class _Tied(torch.nn.Module):
    """One layer registered under two names: its weights appear twice in the state dict, sharing memory."""

    def __init__(self, n_features, n_outputs):
        super().__init__()
        self.first = torch.nn.Linear(n_features, n_features)
        self.again = self.first
        self.head = torch.nn.Linear(n_features, n_outputs)

    def forward(self, X):
        return self.head(torch.relu(self.again(torch.relu(self.first(X))))).squeeze(-1)


class _RecordsNumpy(__import__("skorch").callbacks.Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("numpy_value", np.float32(1.5))  # not JSON: the history is kept as a list


@pytest.mark.parametrize(
    "params",
    [
        {"module": _Tied},
        {"callbacks": [_RecordsNumpy()]},
        {"module": _Net, "module__width": 4},
        {"module": _Net(5, 1)},
        {"loss": get_loss("auc_margin")},
        {"loss": torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))},
        {"optimizer": "sgd", "optimizer__momentum": 0.9},
    ],
    ids=["tied-weights", "numpy-history", "module-class", "module-instance", "loss-instance", "torch-loss", "sgd"],
)
def test_user_modules_losses_and_optimizers_round_trip_through_pickle(params):
    import pickle

    X, y = _problem(2)
    clf = SurrogateClassifier(max_iter=3, random_state=0, **params).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    _same_state(restored, clf)
    assert [dict(row) for row in restored.net_.history] == [dict(row) for row in clf.net_.history]
    clf.partial_fit(X, y)
    restored.partial_fit(X, y)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_pickle_from_before_the_portable_form_still_loads_and_saves():
    """Older pickles held the skorch net itself; they load as before, and save in the new form."""
    import pickle

    X, y = _problem(2)
    clf = _tiny("aldr_kl").fit(X, y)
    old_state = {k: v for k, v in clf.__dict__.items() if k != "_fit_build"}
    legacy = SurrogateClassifier.__new__(SurrogateClassifier)
    with pytest.warns(InconsistentVersionWarning, match="from an unknown version"):  # no version recorded then
        legacy.__setstate__(copy_state := dict(old_state))
    assert legacy.net_ is copy_state["net_"]
    again = pickle.loads(pickle.dumps(legacy))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    _same_state(again, clf)


def test_persistence_page_examples_run(tmp_path, monkeypatch, capsys):
    """The code of docs/user_guide/persistence.md runs as written (in a scratch directory)."""
    pytest.importorskip("skops")
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "persistence.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(blocks) == 3
    monkeypatch.chdir(tmp_path)
    exec(compile("\n".join(blocks), "persistence.md", "exec"), {})
    printed = capsys.readouterr().out
    # the page shows the untrusted types skops lists: keep it in step
    shown = re.search(r"print\(sio.get_untrusted_types.*\n# (\[.*\])", page)[1]
    assert printed.strip() == shown


def test_pickle_from_before_the_rename_loads_with_the_new_names():
    """A pickle of 0.1 holds max_epochs and lr only: it loads as max_iter and learning_rate_init, without warnings."""
    import pickle
    import warnings

    from sklearn.base import clone

    X, y = _problem(2)
    clf = _tiny("auc_margin", learning_rate_init=3e-3).fit(X, y)
    old_state = {k: v for k, v in clf.__dict__.items() if k not in ("_fit_build", "max_iter", "learning_rate_init")}
    old_state.update(max_epochs=3, lr=3e-3)
    legacy = SurrogateClassifier.__new__(SurrogateClassifier)
    with pytest.warns(InconsistentVersionWarning, match="from an unknown version"):  # no version recorded then
        legacy.__setstate__(old_state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no FutureWarning: the user never wrote the old names
        params = legacy.get_params()
        assert (params["max_iter"], params["learning_rate_init"]) == (3, 3e-3)
        assert params["max_epochs"] == params["lr"] == "deprecated"
        again = pickle.loads(pickle.dumps(legacy))
        np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
        refit = clone(legacy).fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(X), clf.predict_proba(X))


def test_a_model_fitted_with_an_old_name_loads_without_warnings():
    import pickle
    import warnings

    X, y = _problem(2)
    with pytest.warns(FutureWarning, match="`lr` was renamed"):
        clf = _tiny(lr=3e-3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.net_.optimizer_.param_groups[0]["lr"] == 3e-3


class _Widened(torch.nn.Module):
    def __init__(self, n_features, n_outputs, width=8):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(n_features, width), torch.nn.ReLU(), torch.nn.Linear(width, 1))

    def forward(self, X):
        return self.body(X)


def test_routed_parameters_set_after_the_fit_do_not_change_the_saved_model():
    import pickle

    X, y = _problem(2)
    clf = _tiny(module=_Widened).fit(X, y)
    clf.set_params(module__width=16)  # a later fit would build another network; this one is width 8
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.get_params()["module__width"] == 16  # the parameter itself is kept
    f1 = _tiny("f1").fit(X, y)
    f1.set_params(loss__L=5.0)
    assert pickle.loads(pickle.dumps(f1)).loss_.L == f1.loss_.L == 73.0


# -- the package version travels with the pickle ---------------------------------------------------------
def _pickled_by(obj, version, monkeypatch):
    """``obj`` pickled as sklearn_surrogate ``version`` would (None: before versions were recorded)."""
    import pickle

    from sklearn_surrogate._base import _VERSION_KEY, BaseSurrogateEstimator

    with monkeypatch.context() as patch:
        if version is None:
            current = BaseSurrogateEstimator.__getstate__
            patch.setattr(BaseSurrogateEstimator, "__getstate__",
                          lambda self: {k: v for k, v in current(self).items() if k != _VERSION_KEY})
        else:
            patch.setattr(sklearn_surrogate, "__version__", version)
        return pickle.dumps(obj)


@pytest.mark.parametrize("fitted", [True, False], ids=["fitted", "unfitted"])
def test_unpickling_under_another_version_warns_naming_both_versions(fitted, monkeypatch):
    import copy
    import pickle
    import warnings

    X, y = _problem(2)
    clf = _tiny().fit(X, y) if fitted else _tiny()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same version: silent
        same = pickle.loads(pickle.dumps(clf))
        copied = copy.deepcopy(clf)
    with pytest.warns(InconsistentVersionWarning) as record:
        older = pickle.loads(_pickled_by(clf, "0.0.1", monkeypatch))
    warning = record[0].message
    assert (warning.estimator_name, warning.original_version, warning.current_version) == (
        "SurrogateClassifier", "0.0.1", sklearn_surrogate.__version__)
    assert f"from sklearn_surrogate version 0.0.1 when using version {sklearn_surrogate.__version__}." in str(warning)
    with pytest.warns(InconsistentVersionWarning, match="from an unknown version of sklearn_surrogate"):
        pickle.loads(_pickled_by(clf, None, monkeypatch))
    assert "_sklearn_surrogate_version" not in older.__dict__  # the record is not kept as an attribute
    if fitted:  # the warning does not stop the load
        for other in (same, copied, older):
            np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))
    assert pickle.loads(pickle.dumps(warning)).original_version == "0.0.1"  # it travels back from workers


def test_skops_file_records_the_version_and_warns_on_another(tmp_path, monkeypatch):
    sio = pytest.importorskip("skops.io")
    import warnings

    X, y = _problem(2)
    clf = _tiny().fit(X, y)
    sio.dump(clf, tmp_path / "model.skops")
    trusted = sio.get_untrusted_types(file=tmp_path / "model.skops")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = sio.load(tmp_path / "model.skops", trusted=trusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with monkeypatch.context() as patch:
        patch.setattr(sklearn_surrogate, "__version__", "0.0.1")
        sio.dump(clf, tmp_path / "older.skops")
    with pytest.warns(InconsistentVersionWarning, match="from sklearn_surrogate version 0.0.1"):
        older = sio.load(tmp_path / "older.skops", trusted=trusted)
    np.testing.assert_array_equal(older.predict_proba(X), clf.predict_proba(X))


class _LockedCallback(Callback):
    """A callback holding a lock: it cannot be pickled (fit uses this very object: it is not copied)."""

    def __init__(self):
        self.lock = threading.Lock()

    def __deepcopy__(self, memo):
        return self


def test_a_model_fitted_with_an_unpicklable_callback_saves_once_the_callback_is_unset():
    """The saved record leaves out the fit's callbacks, which only training used."""
    import pickle

    X, y = _problem(2)
    clf = _tiny(callbacks=[_LockedCallback()]).fit(X, y)
    with pytest.raises(TypeError, match="lock"):  # the parameter itself still holds it
        pickle.dumps(clf)
    clf.set_params(callbacks=None)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    restored.partial_fit(X, y)  # and it trains on, without the callback
