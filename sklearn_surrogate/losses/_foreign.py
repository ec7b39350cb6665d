"""Adapter that lets a plain torch loss module stand where a :class:`SurrogateLoss` is expected."""

import inspect

from ._base import SurrogateLoss

__all__ = ["ForeignLoss"]


class ForeignLoss(SurrogateLoss):
    """Wrap a torch loss module called as ``loss(logits, targets)``.

    Binary logits (``(n,)`` or ``(n, 1)``) get float targets of the same
    shape, as :class:`torch.nn.BCEWithLogitsLoss` expects; multiclass logits
    get the class indices unchanged. Sample weights are passed on only when
    the module's ``forward`` takes a ``sample_weight`` argument
    (``accepts_sample_weight``). The wrapped module's inputs are not checked.

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

    def forward(self, logits, targets, sample_weight=None):
        """Call the wrapped module (binary targets as floats shaped like the logits)."""
        if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
            targets = targets.to(logits.dtype).reshape(logits.shape)
        if self.accepts_sample_weight and sample_weight is not None:
            return self.loss(logits, targets, sample_weight=sample_weight)
        return self.loss(logits, targets)
