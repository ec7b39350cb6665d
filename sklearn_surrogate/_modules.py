"""Network builders: the default multi-layer perceptron and custom-module handling."""

import copy
import inspect

import torch
from torch import nn

__all__ = ["MLP", "ACTIVATIONS", "build_module"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "leaky_relu": nn.LeakyReLU,
}


class MLP(nn.Module):
    """Fully connected network: ``Linear -> activation -> dropout`` blocks, then a linear head.

    Parameters
    ----------
    n_features : int
        Input width.
    n_outputs : int
        Output width: 1 (the positive-class logit) for binary problems, the
        number of classes otherwise.
    hidden_layer_sizes : tuple of int, default=(100,)
        Width of each hidden layer; ``()`` gives a linear model.
    activation : str, default="relu"
        One of ``ACTIVATIONS``.
    dropout : float, default=0.0
        Dropout probability after each hidden activation.
    """

    def __init__(self, n_features, n_outputs, hidden_layer_sizes=(100,), activation="relu", dropout=0.0):
        super().__init__()
        layers = []
        width = n_features
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_outputs))
        self.layers = nn.Sequential(*layers)
        self.n_outputs = n_outputs

    def forward(self, X):
        out = self.layers(X)
        return out.squeeze(1) if self.n_outputs == 1 else out  # a view, cheaper to differentiate than a slice


def build_module(module, n_features, n_outputs, module_params):
    """Instantiate the estimator's ``module`` parameter.

    Parameters
    ----------
    module : nn.Module subclass, callable or nn.Module instance
        A class or builder is called as ``module(n_features=..., n_outputs=...,
        **module_params)`` (either keyword may be omitted from its signature);
        an instance is deep-copied and used as it is.
    n_features, n_outputs : int
    module_params : dict
        The estimator's ``module__*`` parameters.

    Returns
    -------
    module : nn.Module
    """
    if isinstance(module, nn.Module):
        if module_params:
            raise ValueError(
                "module__* parameters need `module` to be a class or builder, not an instance; got "
                f"{sorted(module_params)} with an instance of {type(module).__name__}."
            )
        return copy_module_instance(module)
    if not callable(module):
        raise TypeError(
            f"module must be a torch.nn.Module subclass, a builder function or a module instance, got "
            f"{type(module).__name__}."
        )
    kwargs = dict(module_params)
    try:
        params = inspect.signature(module).parameters
        accepts_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
    except (TypeError, ValueError):
        params, accepts_any = {}, True
    for name, value in (("n_features", n_features), ("n_outputs", n_outputs)):
        if accepts_any or name in params:
            kwargs.setdefault(name, value)
    built = module(**kwargs)
    if not isinstance(built, nn.Module):
        raise TypeError(f"The module builder returned {type(built).__name__}, not a torch.nn.Module.")
    return built


def check_module_output(module, n_features, n_outputs, device):
    """Run two rows through ``module`` and check the output shape, with a clear error.

    Also refuses floating-point parameters or buffers other than float32
    (training feeds float32 features, which a ``.double()`` module cannot
    multiply), and names the module when the probe forward pass itself fails
    (a first layer of the wrong width, say) instead of showing torch's error
    alone.
    """
    name = type(module).__name__
    odd = sorted(
        {f"{key} ({tensor.dtype})" for key, tensor in list(module.named_parameters()) + list(module.named_buffers())
         if tensor.is_floating_point() and tensor.dtype != torch.float32}
    )
    if odd:
        raise ValueError(
            f"The module {name} has floating-point parameters or buffers that are not float32: {', '.join(odd[:3])}"
            f"{' ...' if len(odd) > 3 else ''}. Training runs in float32 (mixed_precision='bf16' for bfloat16 "
            "forward passes): build the module in float32 (without .double() or .half())."
        )
    probe = torch.zeros(2, n_features, device=device)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            out = module(probe)
    except Exception as exc:  # noqa: BLE001  (whatever the user's forward raises)
        raise ValueError(
            f"The module {name} failed on a batch of 2 rows of {n_features} features ({type(exc).__name__}: {exc}). "
            f"It must map a float32 tensor of shape (n_samples, {n_features}) to {n_outputs} output(s) per row "
            "(the builder receives n_features and n_outputs)."
        ) from exc
    finally:
        module.train(was_training)
    expected = {(2, n_outputs)} | ({(2,)} if n_outputs == 1 else set())
    if not isinstance(out, torch.Tensor) or tuple(out.shape) not in expected:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"The module's output for a batch of 2 has shape {shape}; expected (2, {n_outputs})"
            + (" or (2,) (one logit per sample for a binary problem)." if n_outputs == 1 else " (one logit per class).")
        )


def copy_module_instance(module):
    """A deep copy of a module instance, or a TypeError that says what to pass instead.

    ``fit`` copies a module instance so that the estimator is left unchanged, and ``clone``
    (hence every model-selection tool) and parallel search copy or pickle the estimator.
    """
    try:
        return copy.deepcopy(module)
    except Exception as exc:  # whatever the module holds that cannot be copied
        raise TypeError(
            f"module={type(module).__name__}(...) cannot be copied ({type(exc).__name__}: {exc}). fit copies a "
            "module instance so that the estimator is left unchanged, and model selection clones and pickles "
            "the estimator: pass the module's class or a builder function instead (called as "
            "module(n_features=..., n_outputs=..., **module__params))."
        ) from exc
