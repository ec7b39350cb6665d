"""The bad-input table of the user guide, row by row (docs/user_guide/bad_input.md).

Each row names a case; the case below must raise the error type of the row, with a message that
begins as the row says (up to a trailing "…"); a row whose type is a warning class (``UserWarning``,
``RuntimeWarning``...) expects the call to complete and to emit that warning, with that message. A row without a case, or a case without a row,
fails, so the table and the behaviour cannot drift apart.
"""

import builtins
import re
import threading
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from skorch.callbacks import Callback

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
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
    "concurrent_fit": lambda: _while_fitting(lambda clf: clf.fit(X, Y)),
    "predict_while_fitting": lambda: _while_fitting(lambda clf: clf.predict(X)),
    "fit_inside_own_fit": lambda: _fitting_itself(),
}



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
    expected = getattr(builtins, error, None)
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
