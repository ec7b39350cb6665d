"""The prediction path's forward function: a cached float64 copy of the network on the CPU.

A fitted network predicts on the CPU in float64, on a private copy of its
module, so that a row's prediction does not depend on the other rows of its
batch (float32 matrix products differ in the last bits with the batch's
shape) and threads predicting at once never share a module. The copy is
cached on the module while its parameters and buffers hold the same values
(compared value for value at each call), and never pickled.
"""

import copy
import threading
import weakref

import torch

__all__ = ["inference_forward"]

# float64 copies of fitted networks for CPU prediction, dropped with the network (never pickled)
_FLOAT64_COPIES = weakref.WeakKeyDictionary()
_FLOAT64_LOCK = threading.Lock()


def _float64_copy(module):
    """A float64 evaluation-mode copy of ``module``, cached on it while its parameters are unchanged.

    The copy is read-only, so threads share it. It is reused only while every parameter and
    buffer of ``module`` equals its counterpart in the copy, value for value: a float32 value
    converts to float64 exactly, so any change is seen, however it was made (training, an
    optimizer step, ``load_state_dict``, an in-place edit through ``.data``, which leaves
    torch's version counters as they were, or a replaced layer). The comparison reads each
    tensor once, far less than copying the module again.
    """
    tensors = _state_tensors(module)
    with _FLOAT64_LOCK:
        cached = _FLOAT64_COPIES.get(module)
    if cached is not None and _same_values(tensors, cached[1]):
        return cached[0]
    try:
        private = copy.deepcopy(module).double().eval()
    except Exception:  # noqa: BLE001  (a custom module that cannot be copied: evaluate it in place)
        return _InPlaceFloat64Forward(module)
    if private is module:  # a module whose __deepcopy__ returns itself: do not convert it in place
        return _InPlaceFloat64Forward(module)
    with _FLOAT64_LOCK:
        _FLOAT64_COPIES[module] = (private, _state_tensors(private))
    return private


def _state_tensors(module):
    return list(module.parameters()) + list(module.buffers())


def _same_values(tensors, copies):
    """Whether each tensor equals its float64 copy (same count, shapes and values; NaN never equals)."""
    return len(tensors) == len(copies) and all(
        t.shape == c.shape and torch.equal(t.detach(), c) for t, c in zip(tensors, copies)
    )


_IN_PLACE_LOCK = threading.Lock()


class _InPlaceFloat64Forward:
    """Float64 evaluation of a module that cannot be copied, one thread at a time.

    ``torch.func.functional_call`` swaps the float64 parameters into the module for the call,
    which is not safe from several threads at once; the lock serialises those calls.
    """

    def __init__(self, module):
        self.module = module
        self.state = {
            name: (t.double() if t.is_floating_point() else t)
            for name, t in list(module.named_parameters()) + list(module.named_buffers())
        }

    def __call__(self, X):
        with _IN_PLACE_LOCK:
            was_training = self.module.training
            self.module.eval()
            try:
                return torch.func.functional_call(self.module, self.state, (X,))
            finally:
                self.module.train(was_training)


def inference_forward(module, device):
    """The forward function used for prediction, and its input dtype.

    On the CPU the network is evaluated in float64, on a private float64
    copy of the module (see the module docstring). Accelerators keep the
    module's own precision; the module is switched to evaluation mode and
    left there (training switches it back each epoch), which is safe from
    several threads at once.

    Parameters
    ----------
    module : torch.nn.Module
        The fitted network.
    device : torch.device
        The device it lives on.

    Returns
    -------
    forward : callable
        Maps an input tensor of ``dtype`` on ``device`` to the network's outputs.
    dtype : torch.dtype
        The dtype the inputs must have.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate._inference import inference_forward
    >>> net = torch.nn.Linear(3, 1)
    >>> forward, dtype = inference_forward(net, torch.device("cpu"))
    >>> dtype
    torch.float64
    >>> forward(torch.zeros(2, 3, dtype=dtype)).dtype
    torch.float64
    >>> next(net.parameters()).dtype  # the network itself is left as it was
    torch.float32
    """
    if device.type != "cpu":
        module.eval()
        return module, next((p.dtype for p in module.parameters()), torch.float32)
    return _float64_copy(module), torch.float64
