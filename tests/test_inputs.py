"""Inputs that must work: flipped (negative-stride) arrays, extreme sample weights, numpy scalars as parameters,
and early stopping on very rare classes; and parameter values refused before training (bools where numbers go,
fractional layer sizes). The refusals with a fixed message are rows of the bad-input table (test_bad_input.py).

The property test at the end searches the estimator's input space: X of float32, float64, int64 or bool, in
C or Fortran order, flipped rows or columns, strided or read-only; 12-40 rows, 1-4 features; 2 or 3 classes
labelled by ints, strings or floats; no weights, or weights whose ratios are scaled by 1, 1e-300 or 1e300.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.losses._registry import base_loss_names, get_loss

RNG = np.random.RandomState(0)
X = RNG.randn(80, 5)
Y = (X[:, 0] + 0.5 * RNG.randn(80) > 0).astype(int)


def _model(**params):
    return SurrogateClassifier(**{"hidden_layer_sizes": (16,), "max_iter": 5, "random_state": 0, **params})


def _outputs(model, X_test):
    return model.predict(X_test), model.predict_proba(X_test), model.decision_function(X_test)


# -- negative strides -------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("flip", [np.flipud, np.fliplr], ids=["rows", "columns"])
def test_flipped_arrays_fit_and_predict_like_their_copies(dtype, flip):
    X_flip = flip(X.astype(dtype))
    assert any(stride < 0 for stride in X_flip.strides)
    X_copy, y = np.ascontiguousarray(X_flip), Y[::-1] if flip is np.flipud else Y
    weights = np.linspace(0.5, 2.0, len(Y))[::-1]
    flipped = _model().fit(X_flip, y, sample_weight=weights)
    copied = _model().fit(X_copy, y, sample_weight=np.ascontiguousarray(weights))
    for a, b in zip(_outputs(flipped, X_flip), _outputs(copied, X_copy)):
        np.testing.assert_array_equal(a, b)
    assert flipped.score(X_flip, y, sample_weight=weights) == copied.score(X_copy, y, sample_weight=weights)


def test_flipped_single_column_numpy_calls_contiguous():
    column = X[:, :1].copy()[:, ::-1]  # strides (8, -8), yet flagged C-contiguous by numpy
    assert column.flags.c_contiguous and column.strides[1] < 0
    model = _model().fit(column, Y)
    reference = _model().fit(column.copy(), Y)
    np.testing.assert_array_equal(model.predict_proba(column), reference.predict_proba(column.copy()))


def test_flipped_arrays_in_partial_fit_and_a_pipeline():
    X_flip = X[::-1]
    partial = _model().partial_fit(X_flip, Y[::-1], classes=[0, 1]).partial_fit(X_flip, Y[::-1])
    reference = _model().partial_fit(X_flip.copy(), Y[::-1], classes=[0, 1]).partial_fit(X_flip.copy(), Y[::-1])
    np.testing.assert_array_equal(partial.predict_proba(X_flip), reference.predict_proba(X_flip.copy()))
    pipe = make_pipeline(FunctionTransformer(np.flipud), _model()).fit(X, Y[::-1])
    assert pipe.score(X, Y[::-1]) == pipe[-1].score(np.flipud(X).copy(), Y[::-1])


def test_sparse_matrix_over_flipped_arrays():
    dense = np.where(np.abs(X) > 1, X, 0.0)
    csr = sp.csr_matrix(dense)
    data = csr.data[::-1].copy()[::-1]  # the same values, in memory read backwards
    assert data.strides[0] < 0
    flipped = sp.csr_matrix((data, csr.indices, csr.indptr), shape=csr.shape)
    model = _model().fit(flipped, Y)
    np.testing.assert_allclose(model.predict_proba(flipped), _model().fit(csr, Y).predict_proba(csr))
    np.testing.assert_allclose(model.predict_proba(dense[::-1]), model.predict_proba(csr[::-1]))


# -- extreme sample weights -------------------------------------------------
@pytest.mark.parametrize("scale", [1e308, 1e-320], ids=["huge", "subnormal"])
def test_equal_extreme_weights_train_like_unit_weights(scale):
    unit = _model().fit(X, Y, sample_weight=np.ones(len(Y)))
    extreme = _model().fit(X, Y, sample_weight=np.full(len(Y), scale))
    np.testing.assert_array_equal(extreme.predict_proba(X), unit.predict_proba(X))
    assert extreme.history_[-1]["train_loss"] > 0


@pytest.mark.parametrize("scale", [1e307, 1e-310], ids=["sum_overflows", "subnormal"])
def test_extreme_weights_train_as_their_ratios_say(scale):
    ratios = np.linspace(1.0, 3.0, len(Y))
    plain = _model().fit(X, Y, sample_weight=ratios)
    scaled = _model().fit(X, Y, sample_weight=ratios * scale)
    np.testing.assert_allclose(scaled.predict_proba(X), plain.predict_proba(X), rtol=1e-4, atol=1e-6)


# -- early stopping and rare classes ----------------------------------------
def test_automatic_early_stopping_validates_on_every_class():
    # above 10,000 rows early stopping is automatic; 3 positives, which a plain stratified split of 10% leaves out
    rng = np.random.RandomState(1)
    X_big = rng.randn(10_005, 3).astype(np.float32)
    y_big = np.zeros(10_005, dtype=int)
    y_big[[10, 5000, 9000]] = 1
    X_big[y_big == 1] += 3.0
    model = SurrogateClassifier(hidden_layer_sizes=(8,), max_iter=2, batch_size=2048, scoring="roc_auc",
                                random_state=0).fit(X_big, y_big)
    scores = [row["valid_score"] for row in model.history_]
    assert len(scores) == 2 and np.all(np.isfinite(scores))


# -- parameter values -------------------------------------------------------
NUMERIC = {
    "learning_rate_init": 1e-3, "weight_decay": 1e-4, "dropout": 0.1, "batch_size": 32, "max_iter": 3,
    "validation_fraction": 0.2, "n_iter_no_change": 2, "tol": 1e-4, "n_threads": 1, "threshold": 0.4,
    "n_members": 2, "random_state": 3,
}


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_numpy_scalars_are_numbers(name):
    value = NUMERIC[name]
    numpy_value = np.int64(value) if isinstance(value, int) else np.float32(value)
    extra = {"early_stopping": True} if name in ("validation_fraction", "n_iter_no_change", "tol") else {}
    model = _model(**{name: numpy_value}, **extra).fit(X, Y)
    assert model.predict(X[:3]).shape == (3,)


def test_numpy_scalar_learning_rate_under_its_old_name():
    with pytest.warns(FutureWarning, match="renamed"):
        model = _model(lr=np.float32(1e-3)).fit(X, Y)
    assert model.net_.lr == pytest.approx(1e-3)


@pytest.mark.parametrize("name", sorted(NUMERIC))
@pytest.mark.parametrize("value", [True, np.True_], ids=["bool", "numpy_bool"])
def test_bools_are_not_numbers(name, value):
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter of SurrogateClassifier must be"):
        _model(**{name: value}).fit(X, Y)


@pytest.mark.parametrize("sizes", [(16.7,), (True,), ("16",), ((16,), (8,)), (0,), 2.5])
def test_hidden_layer_sizes_must_be_positive_whole_numbers(sizes):
    with pytest.raises(InvalidParameterError, match="The 'hidden_layer_sizes' parameter"):
        _model(hidden_layer_sizes=sizes).fit(X, Y)


def test_whole_float_and_numpy_layer_sizes_are_accepted():
    model = _model(hidden_layer_sizes=(np.int64(12), 6.0)).fit(X, Y)
    widths = [layer.out_features for layer in model.net_.module_.modules() if isinstance(layer, torch.nn.Linear)]
    assert widths == [12, 6, 1]


def test_optimizer_params_that_torch_accepts_still_train():
    model = _model(optimizer="sgd", optimizer__momentum=0.9, optimizer__nesterov=True, optimizer__lr=0.05).fit(X, Y)
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.05)
    assert model.net_.optimizer_.param_groups[0]["nesterov"] is True


def test_optimizer_params_refused_only_together_are_named_together():
    # each is fine alone; torch refuses the pair with a RuntimeError
    with pytest.raises(ValueError, match="Adam cannot be built with optimizer__fused=True, optimizer__foreach=True"):
        _model(optimizer__fused=True, optimizer__foreach=True).fit(X, Y)


# -- losses that cannot train -----------------------------------------------
class _PerSampleLoss(torch.nn.Module):
    """A loss without a ``reduction`` attribute that returns one value per row."""

    def forward(self, logits, targets):
        return (logits - targets) ** 2


def test_a_torch_loss_must_return_a_scalar_whatever_it_is_called():
    with pytest.raises(ValueError, match="must return a scalar"):
        _model(loss=_PerSampleLoss()).fit(X, Y)
    model = _model(loss=torch.nn.BCEWithLogitsLoss(reduction="sum")).fit(X, Y)
    assert np.isfinite(model.history_[-1]["train_loss"])


def test_a_softmax_torch_loss_trains_multiclass_problems():
    y3 = np.arange(len(Y)) % 3
    model = _model(loss=torch.nn.CrossEntropyLoss()).fit(X, y3)
    assert model.predict_proba(X).shape == (len(Y), 3)


def _single_row_gradients(loss):
    """Gradient norms of a loss on single-row batches of each class (binary problem)."""
    loss.setup(2, 1)
    norms = []
    for label in (0, 1):
        logits = torch.tensor([0.3], requires_grad=True)
        extra = {"index": torch.tensor([0])} if loss.needs_sample_index else {}
        value = loss(logits, torch.tensor([label]), **extra)
        (grad,) = torch.autograd.grad(value, logits, allow_unused=True)
        norms.append(0.0 if grad is None else float(grad.abs().sum()))
    return norms


@pytest.mark.parametrize("name", [n for n in base_loss_names() if get_loss(n).supports_binary])
def test_needs_mixed_batches_says_which_losses_learn_nothing_from_one_class(name):
    loss = get_loss(name)
    norms = _single_row_gradients(loss)
    if loss.needs_mixed_batches:
        assert norms == [0.0, 0.0], f"{name}: single-row batches have a gradient {norms}"
    else:
        assert max(norms) > 0, f"{name}: no gradient on single-row batches, but needs_mixed_batches is False"


# -- property test over the estimator's input space ------------------------
LAYOUTS = ("c", "fortran", "flipped_rows", "flipped_columns", "strided", "read_only")


def _layout(values, layout):
    """``values`` (C-contiguous) in another memory layout, with the same logical content."""
    if layout == "fortran":
        return np.asfortranarray(values)
    if layout == "flipped_rows":
        return values[::-1].copy()[::-1]
    if layout == "flipped_columns":
        return values[:, ::-1].copy()[:, ::-1]
    if layout == "strided":  # every other column of a wider array
        wide = np.repeat(values, 2, axis=1)
        return wide[:, ::2]
    if layout == "read_only":
        values = values.copy()
        values.flags.writeable = False
    return values


@st.composite
def inputs(draw):
    n = draw(st.integers(12, 40))
    d = draw(st.integers(1, 4))
    n_classes = draw(st.sampled_from([2, 3]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64, np.bool_]))
    values = rng.normal(size=(n, d)) * (3 if dtype in (np.int64, np.bool_) else 1)
    values = (values > 0) if dtype is np.bool_ else values.astype(dtype)
    codes = np.resize(np.arange(n_classes), n)[rng.permutation(n)]  # every class present
    labels = draw(st.sampled_from([np.array([4, 7, 9]), np.array(["a", "b", "c"]), np.array([-1.0, 0.0, 2.0])]))
    scale = draw(st.sampled_from([None, 1.0, 1e-300, 1e300]))
    ratios = None if scale is None else rng.uniform(0.5, 3.0, size=n)
    return values, labels[codes], draw(st.sampled_from(LAYOUTS)), ratios, scale


@given(inputs())
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
def test_any_layout_dtype_labels_and_weight_scale_train_like_the_plain_input(case):
    values, y, layout, ratios, scale = case
    X_variant = _layout(values, layout)
    weights = None if ratios is None else ratios * scale
    variant = _model(hidden_layer_sizes=(8,), max_iter=3).fit(X_variant, y, sample_weight=weights)
    plain = _model(hidden_layer_sizes=(8,), max_iter=3).fit(np.ascontiguousarray(values), y, sample_weight=ratios)
    proba = variant.predict_proba(X_variant)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba, plain.predict_proba(np.ascontiguousarray(values)), rtol=1e-4, atol=1e-6)
    assert set(variant.predict(X_variant)) <= set(y) and variant.classes_.dtype == np.unique(y).dtype
