"""SciPy sparse input: same models as dense input, and never densified whole.

Training densifies one mini-batch at a time from a CSR float32 matrix and
prediction one chunk at a time; these tests check that the results equal the
dense path's and spy on the densification itself.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.compose import make_column_transformer
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skorch.callbacks import Callback

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate import _torch_utils


def _sparse_data(n=300, d=12, n_classes=2, density=0.3, seed=0):
    """Float32 data with most entries zero, and labels that depend on it."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d).astype(np.float32)
    X[rng.rand(n, d) > density] = 0.0
    scores = X @ rng.randn(d, n_classes)
    y = np.argmax(scores, axis=1) if n_classes > 2 else (scores[:, 0] > np.median(scores[:, 0])).astype(int)
    return X, y


def fast(**params):
    return SurrogateClassifier(**{"max_iter": 6, "random_state": 0, "hidden_layer_sizes": (16,), "batch_size": 32,
                                  **params})


def _assert_same_model(a, b, X_a, X_b, rtol=1e-6, atol=1e-7):
    for p, q in zip(a.net_.module_.parameters(), b.net_.module_.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(a.decision_function(X_a), b.decision_function(X_b), rtol=rtol, atol=atol)
    np.testing.assert_allclose(a.predict_proba(X_a), b.predict_proba(X_b), rtol=rtol, atol=atol)
    np.testing.assert_array_equal(a.predict(X_a), b.predict(X_b))


class BatchListener(Callback):
    """Listens to training batches: the net then runs skorch's own loop instead of the lean one."""

    def on_batch_end(self, net, training=False, **kwargs):
        pass


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("loop", ["lean", "skorch"])
def test_sparse_fit_matches_dense_with_early_stopping_and_weights(n_classes, loop):
    X, y = _sparse_data(n_classes=n_classes)
    weights = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    params = {"early_stopping": True, "n_iter_no_change": 3, "validation_fraction": 0.2}
    if loop == "skorch":
        params["callbacks"] = [("listener", BatchListener())]
    dense = fast(**params).fit(X, y, sample_weight=weights)
    sparse = fast(**params).fit(sp.csr_matrix(X), y, sample_weight=weights)
    assert loop == "lean" or sparse.net_._listens_to_training_batches()
    assert [row["valid_score"] for row in sparse.history_] == [row["valid_score"] for row in dense.history_]
    losses = [row["train_loss"] for row in dense.history_]
    assert [row["train_loss"] for row in sparse.history_] == pytest.approx(losses)
    assert sparse.best_epoch_ == dense.best_epoch_
    _assert_same_model(sparse, dense, sp.csr_matrix(X), X)
    assert sparse.score(sp.csr_matrix(X), y) == pytest.approx(dense.score(X, y))


@pytest.mark.parametrize(
    "convert",
    [
        sp.csc_matrix,
        sp.coo_matrix,
        sp.csr_array,
        sp.csc_array,
        sp.coo_array,
        sp.lil_matrix,
        lambda X: sp.csr_matrix(X, dtype=np.float64),
        lambda X: sp.csr_matrix(X, dtype=np.int64),
        lambda X: sp.coo_matrix(X, dtype=np.int8),
        lambda X: sp.csr_array(X != 0),  # bool
    ],
    ids=["csc", "coo", "csr_array", "csc_array", "coo_array", "lil", "float64", "int64", "int8", "bool"],
)
def test_sparse_formats_and_dtypes_match_dense(convert):
    X, y = _sparse_data(n_classes=3)
    X = np.round(X * 3)  # small integers, so the integer conversions keep the values
    X_sparse = convert(X)
    X_dense = X_sparse.toarray().astype(np.float32)
    dense = fast(max_iter=3).fit(X_dense, y)
    sparse = fast(max_iter=3).fit(X_sparse, y)
    _assert_same_model(sparse, dense, X_sparse, X_dense)
    assert sparse.n_features_in_ == X.shape[1]


def test_sparse_with_64_bit_indices():
    X, y = _sparse_data()
    X_sparse = sp.csr_matrix(X)
    X_sparse.indices = X_sparse.indices.astype(np.int64)
    X_sparse.indptr = X_sparse.indptr.astype(np.int64)
    dense = fast(max_iter=3).fit(X, y)
    sparse = fast(max_iter=3).fit(X_sparse, y)
    _assert_same_model(sparse, dense, X_sparse, X)


def test_sparse_prediction_is_float64_like_dense():
    """CPU prediction densifies chunks in float64, so float64 sparse input predicts as float64 dense input does."""
    X, y = _sparse_data()
    clf = fast().fit(X, y)
    X64 = X.astype(np.float64) + np.where(X != 0, 1e-9, 0.0)  # values float32 cannot hold
    np.testing.assert_allclose(clf.decision_function(sp.csr_matrix(X64)), clf.decision_function(X64),
                               rtol=1e-12, atol=1e-14)
    assert not np.array_equal(clf.decision_function(X64), clf.decision_function(X64.astype(np.float32)))


def test_csr_float32_training_matrix_is_not_copied(monkeypatch):
    X, y = _sparse_data()
    seen = []
    original = _torch_utils.SparseRows.__init__

    def spy(self, matrix, device):
        seen.append(matrix)
        original(self, matrix, device)

    monkeypatch.setattr(_torch_utils.SparseRows, "__init__", spy)
    X_csr = sp.csr_matrix(X)
    fast(max_iter=1).fit(X_csr, y)
    assert seen[-1] is X_csr  # the very matrix: data, indices and indptr shared
    X_csc = sp.csc_matrix(X.astype(np.float64))
    fast(max_iter=1).fit(X_csc, y)
    assert seen[-1].format == "csr" and seen[-1].dtype == np.float32
    assert seen[-1].indices.dtype == np.int32  # indices are not upcast to int64


def _watch_densification(monkeypatch):
    """The shapes of the sparse blocks made dense from now on (a spy on CSR matrices' and arrays' toarray)."""
    shapes = []
    for container in (sp.csr_matrix, sp.csr_array):
        original = container.toarray

        def spy(self, *args, _original=original, **kwargs):
            shapes.append(self.shape)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(container, "toarray", spy)
    return shapes


@pytest.mark.parametrize("loop", ["lean", "skorch"])
def test_whole_matrix_is_never_densified(monkeypatch, loop):
    """Every densification during fit is at most a batch, and during prediction at most a chunk."""
    X, y = _sparse_data(n=2500, d=8)
    shapes = _watch_densification(monkeypatch)
    callbacks = [("listener", BatchListener())] if loop == "skorch" else None
    batch = 64
    clf = fast(max_iter=2, batch_size=batch, early_stopping=True, callbacks=callbacks)
    clf.fit(sp.csr_matrix(X), y)
    assert shapes and max(rows for rows, _ in shapes) <= batch
    # every training row densified once per epoch, every validation row once per epoch
    assert sum(rows for rows, _ in shapes) == 2 * len(y)
    shapes.clear()
    proba = clf.predict_proba(sp.csr_array(X))
    chunk = max(batch, 1024)
    assert [rows for rows, _ in shapes] == [chunk, chunk, len(y) - 2 * chunk]
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-12)


def test_uncached_valid_scoring_streams_sparse_batches(monkeypatch):
    """EpochScoring(use_caching=False) reads the validation rows back in batches, never the whole matrix."""
    from skorch.callbacks import EpochScoring

    X, y = _sparse_data(n=2500, d=8)
    shapes = _watch_densification(monkeypatch)
    scoring = EpochScoring("roc_auc", name="valid_auc", use_caching=False, lower_is_better=False)
    sparse = fast(max_iter=2, batch_size=64, early_stopping=True, callbacks=[scoring]).fit(sp.csr_matrix(X), y)
    # blocks of X (8 columns); roc_auc_score makes its one-column label matrix dense too
    assert max(rows for rows, columns in shapes if columns == X.shape[1]) <= 64
    dense = fast(max_iter=2, batch_size=64, early_stopping=True, callbacks=[scoring]).fit(X, y)
    assert [row["valid_auc"] for row in sparse.history_] == pytest.approx([row["valid_auc"] for row in dense.history_])
    assert 0.5 < sparse.history_[-1]["valid_auc"] <= 1.0


def test_partial_fit_with_sparse_matches_dense():
    X, y = _sparse_data(n_classes=3)
    dense, sparse = fast(), fast()
    for part in (slice(0, 150), slice(150, 300)):
        dense.partial_fit(X[part], y[part], classes=[0, 1, 2])
        sparse.partial_fit(sp.csr_matrix(X[part]), y[part], classes=[0, 1, 2])
    assert sparse.n_iter_ == 2
    _assert_same_model(sparse, dense, sp.csr_matrix(X), X)


def _categorical_frame(n=240, seed=0):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame({
        "colour": pd.Categorical(rng.choice(["red", "green", "blue", "black"], n)),
        "city": pd.Categorical(rng.choice([f"city{i}" for i in range(30)], n)),
        "size": rng.randn(n),
        "weight": rng.rand(n) * 10,
    })
    y = np.where((frame["colour"] == "red") | (frame["size"] > 0.5), "yes", "no")
    return frame, y


def _one_hot_pipeline(**params):
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["colour", "city"]),
        (StandardScaler(), ["size", "weight"]),
    )
    return make_pipeline(encode, fast(**params))


def test_one_hot_pipeline_on_categorical_frame():
    frame, y = _categorical_frame()
    pipe = _one_hot_pipeline().fit(frame, y)
    encoded = pipe[0].transform(frame)
    assert sp.issparse(encoded)  # the case this is about: scikit-learn's default sparse one-hot output
    assert pipe[-1].n_features_in_ == encoded.shape[1]
    unseen = frame.head(5).assign(city=pd.Categorical(["elsewhere"] * 5))
    assert set(pipe.predict(unseen)) <= {"no", "yes"}
    np.testing.assert_allclose(pipe[-1].predict_proba(encoded), pipe[-1].predict_proba(encoded.toarray()),
                               rtol=1e-12)


def test_one_hot_pipeline_in_model_selection():
    frame, y = _categorical_frame()
    search = GridSearchCV(_one_hot_pipeline(max_iter=3), {"surrogateclassifier__learning_rate_init": [1e-3, 1e-2]}, cv=2)
    search.fit(frame, y)
    assert np.isfinite(search.best_score_)
    result = cross_validate(_one_hot_pipeline(max_iter=3, loss="f1"), frame, y, cv=2, return_estimator=True)
    assert np.all(np.isfinite(result["test_score"]))
    assert pickle.loads(pickle.dumps(result["estimator"][0])).predict(frame).shape == (len(frame),)


def test_sparse_with_mixed_precision_and_compile():
    X, y = _sparse_data()
    X_csr = sp.csr_matrix(X)
    dense_bf16 = fast(mixed_precision="bf16").fit(X, y)
    sparse_bf16 = fast(mixed_precision="bf16").fit(X_csr, y)
    _assert_same_model(sparse_bf16, dense_bf16, X_csr, X)
    # the "eager" backend exercises the compiled path's plumbing without a C++ toolchain
    compiled = fast(compile={"backend": "eager"}).fit(X_csr, y)
    assert hasattr(compiled.net_.__dict__["_batch_loss_cache"][1], "_torchdynamo_orig_callable")
    _assert_same_model(compiled, fast().fit(X, y), X_csr, X, rtol=1e-5, atol=1e-6)


def test_nan_in_sparse_X_is_refused():
    X, y = _sparse_data()
    X[3, np.flatnonzero(X[3])[0]] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fast().fit(sp.csr_matrix(X), y)
    clf = fast(max_iter=1).fit(np.nan_to_num(X), y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.predict(sp.csr_matrix(X))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("params", [{}, {"mixed_precision": "bf16"}])
def test_sparse_batches_reach_the_gpu(params):
    X, y = _sparse_data()
    seen = []

    class DeviceRecorder(Callback):
        def on_batch_begin(self, net, batch=None, training=False, **kwargs):
            seen.append((batch[0].device.type, tuple(batch[0].shape)))

    clf = fast(device="cuda", early_stopping=True, callbacks=[DeviceRecorder()], **params).fit(sp.csr_matrix(X), y)
    assert seen and {device for device, _ in seen} == {"cuda"} and max(s[0] for _, s in seen) <= 32
    dense = fast(device="cuda", early_stopping=True, **params).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
def test_sparse_rows_index_like_a_tensor(container):
    """SparseRows answers a slice, an index tensor and a single row as the dense tensor would."""
    X, _ = _sparse_data(n=50, d=6)
    rows = _torch_utils.SparseRows(container(X), torch.device("cpu"))
    dense = torch.from_numpy(X)
    assert len(rows) == 50 and rows.shape == (50, 6)
    index = torch.tensor([7, 3, 3, 49])
    for key in (slice(10, 20), index, 5, torch.tensor(5)):
        out = rows[key]
        assert out.dtype == torch.float32 and out.shape == dense[key].shape
        torch.testing.assert_close(out, dense[key], rtol=0, atol=0)


def test_prediction_chunks_of_a_wide_sparse_matrix_are_capped(monkeypatch):
    """Dense prediction chunks of sparse X hold at most _DENSE_CHUNK_VALUES values, whatever the width."""
    from sklearn_surrogate import _base

    X, y = _sparse_data(n=600, d=8)
    clf = fast(max_iter=1).fit(X, y)
    monkeypatch.setattr(_base, "_DENSE_CHUNK_VALUES", 8 * 100)  # as if the matrix were 125,000 times wider
    shapes = _watch_densification(monkeypatch)
    proba = clf.predict_proba(sp.csr_matrix(X))
    assert [rows for rows, _ in shapes] == [100] * 6
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-12)
