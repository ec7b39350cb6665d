"""The portable form of a fitted estimator's network, used by every way of saving it.

A fitted :class:`~sklearn_surrogate.SurrogateClassifier` holds torch objects
(the skorch net, its module, loss and optimizer, the device). Pickling them
as they are ties a file to torch's own pickling, and formats that refuse
arbitrary objects (``skops.io``) cannot store them at all. So the estimator's
``__getstate__`` replaces them by a *record* made of plain values only:

* the tensors of the network, the loss and the optimizer, as one
  safetensors blob (raw tensor data with a JSON header: loading it runs no
  code, unlike a pickle);
* the structure around those tensors (state-dict keys, the optimizer's step
  counts and settings), as dicts, lists and numbers that point into the blob;
* the device as a string, the net's history (as JSON), and the
  estimator's parameters at the last ``fit`` (which built the network).

``__setstate__`` rebuilds the net with the estimator's own builders from
those parameters and loads the tensors into it. pickle, joblib,
``copy.deepcopy``, cloudpickle and ``skops.io`` all go through this one path.
"""

import copy
import json
import warnings

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from skorch.history import History

from ._torch_utils import resolve_device

__all__ = ["net_record", "restore_net"]

FORMAT = 1
_TENSOR = "__tensor__"  # marks a place in the structure whose tensor is in the blob
_PLAIN = (type(None), bool, int, float, str)


class _NotPortable(TypeError):
    """A state holds a value that is neither a tensor nor a plain value."""


def _split(value, prefix, tensors):
    """``value`` with each tensor replaced by a marker; the tensors go into ``tensors``."""
    if isinstance(value, torch.Tensor):
        tensors[prefix] = value.detach().cpu().contiguous()  # no copy for a CPU tensor that is already
        return {_TENSOR: prefix}
    if isinstance(value, dict):
        if any(not isinstance(k, (str, int)) or isinstance(k, bool) for k in value):
            raise _NotPortable(f"{prefix} has keys that are neither strings nor integers")
        return {k: _split(v, f"{prefix}.{k}", tensors) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_split(v, f"{prefix}.{i}", tensors) for i, v in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, _PLAIN):
        return value
    raise _NotPortable(f"{prefix} holds a {type(value).__name__}")


def _blob(tensors):
    """The tensors as safetensors bytes; tensors that share memory (tied weights) are saved as copies."""
    seen = set()
    for key, tensor in tensors.items():
        pointer = tensor.untyped_storage().data_ptr()
        if pointer in seen and tensor.numel():
            tensors[key] = tensor.clone()
        seen.add(pointer)
    return save_tensors(tensors)


def _join(value, tensors):
    """Inverse of :func:`_split`: put the (CPU) tensors back.

    ``load_state_dict`` moves them to their parameters' device (and keeps the
    optimizer's step counts on the CPU, where torch wants them).
    """
    if isinstance(value, dict):
        if set(value) == {_TENSOR}:
            return tensors[value[_TENSOR]]
        return {k: _join(v, tensors) for k, v in value.items()}
    if isinstance(value, list):
        return [_join(v, tensors) for v in value]
    if isinstance(value, tuple):
        return tuple(_join(v, tensors) for v in value)
    return value


def net_record(estimator):
    """The portable record of a fitted estimator's net (plain values and one bytes blob).

    Parameters
    ----------
    estimator : SurrogateClassifier
        A fitted estimator (with ``net_``).

    Returns
    -------
    record : dict
    """
    net = estimator.net_
    tensors = {}
    module = _split(net.module_.state_dict(), "module", tensors)
    criterion = _split(net.criterion_.state_dict(), "criterion", tensors)
    try:
        optimizer = _split(net.optimizer_.state_dict(), "optimizer", tensors)
    except _NotPortable as exc:  # an exotic optimizer: partial_fit after loading starts it afresh
        tensors = {k: v for k, v in tensors.items() if not k.startswith("optimizer")}
        optimizer = {"unsaved": f"{type(net.optimizer_).__name__}: {exc}"}
    built = estimator.__dict__.get("_fit_build")
    if built is None:  # fitted before the build record existed (an old pickle loaded, then saved again):
        # the current parameters, and the per-sample state's length as the number of training rows
        sizes = [b.shape[0] for b in net.criterion_.buffers() if b.ndim == 1]
        built = {"params": estimator.get_params(deep=False), "n_samples": max(sizes, default=0)}
    return {
        "format": FORMAT,
        "device": str(net.device),
        "tensors": _blob(tensors),
        "module": module,
        "criterion": criterion,
        "optimizer": optimizer,
        "history": _plain_history(net.history),
        "max_epochs": int(net.max_epochs),
        "shuffle_seed": int(net.shuffle_seed),
        # the user's callbacks took part in training only (the net is rebuilt without them, see restore_net):
        # not recorded, so that one that cannot be pickled does not block saving the model once it is unset
        "params": {**built["params"], "callbacks": None},
        "n_samples": int(built["n_samples"]),
    }


def _plain_history(history):
    """skorch's History as a JSON string, or a list of plain dicts if a callback recorded other values.

    One string rather than many small dicts keeps a skops file small (it stores each dict as a node).
    """
    rows = []
    for row in history:
        row = dict(row)
        if "batches" in row:
            row["batches"] = [dict(batch) for batch in row["batches"]]
        rows.append(row)
    try:
        return json.dumps(rows)
    except (TypeError, ValueError):
        return rows


def _history_rows(saved):
    return json.loads(saved) if isinstance(saved, str) else copy.deepcopy(saved)


def _target_device(saved):
    """Where to load a net saved on ``saved``: there if it exists here, else the CPU (with a warning)."""
    try:
        return resolve_device(saved)
    except ValueError:
        warnings.warn(
            f"The model was saved on device {saved!r}, which is not available here (no CUDA or other "
            "accelerator); it is loaded on the CPU. Pass device='cpu' or 'auto' before training it further.",
            UserWarning,
            stacklevel=4,
        )
        return torch.device("cpu")


def restore_net(estimator, record):
    """Rebuild ``net_``, ``loss_`` and ``device_`` of ``estimator`` from :func:`net_record`'s record.

    The network, the loss and the net are built by the estimator's own
    builders from the parameters of the last fit (user callbacks and
    verbosity aside: loading must not open logs or print), then the saved
    tensors are loaded into them.
    """
    if record.get("format") != FORMAT:
        raise ValueError(
            f"This model was saved in persistence format {record.get('format')!r}; this version of "
            f"sklearn_surrogate reads format {FORMAT}. Load it with the version that saved it."
        )
    device = _target_device(record["device"])
    builder = object.__new__(type(estimator))
    builder.__dict__.update(estimator.__dict__)
    for key in builder._extra_params():  # routed parameters set after the fit did not build this net
        if key not in record["params"]:
            del builder.__dict__[key]
    builder.__dict__.update(builder._current_names(record["params"]))  # the fit's parameters, without warnings
    builder.callbacks = None
    builder.verbose = 0
    builder.device_ = device
    if estimator.__dict__.get("fallback_"):  # the fit fell back: its loss was the fallback (see _classifier)
        builder._refitting_with_fallback = True

    with torch.random.fork_rng(devices=builder._rng_devices()):  # building draws initial weights
        module = builder._build_module(estimator.n_features_in_, builder._n_outputs())
        loss = builder._make_loss(sample_weighted=False)  # the classifier's _resolve_loss
        builder._setup_loss(loss, record["n_samples"])
        builder.loss_ = loss
        net = builder._build_net(
            module, loss, record["shuffle_seed"], None, None, None, None, max_epochs=record["max_epochs"]
        )
        net.initialize()

    tensors = load_tensors(record["tensors"])
    for part, target in (("module", net.module_), ("criterion", net.criterion_)):
        try:
            target.load_state_dict(_join(record[part], tensors))
        except RuntimeError as exc:
            raise ValueError(
                f"The saved {part} does not fit the one the estimator's parameters build ({exc}). Was it saved "
                "with another version of the package or of the custom module/loss code?"
            ) from None
    optimizer = record["optimizer"]
    if "unsaved" in optimizer:
        warnings.warn(
            f"The optimizer state ({optimizer['unsaved']}) was not saved: partial_fit and warm starts "
            "continue with a fresh optimizer.",
            UserWarning,
            stacklevel=4,
        )
    else:
        net.optimizer_.load_state_dict(_join(optimizer, tensors))
    net.history_ = History(_history_rows(record["history"]))

    estimator.net_ = net
    estimator.loss_ = net.criterion_
    estimator.device_ = device
