"""ONNX export of fitted :class:`~sklearn_surrogate.SurrogateClassifier` models (needs skl2onnx).

:func:`register_onnx_converter` teaches `skl2onnx <https://onnx.ai/sklearn-onnx/>`_
how to convert a ``SurrogateClassifier``, so ``skl2onnx.to_onnx`` converts
it alone or inside a scikit-learn pipeline; :func:`to_onnx` registers and
converts in one call. The graph is written from the fitted network's
weights with standard ONNX operators (no torch at inference): the default
multi-layer perceptron (``module=None``) is supported, custom ``module=``
networks are not.

The graph computes in double precision, like ``predict_proba`` on the CPU,
and has skl2onnx's two classifier outputs: ``label`` (the original class
labels, by ``predict``'s rule) and ``probabilities`` (by default a ZipMap,
a list of ``{label: probability}`` dicts; pass
``options={"zipmap": False}`` for a plain ``(n, n_classes)`` array).

Install the extra with ``pip install "sklearn-surrogate[onnx]"``.
"""

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._classifier import SurrogateClassifier
from ._modules import MLP

__all__ = ["register_onnx_converter", "to_onnx"]

_ALIAS = "SklearnSurrogateClassifier"
_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [True, False], "output_class_labels": [False, True]}


def _skl2onnx():
    try:
        import skl2onnx
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ONNX export needs skl2onnx and onnxruntime: pip install 'sklearn-surrogate[onnx]'."
        ) from exc
    return skl2onnx


def register_onnx_converter():
    """Register the ``SurrogateClassifier`` converter with skl2onnx.

    After this call, ``skl2onnx.to_onnx`` (and ``convert_sklearn``) convert
    a fitted ``SurrogateClassifier``, alone or as the last step of a
    pipeline with scikit-learn preprocessing. Calling it again is harmless.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from sklearn_surrogate import SurrogateClassifier
    >>> from sklearn_surrogate.onnx import register_onnx_converter
    >>> X = np.random.RandomState(0).randn(60, 3)
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = SurrogateClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y)
    >>> register_onnx_converter()
    >>> graph = skl2onnx.to_onnx(clf, X[:1], options={"zipmap": False})
    >>> [output.name for output in graph.graph.output]
    ['label', 'probabilities']
    """
    skl2onnx = _skl2onnx()
    skl2onnx.update_registered_converter(SurrogateClassifier, _ALIAS, _shapes, _convert, options=_OPTIONS)


def to_onnx(model, X_sample, **kwargs):
    """Convert a fitted ``SurrogateClassifier``, or a pipeline ending in one, to ONNX.

    Registers the converter (:func:`register_onnx_converter`) and calls
    :func:`skl2onnx.to_onnx`.

    Parameters
    ----------
    model : SurrogateClassifier or sklearn.pipeline.Pipeline
        A fitted estimator, or a fitted pipeline of scikit-learn transformers
        that skl2onnx converts, ending in a ``SurrogateClassifier``.
    X_sample : ndarray of shape (n_samples, n_features)
        A few rows of input: they fix the input's type (float32 or float64)
        and width.
    **kwargs
        Passed on to :func:`skl2onnx.to_onnx`, for example
        ``options={"zipmap": False}`` or ``target_opset``.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The model; ``onnx_model.SerializeToString()`` gives the bytes to
        save as a ``.onnx`` file.

    Raises
    ------
    TypeError
        If the classifier's network is a custom ``module`` (only the default
        MLP is exported).
    NotFittedError
        If ``model`` is not fitted.
    ValueError
        If ``X_sample`` does not have the model's number of features.

    Notes
    -----
    The graph cannot raise on its input: values beyond float32's range in
    float64 input, which ``predict`` refuses, are computed in the graph's
    double precision.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_surrogate import SurrogateClassifier
    >>> from sklearn_surrogate.onnx import to_onnx
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(100, 4)
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> model = make_pipeline(
    ...     StandardScaler(), SurrogateClassifier(loss="f1", hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    ... ).fit(X, y)
    >>> onx = to_onnx(model, X[:1], options={"zipmap": False})
    >>> session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    >>> labels, proba = session.run(None, {"X": X})
    >>> bool((labels == model.predict(X)).all())
    True
    >>> bool(np.allclose(proba, model.predict_proba(X), atol=1e-6))
    True
    """
    check_is_fitted(model)  # skl2onnx's own message would not say so ("No known ways to retrieve ...")
    if X_sample is None and "initial_types" not in kwargs:  # skl2onnx would only say "Initial types must be specified"
        raise ValueError(
            "X_sample is None: pass a few rows of the data (their width and dtype set the graph's input), or "
            "initial_types=[('X', FloatTensorType([None, n_features]))]."
        )
    n_features = getattr(model, "n_features_in_", None)
    shape = np.shape(X_sample) if X_sample is not None else None
    if n_features is not None and shape is not None and len(shape) == 2 and shape[1] != n_features:
        # skl2onnx would write a graph whose input width does not match the weights, failing only when run
        raise ValueError(
            f"X_sample has {shape[1]} features, but {type(model).__name__} is expecting {n_features} features as "
            "input."
        )
    skl2onnx = _skl2onnx()
    register_onnx_converter()
    return skl2onnx.to_onnx(model, X_sample, **kwargs)


# -- the converter -------------------------------------------------------------------------


def _shapes(operator):
    """skl2onnx shape calculator: a classifier's outputs; float probabilities where a ZipMap reads them."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    calculate_linear_classifier_output_shapes(operator)
    options = operator.scope_inst.get_options(operator.raw_operator, {"zipmap": True})
    proba = operator.outputs[1]
    if options["zipmap"] is not False and isinstance(proba.type, DoubleTensorType):
        proba.type = FloatTensorType(proba.type.shape)  # ZipMap takes float tensors only


def _binary_threshold(estimator):
    """The logit above which a binary model predicts ``classes_[1]``.

    ``predict``'s rule is "positive where the probability of ``classes_[1]``
    is above ``threshold_``" (0.5 unless ``threshold`` or a ``metric`` set
    it), that is where the logit is above ``logit(threshold_)``; this is the
    one place the exported graph takes its threshold from.
    """
    threshold = float(getattr(estimator, "threshold_", 0.5))
    return float(np.log(threshold) - np.log1p(-threshold))


def _class_offsets(estimator, n_classes):
    """The per-class offsets ``predict`` adds to the logits before the arg-max (zeros unless a metric tuned them)."""
    offsets = getattr(estimator, "class_offsets_", None)
    return np.zeros(n_classes) if offsets is None else np.asarray(offsets, dtype=np.float64)


def _mlp_layers(estimator):
    """The fitted MLP as ``("linear", W, b)`` and ``("activation", module)`` steps, weights in float64."""
    module = estimator.net_.module_
    if type(module) is not MLP:
        raise TypeError(
            f"ONNX export supports the default single network (SurrogateClassifier's MLP: module=None and one "
            f"member); this model's network is a {type(module).__name__} (metric= trains an ensemble unless "
            "n_members=1). Export it with torch.onnx from net_.module_ instead, or use pickle/skops to save the "
            "whole estimator."
        )
    steps = []
    for layer in module.layers:
        if isinstance(layer, nn.Linear):
            weight = layer.weight.detach().cpu().double().numpy()
            bias = (
                layer.bias.detach().cpu().double().numpy()
                if layer.bias is not None
                else np.zeros(weight.shape[0], dtype=np.float64)
            )
            steps.append(("linear", weight, bias))
        elif isinstance(layer, nn.Dropout):
            continue  # the identity at inference
        else:
            steps.append(("activation", layer))
    return steps


def _add_activation(layer, x, scope, container, name):
    """Nodes applying ``layer`` (one of ``ACTIVATIONS``) to ``x``; returns the output name."""
    from onnx import TensorProto

    out = scope.get_unique_variable_name(name)
    if isinstance(layer, nn.ReLU):
        container.add_node("Relu", [x], [out], name=scope.get_unique_operator_name("Relu"))
    elif isinstance(layer, nn.Tanh):
        container.add_node("Tanh", [x], [out], name=scope.get_unique_operator_name("Tanh"))
    elif isinstance(layer, nn.Sigmoid):
        container.add_node("Sigmoid", [x], [out], name=scope.get_unique_operator_name("Sigmoid"))
    elif isinstance(layer, nn.Identity):
        return x
    elif isinstance(layer, nn.LeakyReLU):  # x where x > 0, else slope * x (onnxruntime has no double LeakyRelu)
        slope = scope.get_unique_variable_name("slope")
        zero = scope.get_unique_variable_name("zero")
        container.add_initializer(slope, TensorProto.DOUBLE, [], [float(layer.negative_slope)])
        container.add_initializer(zero, TensorProto.DOUBLE, [], [0.0])
        scaled = scope.get_unique_variable_name("leaky_scaled")
        positive = scope.get_unique_variable_name("leaky_positive")
        container.add_node("Mul", [x, slope], [scaled], name=scope.get_unique_operator_name("Mul"))
        container.add_node("Greater", [x, zero], [positive], name=scope.get_unique_operator_name("Greater"))
        container.add_node("Where", [positive, x, scaled], [out], name=scope.get_unique_operator_name("Where"))
    elif isinstance(layer, nn.SiLU):  # x * sigmoid(x)
        gate = scope.get_unique_variable_name("silu_gate")
        container.add_node("Sigmoid", [x], [gate], name=scope.get_unique_operator_name("Sigmoid"))
        container.add_node("Mul", [x, gate], [out], name=scope.get_unique_operator_name("Mul"))
    elif isinstance(layer, nn.GELU) and layer.approximate == "none":  # x * (1 + erf(x / sqrt(2))) / 2
        # onnxruntime has no double Erf kernel: erf alone is evaluated in float32 (error ~1e-7)
        scale = scope.get_unique_variable_name("inv_sqrt2")
        one = scope.get_unique_variable_name("one")
        half = scope.get_unique_variable_name("half")
        container.add_initializer(scale, TensorProto.DOUBLE, [], [1.0 / math.sqrt(2.0)])
        container.add_initializer(one, TensorProto.DOUBLE, [], [1.0])
        container.add_initializer(half, TensorProto.DOUBLE, [], [0.5])
        names = [scope.get_unique_variable_name(f"gelu_{i}") for i in range(6)]
        container.add_node("Mul", [x, scale], [names[0]], name=scope.get_unique_operator_name("Mul"))
        container.add_node("Cast", [names[0]], [names[4]], name=scope.get_unique_operator_name("Cast"),
                           to=TensorProto.FLOAT)
        container.add_node("Erf", [names[4]], [names[5]], name=scope.get_unique_operator_name("Erf"))
        container.add_node("Cast", [names[5]], [names[1]], name=scope.get_unique_operator_name("Cast"),
                           to=TensorProto.DOUBLE)
        container.add_node("Add", [names[1], one], [names[2]], name=scope.get_unique_operator_name("Add"))
        container.add_node("Mul", [x, names[2]], [names[3]], name=scope.get_unique_operator_name("Mul"))
        container.add_node("Mul", [names[3], half], [out], name=scope.get_unique_operator_name("Mul"))
    else:
        raise TypeError(f"ONNX export does not support the activation {type(layer).__name__}.")
    return out


def _convert(scope, operator, container):
    """skl2onnx converter: the MLP's forward pass in float64, then labels and probabilities."""
    from onnx import TensorProto
    from skl2onnx.common.data_types import guess_proto_type

    estimator = operator.raw_operator
    steps = _mlp_layers(estimator)
    classes = np.asarray(estimator.classes_)
    label_out, proba_out = operator.outputs[0], operator.outputs[1]

    x = scope.get_unique_variable_name("X64")
    container.add_node(
        "Cast", [operator.inputs[0].full_name], [x], name=scope.get_unique_operator_name("Cast"),
        to=TensorProto.DOUBLE,
    )
    for i, step in enumerate(steps):
        if step[0] == "linear":
            _, weight, bias = step
            w_name = scope.get_unique_variable_name(f"W{i}")
            b_name = scope.get_unique_variable_name(f"b{i}")
            container.add_initializer(w_name, TensorProto.DOUBLE, list(weight.shape), weight.ravel().tolist())
            container.add_initializer(b_name, TensorProto.DOUBLE, list(bias.shape), bias.ravel().tolist())
            out = scope.get_unique_variable_name(f"linear{i}")
            container.add_node("Gemm", [x, w_name, b_name], [out], name=scope.get_unique_operator_name("Gemm"),
                               transB=1)
            x = out
        else:
            x = _add_activation(step[1], x, scope, container, f"act{i}")
    logits = x

    index = scope.get_unique_variable_name("class_index")
    proba64 = scope.get_unique_variable_name("proba64")
    if len(classes) == 2:  # one logit: sigmoid, and predict's threshold rule
        positive = scope.get_unique_variable_name("p_positive")
        negative = scope.get_unique_variable_name("p_negative")
        one = scope.get_unique_variable_name("one")
        container.add_initializer(one, TensorProto.DOUBLE, [], [1.0])
        container.add_node("Sigmoid", [logits], [positive], name=scope.get_unique_operator_name("Sigmoid"))
        container.add_node("Sub", [one, positive], [negative], name=scope.get_unique_operator_name("Sub"))
        container.add_node("Concat", [negative, positive], [proba64], name=scope.get_unique_operator_name("Concat"),
                           axis=1)
        threshold = scope.get_unique_variable_name("threshold")
        container.add_initializer(threshold, TensorProto.DOUBLE, [], [float(_binary_threshold(estimator))])
        above = scope.get_unique_variable_name("above")
        container.add_node("Greater", [logits, threshold], [above], name=scope.get_unique_operator_name("Greater"))
        container.add_node("Cast", [above], [index], name=scope.get_unique_operator_name("Cast"),
                           to=TensorProto.INT64)
    else:  # one logit per class: softmax, and the largest logit
        container.add_node("Softmax", [logits], [proba64], name=scope.get_unique_operator_name("Softmax"), axis=1)
        scores = logits
        offsets = _class_offsets(estimator, len(classes))
        if np.any(offsets != 0):  # the decision rule tuned for the metric
            offsets_name = scope.get_unique_variable_name("class_offsets")
            container.add_initializer(offsets_name, TensorProto.DOUBLE, [len(classes)], offsets.tolist())
            scores = scope.get_unique_variable_name("decision")
            container.add_node("Add", [logits, offsets_name], [scores], name=scope.get_unique_operator_name("Add"))
        container.add_node("ArgMax", [scores], [index], name=scope.get_unique_operator_name("ArgMax"), axis=1,
                           keepdims=1)

    # probabilities in the output's type (the input's: float32 for float32 input, which ZipMap needs)
    container.add_node("Cast", [proba64], [proba_out.full_name], name=scope.get_unique_operator_name("Cast"),
                       to=guess_proto_type(proba_out.type))

    # labels: the original classes, gathered by index
    if all(isinstance(c, str) for c in classes.tolist()):
        table = [str(c) for c in classes]
        table_type = TensorProto.STRING
    else:
        table = [int(c) for c in classes]
        table_type = TensorProto.INT64
    labels = scope.get_unique_variable_name("classes")
    container.add_initializer(labels, table_type, [len(table)], table)
    gathered = scope.get_unique_variable_name("gathered_labels")
    container.add_node("ArrayFeatureExtractor", [labels, index], [gathered], op_domain="ai.onnx.ml",
                       name=scope.get_unique_operator_name("ArrayFeatureExtractor"))
    shape = scope.get_unique_variable_name("label_shape")
    container.add_initializer(shape, TensorProto.INT64, [1], [-1])
    container.add_node("Reshape", [gathered, shape], [label_out.full_name],
                       name=scope.get_unique_operator_name("Reshape"))
