"""Adapter that lets a plain torch loss module stand where a :class:`SurrogateLoss` is expected."""

import inspect

import torch
from torch import nn

from ._base import SurrogateLoss

__all__ = ["ForeignLoss"]


class ForeignLoss(SurrogateLoss):
    """Wrap a torch loss module called as ``loss(logits, targets)``.

    Binary logits (``(n,)`` or ``(n, 1)``) get float targets of the same
    shape, as :class:`torch.nn.BCEWithLogitsLoss` expects; multiclass logits
    get the class indices unchanged. Sample weights are passed on only when
    the module's ``forward`` takes a ``sample_weight`` argument
    (``accepts_sample_weight``). The wrapped module's inputs are not checked
    per batch, but :meth:`setup` (called at the start of a fit) refuses a
    module that cannot train: one that returns a loss per sample instead of a
    scalar (``reduction="none"``), or a softmax loss given one logit per row.

    Parameters
    ----------
    loss : torch.nn.Module
        The module to wrap.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses._foreign import ForeignLoss
    >>> loss = ForeignLoss(torch.nn.BCEWithLogitsLoss())
    >>> loss.accepts_sample_weight
    False
    >>> round(loss(torch.tensor([2.0, -1.0]), torch.tensor([1, 0])).item(), 4)
    0.2201
    """

    def __init__(self, loss):
        super().__init__()
        self.loss = loss
        self.accepts_sample_weight = "sample_weight" in inspect.signature(loss.forward).parameters

    def setup(self, n_classes, n_samples):
        """Check, on a probe batch, that the module can train a problem of ``n_classes`` classes.

        Raises
        ------
        ValueError
            For a softmax loss (:class:`torch.nn.CrossEntropyLoss`,
            :class:`torch.nn.NLLLoss`) on a binary problem, whose one logit per
            row it would take as the classes of one sample, and for a module
            that does not return a scalar.
        """
        super().setup(n_classes, n_samples)
        name = type(self.loss).__name__
        if n_classes == 2 and isinstance(self.loss, (nn.CrossEntropyLoss, nn.NLLLoss)):
            raise ValueError(
                f"loss={name}() is a softmax over classes, but a binary problem has one logit per row (of "
                f"classes_[1]), so it would take a batch's logits as the classes of one sample: a one-logit softmax "
                "learns nothing sound. Use loss='cross_entropy' or torch.nn.BCEWithLogitsLoss()."
            )
        reduction = getattr(self.loss, "reduction", None)
        value = torch.zeros(2) if reduction == "none" else self._probe(n_classes)
        if value is not None and (not isinstance(value, torch.Tensor) or value.ndim != 0):
            got = f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__
            raise ValueError(
                f"loss={name}(...) must return a scalar (one number per batch) to train, but it returned {got} on "
                f"a batch of 2 rows: use reduction='mean' or reduction='sum'."
            )

    def _probe(self, n_classes):
        """The module's value on two rows of zero logits (classes 0 and 1); None if it fails there.

        A module that fails on this probe (it expects other shapes, a device of
        its own...) is left for training to judge.
        """
        buffer = next(iter(self.loss.buffers()), None)
        device = buffer.device if buffer is not None else None
        shape = (2,) if n_classes == 2 else (2, n_classes)
        try:
            with torch.no_grad():
                return self(torch.zeros(shape, device=device), torch.tensor([0, 1], device=device))
        except Exception:  # noqa: BLE001  (any failure: no verdict)
            return None

    def forward(self, logits, targets, sample_weight=None):
        """Call the wrapped module (binary targets as floats shaped like the logits)."""
        if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
            targets = targets.to(logits.dtype).reshape(logits.shape)
        if self.accepts_sample_weight and sample_weight is not None:
            return self.loss(logits, targets, sample_weight=sample_weight)
        return self.loss(logits, targets)
