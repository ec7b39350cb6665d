"""Saving and loading learned surrogates without pickle.

A surrogate is stored as one `safetensors <https://huggingface.co/docs/safetensors>`_
file: the network's weights plus string metadata (format version, metric and
its options, architecture and its constructor arguments, the class counts it was learned
for, the seed and the held-out Spearman). Loading never executes code from the
file: a malformed or tampered file raises ``ValueError``.
"""

import json
import math
import os
from importlib import resources
from numbers import Integral, Real

import torch

from ..losses._base import SurrogateLoss
from ._metrics import BUILTIN_METRICS, SCORER_METRICS, metric_kinds, resolve_metric
from ._networks import ARCHITECTURES, architecture_of, build_surrogate, check_architecture_params

__all__ = ["read_surrogate", "save_surrogate", "shipped_surrogate_path", "shipped_surrogates"]

FORMAT = "sklearn_surrogate.reloss"
FORMAT_VERSION = "1"
SHIPPED_METRICS = {  # metric -> class counts the shipped surrogate is for ("multiclass": any K >= 3)
    "f1": "binary",
    "roc_auc": "binary",
    "balanced_accuracy": "binary",
    "accuracy": "binary",
    "mcc": "binary",
    "macro_f1": "multiclass",
    "recall_at_precision": "binary",
}

#: the operating point of the shipped surrogates of metrics with options (their ``metric_params``)
SHIPPED_METRIC_PARAMS = {"recall_at_precision": {"min_precision": 0.8}}


#: metadata fields written by save_surrogate and checked by read_surrogate (other keys are free-form notes)
RESERVED_FIELDS = (
    "format", "format_version", "architecture", "config", "trained_classes", "metric", "builtin_metric",
    "held_out_spearman", "n_samples", "steps", "gradient_penalty", "random_state", "package_version", "set_groups",
    "metric_params",
)


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


# optional scalar fields: (test of the decoded JSON value, what is allowed)
_SCALAR_FIELDS = {
    "held_out_spearman": (lambda v: _is_real(v) and -1.0 <= v <= 1.0, "a number in [-1, 1]"),
    "n_samples": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "steps": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "gradient_penalty": (lambda v: _is_real(v) and v >= 0, "a finite number >= 0"),
    "random_state": (lambda v: v is None or (_is_int(v) and v >= 0), "an integer >= 0 or null"),
    "set_groups": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
}


def _check_metadata(meta, subject):
    """Validate every reserved metadata field of a surrogate file.

    ``subject`` begins the messages (e.g. ``"The surrogate file 'x.safetensors'"``).
    Returns ``(architecture, config, trained_classes, builtin, metric_params)``.
    """

    def invalid(field, allowed):
        shown = meta.get(field)
        return ValueError(f"{subject} has an invalid metadata field {field!r}: {shown!r}; it must be {allowed}.")

    def decode(field, default=None):
        if field not in meta:
            if default is None:
                raise ValueError(f"{subject} lacks the metadata field {field!r}.")
            return json.loads(default)  # the default is JSON text too
        try:
            return json.loads(meta[field])
        except (TypeError, ValueError):
            raise invalid(field, "valid JSON") from None

    architecture = meta.get("architecture")
    if architecture not in ARCHITECTURES:
        raise invalid("architecture", f"one of {sorted(ARCHITECTURES)}")
    config = decode("config")
    try:
        config = check_architecture_params(architecture, config, name="config")
    except (TypeError, ValueError) as exc:
        raise invalid("config", f"a JSON object of the network's arguments ({str(exc).rstrip('.')})") from None
    trained = decode("trained_classes")
    if not (isinstance(trained, list) and all(_is_int(k) and k >= 2 for k in trained)
            and len(set(trained)) == len(trained) and not (2 in trained and len(trained) > 1)):
        raise invalid("trained_classes", "a JSON list of distinct class counts >= 2 (empty: unknown), not mixing 2 "
                                         "with multiclass counts")
    builtin = decode("builtin_metric", "false")
    if not isinstance(builtin, bool):
        raise invalid("builtin_metric", "true or false")
    metric = meta.get("metric")
    if not isinstance(metric, str):
        raise ValueError(f"{subject} lacks the metadata field 'metric'.")
    params = decode("metric_params", "{}")
    if not isinstance(params, dict):
        raise invalid("metric_params", "a JSON object")
    if builtin:
        known = sorted([*BUILTIN_METRICS, *SCORER_METRICS])
        if metric not in known:
            raise invalid("metric", f"one of the built-in metrics {known} when 'builtin_metric' is true")
        binary, multiclass = metric_kinds(metric)
        if (2 in trained and not binary) or (any(k > 2 for k in trained) and not multiclass):
            counts = "[2]" if binary else "counts >= 3"
            raise invalid("trained_classes", f"class counts for which the metric {metric!r} is defined ({counts})")
        try:  # the scorer's checks: the metric's own options, each valid, none missing
            resolve_metric(metric, list(trained) or (2 if binary else 3), metric_params=params)
        except (TypeError, ValueError) as exc:
            raise invalid("metric_params", f"the options of {metric!r} ({str(exc).rstrip('.')})") from None
    elif params:
        raise invalid("metric_params", "empty unless the metric is a built-in one")
    for field, (test, allowed) in _SCALAR_FIELDS.items():
        if field in meta and not test(decode(field)):
            raise invalid(field, allowed)
    return architecture, config, tuple(trained), builtin, params


def save_surrogate(loss, path, **metadata):
    """Save a learned surrogate (a :class:`ReLoss` or its network) to a safetensors file.

    The file holds the network's weights (float32) and, as string metadata,
    the version of sklearn_surrogate that saved it (``package_version``),
    the architecture and its constructor arguments, the class counts it was
    learned for, the metric and its options (``metric_params``, the
    operating point of a metric such as ``"recall_at_precision"``), and the
    scalar training information of ``loss.info_`` (held-out Spearman,
    samples per set, steps, gradient penalty, seed). Read it back with :func:`load_surrogate`.

    Parameters
    ----------
    loss : ReLoss or torch.nn.Module
        The loss returned by :func:`learn_surrogate` (or any :class:`ReLoss`
        holding a ``surrogate`` network), or a ``SetSurrogate`` or
        ``PerSampleSurrogate`` network (``sklearn_surrogate.learned._networks``) itself.
    path : str or path-like
        The file to write (conventionally ``*.safetensors``); overwritten if
        it exists.
    **metadata
        Extra metadata to store, converted with ``str`` (the scalar
        ``info_`` entries of a ``ReLoss`` are stored automatically). The
        names the format uses (``metric``, ``config``, ``trained_classes``...,
        ``RESERVED_FIELDS`` in this module) are refused.

    Raises
    ------
    TypeError
        If the network is not one of the two surrogate architectures (for
        example a ``ReLoss`` that uses a shipped surrogate, whose
        ``surrogate`` is None).
    ValueError
        If ``metadata`` uses a reserved name, or the surrogate's own
        metadata would not load back (for example a ``ReLoss`` whose
        ``metric`` is not a built-in metric): nothing is written then.

    See Also
    --------
    load_surrogate : Read the file back as a frozen ``ReLoss``.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> from sklearn_surrogate.learned import load_surrogate, save_surrogate
    >>> from sklearn_surrogate.learned._networks import build_surrogate
    >>> network = build_surrogate("per_sample", width=8)  # or learn_surrogate(...)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "my_metric.safetensors")
    ...     save_surrogate(network, path, note="an untrained example")
    ...     loss = load_surrogate(path)
    >>> loss.architecture, loss.metadata_["config"], loss.metadata_["note"]
    ('per_sample', '{"width": 8}', 'an untrained example')
    """
    from safetensors.torch import save_file

    from .. import __version__

    reserved = sorted(set(map(str, metadata)) & set(RESERVED_FIELDS))
    if reserved:
        raise ValueError(f"save_surrogate: the metadata name(s) {reserved} are reserved by the file format; "
                         "store the information under other names.")
    is_loss = isinstance(loss, SurrogateLoss)  # a ReLoss (the only loss holding a surrogate network)
    network = getattr(loss, "surrogate", loss) if is_loss else loss
    architecture = architecture_of(network)
    if architecture is None:
        raise TypeError(f"Cannot save a surrogate network of type {type(network).__name__}.")
    info = dict(getattr(loss, "info_", {}) or {})
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": architecture,
        "config": json.dumps(network.config()),
        "trained_classes": json.dumps(list(getattr(network, "trained_classes", ()) or ())),
        "metric": str(getattr(loss, "metric", None) or info.get("metric", "")),
        "builtin_metric": json.dumps(is_loss and getattr(loss, "metric", None) is not None),
        "metric_params": json.dumps(loss._metric_options() if is_loss and getattr(loss, "metric", None) else {}),
        "package_version": __version__,  # informative: compatibility is the format version's job
    }
    for key in ("held_out_spearman", "n_samples", "steps", "gradient_penalty", "random_state", "set_groups"):
        if key in info:
            meta[key] = json.dumps(info[key])
    meta.update({str(k): str(v) for k, v in metadata.items()})
    _check_metadata(meta, f"The surrogate to save to {os.fspath(path)!r}")  # never write a file that cannot load
    tensors = {name: t.detach().to("cpu", torch.float32).contiguous() for name, t in network.state_dict().items()}
    save_file(tensors, os.fspath(path), metadata=meta)


def _read(path):
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(os.fspath(path), framework="pt") as handle:
            meta = dict(handle.metadata() or {})
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{os.fspath(path)!r} is not a valid surrogate file: {exc}") from exc
    return meta, tensors


def read_surrogate(path):
    """Read a file written by :func:`save_surrogate`: the frozen network and the file's metadata.

    :func:`~sklearn_surrogate.learned.load_surrogate` wraps the network in a
    :class:`~sklearn_surrogate.learned.ReLoss`.

    Every metadata field of the format is validated; nothing is coerced.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_surrogate`.

    Returns
    -------
    network : torch.nn.Module
        Frozen (no gradient, evaluation mode), with ``trained_classes`` as stored.
    meta : dict of str
        The file's metadata.
    builtin : bool
        Whether the stored ``metric`` names a built-in metric.

    Raises
    ------
    ValueError
        If the file is not a surrogate file of this format, a metadata field
        is missing or invalid (the message names the file, the field and
        what is allowed), or the weights do not fit the declared network or
        are not finite.
    """
    meta, tensors = _read(path)
    where = os.fspath(path)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{where!r} is not a sklearn_surrogate surrogate file (format {meta.get('format')!r}).")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{where!r} has surrogate format version {meta.get('format_version')!r}; this version of "
            f"sklearn_surrogate reads version {FORMAT_VERSION}."
        )
    architecture, config, trained, builtin, _ = _check_metadata(meta, f"The surrogate file {where!r}")
    try:
        network = build_surrogate(architecture, **config)
        network.load_state_dict(tensors, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"{where!r} holds an invalid surrogate: {exc}") from exc
    if not all(torch.isfinite(t).all() for t in tensors.values()):
        raise ValueError(f"{where!r} holds non-finite surrogate weights.")
    network.trained_classes = trained
    network.eval()
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    return network, meta, builtin


def shipped_surrogate_path(metric, architecture="set"):
    """Path of the shipped surrogate file for ``metric`` and ``architecture``.

    Parameters
    ----------
    metric : str
        A shipped metric (a key of ``SHIPPED_METRICS``).
    architecture : {"set", "per_sample"}, default="set"
        The network architecture.

    Returns
    -------
    path : importlib.resources.abc.Traversable
        ``weights/<metric>-<architecture>.safetensors`` in the package (it
        is not checked to exist).
    """
    return resources.files("sklearn_surrogate.learned") / "weights" / f"{metric}-{architecture}.safetensors"


def shipped_surrogates():
    """The shipped surrogates and their metadata.

    Every shipped metric has a ``"set"`` and a ``"per_sample"`` surrogate
    (see :class:`ReLoss`'s ``architecture``); they are what
    ``ReLoss(metric=...)`` uses without a ``surrogate``.

    Returns
    -------
    table : list of dict
        One row per file, sorted by file name, with keys ``metric``,
        ``architecture``, ``n_classes`` (the class counts it was learned
        for), ``metric_params`` (the operating point of a metric with
        options, else empty), ``held_out_spearman`` (rounded to 4 decimals,
        or None), ``random_state`` and ``steps``.

    Examples
    --------
    >>> from sklearn_surrogate.learned import shipped_surrogates
    >>> rows = shipped_surrogates()
    >>> sorted({row["metric"] for row in rows})
    ['accuracy', 'balanced_accuracy', 'f1', 'macro_f1', 'mcc', 'recall_at_precision', 'roc_auc']
    >>> [row["metric_params"] for row in rows if row["metric"] == "recall_at_precision"]
    [{'min_precision': 0.8}, {'min_precision': 0.8}]
    >>> [(row["architecture"], row["n_classes"]) for row in rows if row["metric"] == "macro_f1"]
    [('per_sample', [3, 4, 5, 6, 8, 10]), ('set', [3, 4, 5, 6, 8, 10])]
    """
    rows = []
    folder = resources.files("sklearn_surrogate.learned") / "weights"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".safetensors"):
            meta, _ = _read(entry)
            *_, params = _check_metadata(meta, f"The shipped surrogate file {entry.name!r}")
            spearman = float(json.loads(meta.get("held_out_spearman", "nan")))
            rows.append({
                "metric": meta.get("metric"),
                "architecture": meta.get("architecture"),
                "n_classes": json.loads(meta.get("trained_classes", "[]")),
                "metric_params": params,
                "held_out_spearman": None if math.isnan(spearman) else round(spearman, 4),
                "random_state": json.loads(meta.get("random_state", "null")),
                "steps": json.loads(meta.get("steps", "null")),
            })
    return rows
