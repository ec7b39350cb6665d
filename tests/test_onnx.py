"""ONNX export (sklearn_surrogate.onnx): the graph run by onnxruntime agrees with the estimator."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate._modules import ACTIVATIONS

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

from sklearn_surrogate.onnx import register_onnx_converter, to_onnx  # noqa: E402


def _data(n_classes, labels):
    rng = np.random.RandomState(0)
    X = rng.randn(240, 5) * [1.0, 5.0, 0.1, 2.0, 1.0] + [0.0, 3.0, -1.0, 0.0, 10.0]
    score = X[:, 0] + 0.2 * X[:, 1] - 5 * X[:, 2] + 0.5 * rng.randn(240)
    y_idx = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, np.asarray(labels)[y_idx]


def _run(onx, X):
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return session.run(None, {name: X})


def _check(model, X, dtype=np.float64):
    Xd = X.astype(dtype)
    onx = to_onnx(model, Xd[:1], options={"zipmap": False})
    labels, proba = _run(onx, Xd)
    np.testing.assert_allclose(proba, model.predict_proba(Xd), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(labels, model.predict(Xd))
    return labels, proba


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_binary_string_labels_in_a_pipeline_each_activation(activation):
    X, y = _data(2, ["no", "yes"])
    clf = SurrogateClassifier(hidden_layer_sizes=(16, 8), activation=activation, max_iter=20, learning_rate_init=1e-2,
                              random_state=0)
    model = make_pipeline(StandardScaler(), clf).fit(X, y)
    labels, _ = _check(model, X)
    assert set(labels) == {"no", "yes"}  # both classes are predicted: the threshold rule is exercised


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_multiclass_int_labels_in_a_pipeline_each_activation(activation):
    X, y = _data(3, [3, 7, 11])
    clf = SurrogateClassifier(hidden_layer_sizes=(16,), activation=activation, max_iter=20, learning_rate_init=1e-2,
                              random_state=0)
    model = make_pipeline(StandardScaler(), clf).fit(X, y)
    labels, proba = _check(model, X)
    assert labels.dtype == np.int64 and proba.shape == (len(X), 3)
    assert set(labels) == {3, 7, 11}


@pytest.mark.parametrize("n_classes", [2, 3])
def test_float32_input(n_classes):
    X, y = _data(n_classes, ["a", "b", "c"][:n_classes])
    model = make_pipeline(
        StandardScaler(), SurrogateClassifier(hidden_layer_sizes=(16,), max_iter=10, random_state=0)
    ).fit(X, y)
    _, proba = _check(model, X, dtype=np.float32)
    assert proba.dtype == np.float32  # skl2onnx's convention: the input's type


def test_bare_estimator_linear_model_dropout_and_zipmap():
    """No preprocessing, no hidden layer or dropout (identity at inference); the default ZipMap output."""
    X, y = _data(3, ["x", "y", "z"])
    for params in [{"hidden_layer_sizes": ()}, {"hidden_layer_sizes": (16,), "dropout": 0.5}]:
        clf = SurrogateClassifier(max_iter=10, random_state=0, **params).fit(X, y)
        _check(clf, X)
        labels, dicts = _run(to_onnx(clf, X[:1]), X)  # zipmap: one {class: probability} per row
        proba = np.array([[row[c] for c in clf.classes_] for row in dicts])
        np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)
        np.testing.assert_array_equal(labels, clf.predict(X))


def test_registered_converter_serves_skl2onnx_directly():
    X, y = _data(2, [0, 1])
    model = make_pipeline(StandardScaler(), SurrogateClassifier(hidden_layer_sizes=(8,), max_iter=5,
                                                                random_state=0)).fit(X, y)
    register_onnx_converter()
    register_onnx_converter()  # idempotent
    labels, proba = _run(skl2onnx.to_onnx(model, X[:1], options={"zipmap": False}), X)
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(labels, model.predict(X))


class _Custom(nn.Module):
    def __init__(self, n_features, n_outputs):
        super().__init__()
        self.linear = nn.Linear(n_features, n_outputs)

    def forward(self, X):
        return self.linear(X)


def test_custom_module_is_refused_clearly():
    X, y = _data(3, [0, 1, 2])
    clf = SurrogateClassifier(module=_Custom, max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="supports the default single network.*a _Custom"):
        to_onnx(clf, X[:1])
    ensemble = SurrogateClassifier(metric="f1_macro", max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="MLPEnsemble .metric= trains an ensemble unless n_members=1"):
        to_onnx(ensemble, X[:1])


@pytest.mark.parametrize("params", [{"threshold": 0.2}, {"metric": "f1", "n_members": 1}])
def test_binary_graph_follows_the_tuned_or_fixed_threshold(params):
    X, y = _data(2, ["no", "yes"])
    y = np.where((X[:, 0] > 1.0) | (np.arange(len(y)) % 17 == 0), "yes", "no")  # a rare class
    clf = SurrogateClassifier(hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=1e-2, random_state=0,
                              **params)
    model = make_pipeline(StandardScaler(), clf).fit(X, y)
    assert clf.threshold_ != 0.5
    labels, proba = _check(model, X)
    # rows between 0.5 and the threshold: the exported graph decides them as predict does
    between = (np.minimum(0.5, clf.threshold_) < proba[:, 1]) & (proba[:, 1] < np.maximum(0.5, clf.threshold_))
    assert between.any()


def test_multiclass_graph_adds_the_tuned_class_offsets():
    X, y = _data(3, [3, 7, 11])
    clf = SurrogateClassifier(hidden_layer_sizes=(16,), metric="f1_macro", n_members=1, max_iter=20,
                              learning_rate_init=1e-2, random_state=0)
    model = make_pipeline(StandardScaler(), clf).fit(X, y)
    assert np.any(clf.class_offsets_ != 0)
    _check(model, X)
