"""The bad-input table of the user guide, row by row (docs/user_guide/bad_input.md).

Each row names a case; the case below must raise the error type of the row, with a message that
begins as the row says (up to a trailing "…"); a row whose type is a warning class (``UserWarning``,
``RuntimeWarning``...) expects the call to complete and to emit that warning, with that message. A type is
a builtin one or one of :mod:`sklearn_surrogate.exceptions`. A row without a case, or a case without a row,
fails, so the table and the behaviour cannot drift apart.
"""

import builtins
import re
import tempfile
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import EpochTimer
from skorch.callbacks import Callback

import sklearn_surrogate
from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
from sklearn_surrogate import exceptions as package_exceptions
from sklearn_surrogate.datasets import load_shipped
from sklearn_surrogate.losses import FBetaLoss

TABLE = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "bad_input.md"
ROW = re.compile(r"^\| `(?P<case>\w+)` \| [^|]+ \| `(?P<error>\w+)` \| (?P<message>.+) \|$")

RNG = np.random.RandomState(0)
X = RNG.randn(60, 4).astype(np.float32)
Y = np.array([0, 1] * 30)
Y3 = np.arange(60) % 3
YL = np.c_[Y, np.arange(60) % 3 == 0, np.arange(60) % 4 == 0].astype(int)  # a multilabel indicator target


def _model(**params):
    return SurrogateClassifier(max_iter=2, random_state=0, **params)


def _with_value(value):
    X_bad = X.astype(np.float64)
    X_bad[5, 1] = value
    return X_bad


class _LockedNet(torch.nn.Module):
    """A network holding a lock: neither copyable nor picklable."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)
        self.lock = threading.Lock()

    def forward(self, x):
        return self.linear(x)


def _unpickle_from_another_version():
    import pickle

    current = sklearn_surrogate.__version__
    sklearn_surrogate.__version__ = "0.0.1"  # the pickle records the version that saved it
    try:
        data = pickle.dumps(_model().fit(X, Y))
    finally:
        sklearn_surrogate.__version__ = current
    return pickle.loads(data)
def _tampered_surrogate(**fields):
    """Load the shipped F1 surrogate rewritten with some metadata fields replaced (as stored: JSON text)."""
    from safetensors.torch import save_file

    from sklearn_surrogate.learned import load_surrogate
    from sklearn_surrogate.learned._io import _read, shipped_surrogate_path

    meta, tensors = _read(shipped_surrogate_path("f1"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tampered.safetensors"
        save_file(tensors, str(path), metadata={**meta, **fields})
        return load_surrogate(path)


#: learn_surrogate settings that run in a fraction of a second
_TINY_LEARN = {"steps": 2, "n_train_sets": 16, "n_test_sets": 64, "n_samples": 16, "sets_per_step": 8,
               "real_fraction": 0.0, "verbose": False}


def _learn(metric="accuracy", **params):
    from sklearn_surrogate.learned import learn_surrogate

    return learn_surrogate(metric, **{**_TINY_LEARN, **params})


def _array_metric(y_true, y_pred):
    return np.array([0.5, 0.5])


def _unrelated_metric(y_true, y_pred):
    """Deterministic but unrelated to the quality of the predictions: no surrogate can learn to rank by it."""
    return zlib.crc32(y_pred.tobytes()) / 2**32


def _reloss_with_unknown_metric():
    from sklearn_surrogate.learned import ReLoss, load_surrogate
    from sklearn_surrogate.learned._io import shipped_surrogate_path

    network = load_surrogate(shipped_surrogate_path("f1")).surrogate
    return ReLoss(metric="f3", surrogate=network)(torch.zeros(4), torch.tensor([0, 1, 0, 1]))


def _onnx_without_sample():
    from sklearn_surrogate.onnx import to_onnx

    return to_onnx(_model().fit(X, Y), None)


CASES = {
    "nan_in_X": lambda: _model().fit(_with_value(np.nan), Y),
    "inf_in_X": lambda: _model().fit(_with_value(np.inf), Y),
    "nan_in_y": lambda: _model().fit(X, np.where(np.arange(60) == 3, np.nan, Y.astype(float))),
    "empty_X": lambda: _model().fit(X[:0], Y[:0]),
    "one_sample": lambda: _model().fit(X[:1], Y[:1]),
    "one_class": lambda: _model().fit(X, np.zeros(60)),
    "continuous_y": lambda: _model().fit(X, RNG.randn(60)),
    "multilabel_y": lambda: _model().fit(X, np.c_[Y, 1 - Y]),
    "unseen_label_partial_fit": lambda: _model().partial_fit(X, Y, classes=[0, 1]).partial_fit(X, np.where(Y == 1, 2, 0)),
    "partial_fit_without_classes": lambda: _model().partial_fit(X, Y),
    "warm_start_other_classes": lambda: _model(warm_start=True).fit(X, Y).fit(X, np.where(Y == 1, 2, 0)),
    "wrong_n_features": lambda: _model().fit(X, Y).predict(X[:, :3]),
    "inf_in_sparse_X": lambda: _model().fit(sp.csr_matrix(_with_value(np.inf)), Y),
    "string_features": lambda: _model().fit(np.full((60, 4), "a", dtype=object), Y),
    "three_d_X": lambda: _model().fit(X.reshape(60, 2, 2), Y),
    "sample_weight_length": lambda: _model().fit(X, Y, sample_weight=np.ones(59)),
    "sample_weight_negative": lambda: _model().fit(X, Y, sample_weight=-np.ones(60)),
    "sample_weight_zero": lambda: _model().fit(X, Y, sample_weight=np.zeros(60)),
    "binary_only_loss": lambda: _model(loss="ensloss").fit(X, Y3),
    "multiclass_only_loss": lambda: _model(loss="zloss").fit(X, Y),
    "unknown_loss": lambda: _model(loss="f2").fit(X, Y),
    "pos_label_not_a_class": lambda: _model(loss=make_surrogate_scorer("f1", pos_label=2)).fit(X, Y),
    "pos_label_multiclass": lambda: _model(loss="f1", loss__pos_label=0).fit(X, Y3),
    "pos_label_not_an_index": lambda: FBetaLoss(pos_label="bad")(torch.zeros(4), torch.tensor([0, 1, 0, 1])),
    "samples_average_loss": lambda: _model(loss=make_surrogate_scorer("f1", average="samples")).fit(X, Y),
    "multilabel_f1_average_auto": lambda: make_surrogate_scorer("f1")(KNeighborsClassifier().fit(X, YL), X, YL),
    "multilabel_undefined_metric": lambda: make_surrogate_scorer("mcc")(KNeighborsClassifier().fit(X, YL), X, YL),
    "unavailable_device": lambda: _model(device="cuda").fit(X, Y),
    "invalid_device": lambda: _model(device="gpu0").fit(X, Y),
    "invalid_parameter": lambda: _model(batch_size=0).fit(X, Y),
    "unpicklable_module": lambda: GridSearchCV(_model(module=_LockedNet()), {"learning_rate_init": [1e-3, 1e-2]}, cv=2,
                                               error_score="raise").fit(X, Y),
    "x_beyond_float32": lambda: _model().fit(_with_value(1e39), Y),
    "loss_class_weight_negative": lambda: _model(loss="cross_entropy", loss__class_weight=[-1, 1]).fit(X, Y),
    "loss_alpha_negative": lambda: _model(loss="focal", loss__alpha=[1, -1]).fit(X, Y),
    "class_weight_negative": lambda: _model(class_weight={0: -1, 1: 1}).fit(X, Y),
    "optimizer_param_type": lambda: _model(optimizer="sgd", optimizer__momentum="x").fit(X, Y),
    "optimizer_param_value": lambda: _model(optimizer="sgd", optimizer__momentum=-1.0).fit(X, Y),
    "callback_not_a_callback": lambda: _model(callbacks=[("x", 3)]).fit(X, Y),
    "callback_name_not_a_string": lambda: _model(callbacks=[(3, EpochTimer())]).fit(X, Y),
    "torch_loss_not_scalar": lambda: _model(loss=torch.nn.BCEWithLogitsLoss(reduction="none")).fit(X, Y),
    "torch_softmax_loss_binary": lambda: _model(loss=torch.nn.CrossEntropyLoss()).fit(X, Y),
    "pairwise_loss_batch_size_1": lambda: _model(loss="auc_square", batch_size=1).fit(X, Y),
    "pairwise_loss_one_class_partial_fit": lambda: _model(loss="auc_square").partial_fit(X[Y == 0], Y[Y == 0],
                                                                                       classes=[0, 1]),
    "early_stopping_single_sample_class": lambda: _model(early_stopping=True).fit(X, np.where(np.arange(60) == 7, 2,
                                                                                              Y)),
    "early_stopping_too_few_rows": lambda: _model(early_stopping=True).fit(X[:20], np.arange(20) % 10),
    "early_stopping_auto_too_few_rows": lambda: _model(metric="accuracy", n_members=1).fit(X[:20], np.arange(20) % 10),
    "batch_size_bool": lambda: _model(batch_size=True).fit(X, Y),
    "hidden_layer_sizes_float": lambda: _model(hidden_layer_sizes=(16.7,)).fit(X, Y),
    "n_threads_above_cores": lambda: _model(n_threads=100_000).fit(X, Y),
    "pickle_from_another_version": _unpickle_from_another_version,
    "surrogate_file_unknown_metric": lambda: _tampered_surrogate(metric="f3"),
    "surrogate_file_invalid_classes": lambda: _tampered_surrogate(trained_classes="[-5]"),
    "learned_metric_not_a_float": lambda: _learn(_array_metric),
    "learn_surrogate_fractional_n_classes": lambda: _learn(n_classes=2.5),
    "learn_surrogate_fractional_width": lambda: _learn(architecture_params={"width": 16.7}),
    "learn_surrogate_sets_smaller_than_classes": lambda: _learn(n_classes=5, n_samples=4),
    "reloss_surrogate_unknown_metric": _reloss_with_unknown_metric,
    "learn_surrogate_no_operating_point": lambda: _learn("recall_at_precision"),
    "reloss_shipped_other_operating_point": lambda: _model(
        loss="reloss", loss__metric="recall_at_precision", loss__metric_params={"min_precision": 0.9}).fit(X, Y),
    "learned_surrogate_ranks_poorly": lambda: _learn(_unrelated_metric),
    "concurrent_fit": lambda: _while_fitting(lambda clf: clf.fit(X, Y)),
    "predict_while_fitting": lambda: _while_fitting(lambda clf: clf.predict(X)),
    "fit_inside_own_fit": lambda: _fitting_itself(),
    "predict_x_beyond_float32": lambda: _model().fit(X, Y).predict(_with_value(1e39)),
    "loss_beta_negative": lambda: _model(loss="f1", loss__beta=-1).fit(X, Y),
    "set_params_while_fitting": lambda: _while_fitting(lambda clf: clf.set_params(max_iter=3)),
    "callbacks_single_pair": lambda: _model(callbacks=("timer", EpochTimer())).fit(X, Y),
    "module_not_float32": lambda: _model(module=lambda n_features, n_outputs: torch.nn.Linear(n_features,
                                                                                          n_outputs).double()).fit(X, Y),
    "module_forward_fails": lambda: _model(module=lambda n_features, n_outputs: torch.nn.Linear(3, n_outputs)).fit(X, Y),
    "compile_bad_option": lambda: _model(compile={"bogus": 1}).fit(X, Y),
    "optimizer_lr_invalid": lambda: _model(optimizer__lr=float("nan")).fit(X, Y),
    "onnx_unfitted": lambda: _onnx().to_onnx(_model(), X[:1]),
    "onnx_sample_wrong_width": lambda: _onnx().to_onnx(_model().fit(X, Y), X[:1, :3]),
    "set_params_routed_prefix_only": lambda: _model().set_params(loss__=1),
    "scorer_greater_is_better_not_bool": lambda: make_surrogate_scorer("f1", greater_is_better="x"),
    "user_metric_not_a_number": lambda: make_surrogate_scorer(_string_metric)(_model().fit(X, Y), X, Y),
    "score_sample_weight_negative": lambda: _model().fit(X, Y).score(X, Y, sample_weight=-np.ones(60)),
    "score_nan_in_y": lambda: _model().fit(X, Y).score(X, np.where(np.arange(60) == 3, np.nan, Y.astype(float))),
    "load_shipped_as_frame_not_bool": lambda: load_shipped(as_frame="no"),
    "onnx_without_sample": lambda: _onnx_without_sample(),
    "costs_loss_takes_none": lambda: _model().fit(X, Y, costs=np.ones((60, 4))),
    "costs_wrong_shape": lambda: _model(loss="cost_sensitive").fit(X, Y, costs=np.ones((60, 3))),
    "costs_wrong_length": lambda: _model(loss="cost_sensitive").fit(X, Y, costs=np.ones((59, 4))),
    "costs_multiclass_shape": lambda: _model(loss="cost_sensitive").fit(X, Y3, costs=np.ones((60, 4))),
    "costs_nan": lambda: _model(loss="cost_sensitive").fit(X, Y, costs=np.where(np.arange(240) == 9, np.nan,
                                                                                 1.0).reshape(60, 4)),
    "costs_not_numbers": lambda: _model(loss="cost_sensitive").fit(X, Y, costs=np.full((60, 4), "a", dtype=object)),
    "costs_sparse": lambda: _model(loss="cost_sensitive").fit(X, Y, costs=sp.csr_matrix(np.ones((60, 4)))),
    "cost_metric_without_costs": lambda: _model(metric="expected_cost", loss="cost_sensitive").fit(X, Y),
    "score_costs_not_a_cost_metric": lambda: _model().fit(X, Y).score(X, Y, costs=np.ones((60, 4))),
}


def _onnx():
    from sklearn_surrogate import onnx  # its checks run before it needs skl2onnx

    return onnx


def _string_metric(y_true, y_pred):
    return "high"


# error types of the table that are not builtins: scikit-learn's parameter validation error (a ValueError and a
# TypeError)
OTHER_ERRORS = {"InvalidParameterError": InvalidParameterError, "NotFittedError": NotFittedError}



class _HeldFit(Callback):
    """Hold a fit after its first epoch until released (copies and clones keep this very object)."""

    def __init__(self):
        self.started, self.release = threading.Event(), threading.Event()

    def __deepcopy__(self, memo):
        return self

    def on_epoch_end(self, net, **kwargs):
        self.started.set()
        self.release.wait(30)


def _while_fitting(call):
    """``call(clf)`` while another thread fits ``clf`` (synchronised by events, not by timing)."""
    hold = _HeldFit()
    clf = _model().fit(X, Y).set_params(callbacks=[hold])
    thread = threading.Thread(target=clf.fit, args=(X, Y), daemon=True)
    thread.start()
    try:
        assert hold.started.wait(30)
        call(clf)
    finally:
        hold.release.set()
        thread.join(30)


class _FitsItsEstimator(Callback):
    def __init__(self, estimator=None):
        self.estimator = estimator

    def __deepcopy__(self, memo):
        return self

    def on_epoch_end(self, net, **kwargs):
        self.estimator.fit(X, Y)


def _fitting_itself():
    callback = _FitsItsEstimator()
    callback.estimator = clf = _model(callbacks=[callback])
    clf.fit(X, Y)

def _rows():
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match["case"]] = (match["error"], match["message"].strip())
    return rows


ROWS = _rows()


def test_every_row_has_a_case_and_every_case_a_row():
    assert ROWS, f"no table rows found in {TABLE}"
    assert set(ROWS) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_row(case, monkeypatch):
    if case == "unavailable_device":  # make the row hold on GPU machines too
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    error, message = ROWS[case]
    expected = getattr(builtins, error, None) or getattr(package_exceptions, error, None) or OTHER_ERRORS.get(error)
    assert isinstance(expected, type) and issubclass(expected, Exception), f"unknown error type {error}"
    if issubclass(expected, Warning):  # a row whose answer is a warning: the call completes, and warns
        with pytest.warns(expected) as record:
            CASES[case]()
        texts = [" ".join(str(w.message).split()) for w in record if type(w.message) is expected]
        assert texts, f"{case}: no {error} among {[str(w.message) for w in record]}"
        text = next((t for t in texts if t.startswith(message.split("…")[0].strip())), texts[0])
    else:
        with pytest.raises(Exception) as info:
            CASES[case]()
        assert type(info.value) is expected, f"{case}: {type(info.value).__name__}: {info.value}"
        text = " ".join(str(info.value).split())
    parts = [part.strip() for part in message.split("…") if part.strip()]
    assert text.startswith(parts[0]), f"{case}: expected the message to begin {parts[0]!r}, got {text!r}"
    for part in parts[1:]:
        assert part in text, f"{case}: expected {part!r} in {text!r}"
