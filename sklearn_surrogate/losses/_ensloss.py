r"""EnsLoss: stochastic calibrated loss ensembles (Dai, ICML 2025).

Stochastic gradient descent only ever sees a loss through its derivative
:math:`\phi'` at the batch's margins :math:`s_i = y_i f_i`
(:math:`y_i \in \{-1, +1\}`). A margin loss is convex and classification-
calibrated when :math:`\phi'` is non-decreasing and :math:`\phi'(0) < 0`.
EnsLoss draws, at every batch, a *random* derivative sequence that satisfies
both conditions, so training averages over an ensemble of valid losses (a
regulariser against over-fitting), without ever writing a loss down:

1. draw :math:`z_1, \dots, z_n \sim N(0, 1)` and set :math:`g_j = -e^{z_j}`
   (negative), clipped below at :math:`-1`;
2. sort the :math:`g_j` increasingly and give the most negative to the
   smallest margin (so the derivative is non-decreasing in the margin:
   convexity);
3. for margins above 1 divide the derivative by the margin (a decaying tail);
4. subtract :math:`10^{-6}`, so every derivative, the one at 0 included, is
   strictly negative (calibration).

The returned value is the linearisation :math:`\sum_i w_i g_i s_i / \sum_i w_i`
with :math:`g` held constant, whose gradient with respect to :math:`f_i` is
:math:`w_i g_i y_i / \sum w`: exactly the sampled derivative. **The value is
not a progress signal** (it can be negative and jumps between batches):
monitor a validation metric instead; :class:`~sklearn_surrogate.SurrogateClassifier`
with ``early_stopping=True`` records and stops on the validation metric, never
on the loss value. (Measured on four shared datasets, a fixed budget of 200
epochs did as well as or better than validation-based stopping for this loss,
so it is not switched on by default.)

The random numbers come from torch's generator on the logits' device (seeded
by the estimator's ``random_state``); nothing is tied to a particular device.
"""

import torch

from numbers import Real

from sklearn.utils._param_validation import Interval

from ._base import SurrogateLoss

__all__ = ["EnsLoss"]


class EnsLoss(SurrogateLoss):
    r"""EnsLoss: a new random convex, calibrated margin loss at every batch (binary only).

    Gradient descent only sees a loss through its derivative :math:`\phi'` at
    the margins :math:`s_i = (2 y_i - 1) z_i`. At every call EnsLoss draws one
    negative derivative per sample, :math:`g_i = -e^{\epsilon_i}` with
    :math:`\epsilon_i \sim N(0, 1)`, clipped below at :math:`-\text{clip}`;
    gives the most negative draws to the smallest margins (a non-decreasing
    derivative: a convex loss); divides them by the margin where it exceeds 1;
    and subtracts ``offset``, so that :math:`\phi'(0) < 0` (calibration). It
    returns the linearisation :math:`\sum_i w_i g_i s_i / \sum_i w_i` (with
    :math:`g` held constant), whose gradient is the sampled derivative.

    The value is no progress signal (it can be negative and jumps between
    batches): judge training by a validation metric, which
    :class:`~sklearn_surrogate.SurrogateClassifier` watches with
    ``early_stopping=True``. The draws use torch's global random generator,
    which the estimator seeds from its ``random_state``.

    Parameters
    ----------
    clip : float, default=1.0
        Lower bound :math:`-\text{clip}` of the sampled derivatives.
    offset : float, default=1e-6
        Subtracted from every derivative so that :math:`\phi'(0) < 0`.

    References
    ----------
    .. [1] B. Dai. "EnsLoss: Stochastic Calibrated Loss Ensembles for
       Preventing Overfitting in Classification." ICML 2025
       (arXiv:2409.00908).

    Examples
    --------
    The value is random, but the gradient always pushes the logits of the
    positives up and those of the negatives down:

    >>> import torch
    >>> from sklearn_surrogate.losses import EnsLoss
    >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0], requires_grad=True)
    >>> targets = torch.tensor([1, 0, 0, 0])
    >>> EnsLoss()(logits, targets).backward()
    >>> logits.grad.sign().tolist()
    [-1.0, 1.0, 1.0, 1.0]
    """

    target_metric = "accuracy"
    supports_multiclass = False
    value_tracks_progress = False

    _parameter_constraints = {"clip": [Interval(Real, 0, None, closed="neither")], "offset": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, clip=1.0, offset=1e-6):
        super().__init__()
        self.clip = clip
        self.offset = offset

    def _per_sample(self, logits, targets):
        r"""The linearised loss of each sample, :math:`g_i s_i`, for the derivatives :math:`g` drawn for this call.

        Reduced to :math:`\sum_i w_i g_i s_i / \sum_i w_i`.
        """
        signs = 2.0 * targets.to(logits.dtype) - 1.0
        margins = signs * logits
        with torch.no_grad():
            draws = -torch.exp(torch.randn(margins.shape, dtype=logits.dtype, device=logits.device))
            draws = torch.sort(draws.clamp_min(-float(self.clip))).values
            derivative = torch.empty_like(draws)
            derivative[torch.argsort(margins)] = draws
            tail = margins > 1.0
            derivative = torch.where(tail, derivative / margins.clamp_min(1.0), derivative)
            derivative = derivative - float(self.offset)
        return derivative * margins
