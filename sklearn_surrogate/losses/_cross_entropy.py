r"""Cross-entropy and its relatives: comp-sum (incl. GCE and MAE), focal loss, Z-loss.

All of them are functions of the logits of one sample; binary problems (one
logit :math:`z`) are handled as two classes with logits :math:`(0, z)`, so the
softmax probability of the positive class is :math:`\sigma(z)`.
"""

import numbers
from numbers import Real

import numpy as np

import torch
import torch.nn.functional as F

from sklearn.utils._param_validation import Interval

from ._base import SurrogateLoss

__all__ = ["CompSumLoss", "CrossEntropyLoss", "FocalLoss", "ZLoss"]

# exp(x) is continued linearly beyond this exponent, so losses that grow
# exponentially in the logits stay finite (and keep a gradient) at any logit
_EXP_CAP = 30.0


def _smoothed_binary_targets(targets, logits, smoothing):
    """Binary targets as probabilities of the positive class, ``y (1 - eps) + eps / 2``, in the logits' dtype."""
    targets = targets.to(logits.dtype)
    return targets if smoothing == 0 else targets * (1.0 - smoothing) + smoothing / 2


def per_sample_cross_entropy(logits, targets, label_smoothing=0.0):
    """Unreduced cross-entropy: binary from one logit per sample (softplus form), else softmax.

    ``label_smoothing`` mixes the one-hot target with the uniform distribution over the classes (two for a
    binary problem), as :func:`torch.nn.functional.cross_entropy` does.
    """
    if logits.ndim == 1:
        return F.binary_cross_entropy_with_logits(
            logits, _smoothed_binary_targets(targets, logits, label_smoothing), reduction="none"
        )
    return F.cross_entropy(logits, targets, reduction="none", label_smoothing=label_smoothing)


def _capped_exp(x, cap=_EXP_CAP):
    """``exp(x)`` for ``x <= cap``, continued by its tangent line beyond (finite, C1)."""
    capped = torch.clamp(x, max=cap)
    return torch.exp(capped) * (1.0 + (x - capped))


def _check_class_weights(loss, name, value, n_classes=None):
    """Check a per-class weight sequence (a hyper-parameter ``name`` of ``loss``); return it as floats.

    The weights must be finite and non-negative, not all zero, one per class
    when ``n_classes`` is known: a negative or NaN weight would make the loss
    unbounded below or NaN during training.
    """
    where = f"{type(loss).__name__}: {name}={value!r} (loss__{name} in an estimator)"
    try:
        weights = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where} must be a sequence of numbers, one weight per class.") from None
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"{where} must be a sequence of numbers, one weight per class.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError(f"{where} must hold finite, non-negative weights, at least one of them positive.")
    if n_classes is not None and weights.size != n_classes:
        raise ValueError(f"{where} has {weights.size} entries, expected one per class ({n_classes}).")
    return weights


class CrossEntropyLoss(SurrogateLoss):
    r"""Cross-entropy (log loss) for binary and multiclass problems.

    For a binary problem with positive-class logit :math:`z` and label
    :math:`y \in \{0, 1\}` the per-sample loss is the binary cross-entropy

    .. math:: \ell(z, y) = -y \log \sigma(z) - (1 - y) \log(1 - \sigma(z)),

    computed from the logit (``softplus`` form), so it stays finite for any
    logit. For ``K`` classes it is :math:`-\log \operatorname{softmax}(z)_y`.

    The batch loss is the weighted mean
    :math:`\sum_i c_{y_i} w_i \ell_i / \sum_i c_{y_i} w_i`, where :math:`w_i`
    are the sample weights and :math:`c_k` the class weights.

    With label smoothing :math:`\varepsilon` (Szegedy et al., 2016) the target
    is the mixture :math:`(1 - \varepsilon)\,\mathbb{1}_y + \varepsilon / K`
    of the one-hot label and the uniform distribution over the :math:`K`
    classes, and the loss its cross-entropy with the softmax,
    :math:`-\sum_k q_k \log \operatorname{softmax}(z)_k`; a binary problem
    counts as :math:`K = 2` (target :math:`y (1 - \varepsilon) + \varepsilon / 2`
    for :math:`\sigma(z)`). The loss then no longer falls towards 0 as the
    logits grow: its minimum over the logits is at probability
    :math:`1 - \varepsilon (K - 1) / K` for the labelled class, which keeps a
    network from growing its logits without bound on data it already fits.

    Parameters
    ----------
    class_weight : sequence of float or None, default=None
        One weight per class (index order). None weighs classes equally. The
        estimator's own ``class_weight`` parameter, which turns class weights
        into sample weights, works with every loss; this one is specific to
        cross-entropy.
    label_smoothing : float in [0, 1), default=0.0
        The weight :math:`\varepsilon` of the uniform distribution in the
        target (0: the one-hot label, plain cross-entropy). RealMLP
        (Holzmüller et al., 2024) trains classifiers with 0.1.

    Notes
    -----
    Cross-entropy targets no particular metric (:attr:`target_metric` is
    None): a classifier trained with it is scored on accuracy.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import CrossEntropyLoss
    >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0])  # binary: one logit per sample
    >>> targets = torch.tensor([1, 0, 0, 0])
    >>> loss = CrossEntropyLoss()
    >>> round(loss(logits, targets).item(), 4)
    0.3657
    >>> round(CrossEntropyLoss(class_weight=[1.0, 3.0])(logits, targets).item(), 4)
    0.2861

    Three classes, one logit per class:

    >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.0, 0.0], [-1.0, 0.0, 3.0]])
    >>> round(loss(logits, torch.tensor([0, 2, 2])).item(), 4)
    0.6387
    >>> round(CrossEntropyLoss(label_smoothing=0.1)(logits, torch.tensor([0, 2, 2])).item(), 4)
    0.7553

    References
    ----------
    .. [1] C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna. "Rethinking
       the Inception Architecture for Computer Vision." CVPR 2016 (label smoothing).
    """

    target_metric = None
    _parameter_constraints = {"label_smoothing": [Interval(Real, 0, 1, closed="left")]}

    def __init__(self, class_weight=None, label_smoothing=0.0):
        super().__init__()
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    def _validate_hyperparameters(self):
        super()._validate_hyperparameters()
        if self.class_weight is not None:
            _check_class_weights(self, "class_weight", self.class_weight)

    def setup(self, n_classes, n_samples):
        """Validate the hyper-parameters and the number of class weights (one per class).

        Parameters
        ----------
        n_classes : int
            Number of classes (2 for binary problems).
        n_samples : int
            Number of training samples.

        Raises
        ------
        ValueError
            If a weight is negative or not finite, or their number is not one per class.
        """
        super().setup(n_classes, n_samples)
        if self.class_weight is not None:
            _check_class_weights(self, "class_weight", self.class_weight, n_classes)

    def _per_sample(self, logits, targets):
        return per_sample_cross_entropy(logits, targets, float(self.label_smoothing))

    def _batch_loss(self, logits, targets, sample_weight):
        """The (class- and sample-) weighted mean cross-entropy; the unweighted mean in one fused operation."""
        if self.class_weight is None and sample_weight is None and logits.shape[0]:
            smoothing = float(self.label_smoothing)
            if logits.ndim == 1:
                return F.binary_cross_entropy_with_logits(logits, _smoothed_binary_targets(targets, logits, smoothing))
            return F.cross_entropy(logits, targets, label_smoothing=smoothing)
        values = self._per_sample(logits, targets)
        if self.class_weight is not None:
            n_classes = 2 if logits.ndim == 1 else logits.shape[1]
            class_weight = torch.as_tensor(self.class_weight, dtype=logits.dtype, device=logits.device)
            if class_weight.shape != (n_classes,):
                raise ValueError(
                    f"CrossEntropyLoss: class_weight has {class_weight.numel()} entries, expected one per class "
                    f"({n_classes})."
                )
            per_sample = class_weight[targets]
            sample_weight = per_sample if sample_weight is None else per_sample * sample_weight
        return self._reduce(values, sample_weight)


class CompSumLoss(SurrogateLoss):
    r"""Comp-sum losses :math:`\Phi^\tau(u)` of Mao, Mohri & Zhong (ICML 2023).

    With :math:`u = \sum_{k \ne y} e^{f_k - f_y} = 1/p_y - 1`
    (:math:`p = \operatorname{softmax}(f)`),

    .. math::

        \Phi^\tau(u) = \begin{cases}
            \log(1 + u) = -\log p_y & \tau = 1 \text{ (cross-entropy)} \\
            \dfrac{(1 + u)^{1 - \tau} - 1}{1 - \tau} = \dfrac{p_y^{\tau - 1} - 1}{1 - \tau} & \tau \ne 1
        \end{cases}

    :math:`\tau = 0` is the sum-exponential loss :math:`u`, :math:`\tau \in (1, 2)`
    generalised cross-entropy with :math:`q = \tau - 1`, and :math:`\tau = 2`
    the mean absolute error :math:`1 - p_y`. Losses with :math:`\tau \ge 1` are
    bounded by :math:`1/(\tau - 1)` and robust to label noise; the smaller
    :math:`\tau`, the more a badly classified sample weighs.

    The power is computed in log space, :math:`p_y^{\tau-1} = e^{(\tau-1)\log p_y}`
    with :math:`\log p_y` the negated (fused) cross-entropy. For :math:`\tau < 1` the loss grows
    exponentially in the logits; beyond :math:`e^{30}` it is continued linearly,
    so its value and gradient stay finite at any logit.

    Parameters
    ----------
    tau : float, default=0.5
        The family parameter, in ``[0, 2]``.

    References
    ----------
    .. [1] A. Mao, M. Mohri, Y. Zhong. "Cross-Entropy Loss Functions:
       Theoretical Analysis and Applications." ICML 2023.
    .. [2] Z. Zhang, M. R. Sabuncu. "Generalized Cross Entropy Loss for
       Training Deep Neural Networks with Noisy Labels." NeurIPS 2018.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import CompSumLoss
    >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    >>> targets = torch.tensor([1, 0, 0, 0])
    >>> [round(CompSumLoss(tau=tau)(logits, targets).item(), 4) for tau in (0.0, 0.5, 1.0, 1.5, 2.0)]
    [0.5504, 0.4436, 0.3657, 0.308, 0.2645]

    ``tau=1`` is the cross-entropy (see :class:`CrossEntropyLoss`). The value
    decreases as ``tau`` grows: badly classified samples weigh less.
    """

    target_metric = None
    _parameter_constraints = {"tau": [Interval(Real, 0, 2, closed="both")]}

    def __init__(self, tau=0.5):
        super().__init__()
        self.tau = tau

    def _per_sample(self, logits, targets):
        log_p = -per_sample_cross_entropy(logits, targets)
        tau = float(self.tau)
        if tau == 1.0:
            values = -log_p
        elif tau < 1.0:
            values = (_capped_exp((tau - 1.0) * log_p) - 1.0) / (1.0 - tau)
        else:
            values = (1.0 - torch.exp((tau - 1.0) * log_p)) / (tau - 1.0)
        return values


class GeneralizedCrossEntropyLoss(CompSumLoss):
    r"""Generalised cross-entropy :math:`(1 - p_y^q)/q` (comp-sum with :math:`\tau = 1 + q`).

    Parameters
    ----------
    q : float, default=0.7
        In ``(0, 1]``; ``q -> 0`` gives cross-entropy, ``q = 1`` the MAE.
        0.7 is the value of Zhang & Sabuncu (2018).

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import GeneralizedCrossEntropyLoss
    >>> loss = GeneralizedCrossEntropyLoss(q=0.7)
    >>> loss.tau
    1.7
    >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    >>> round(loss(logits, torch.tensor([1, 0, 0, 0])).item(), 4)
    0.2892
    """

    _parameter_constraints = {"q": [Interval(Real, 0, 1, closed="right")]}

    def __init__(self, q=0.7):
        SurrogateLoss.__init__(self)
        self.q = q

    @property
    def tau(self):
        """The comp-sum parameter, ``1 + q`` (read-only)."""
        return 1.0 + float(self.q)


class MAELoss(CompSumLoss):
    r"""Mean absolute error :math:`1 - p_y` (comp-sum with :math:`\tau = 2`), robust to label noise.

    Ghosh, Kumar & Sastry (AAAI 2017) show it is noise-tolerant; it trains
    slowly since its gradient vanishes on badly classified samples.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import MAELoss
    >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    >>> targets = torch.tensor([1, 0, 0, 0])
    >>> round(MAELoss()(logits, targets).item(), 4)
    0.2645

    This is the mean of :math:`1 - p_y`:

    >>> p = torch.sigmoid(logits)  # probability of class 1
    >>> p_true = torch.where(targets == 1, p, 1 - p)
    >>> round((1 - p_true).mean().item(), 4)
    0.2645
    """

    _parameter_constraints = {}

    def __init__(self):
        SurrogateLoss.__init__(self)

    @property
    def tau(self):
        """The comp-sum parameter, always 2."""
        return 2.0


class FocalLoss(SurrogateLoss):
    r"""Focal loss of Lin et al. (ICCV 2017): :math:`-\alpha_y (1 - p_y)^\gamma \log p_y`.

    Down-weighs well-classified samples so training concentrates on hard
    ones. Computed from the cross-entropy, :math:`-\log p_y` (``(1 - p_y)`` as ``-expm1(log p_y)``),
    so it is finite for any logit.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; 0 gives (weighted) cross-entropy. 2 is the paper's.
    alpha : float, sequence of float or None, default=None
        Class balancing: a float is the positive class's weight in a binary
        problem (negatives get ``1 - alpha``; the paper used 0.25 with
        ``gamma=2`` for object detection); a sequence gives one weight per
        class; None weighs classes equally.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár. "Focal Loss for
       Dense Object Detection." ICCV 2017.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import FocalLoss
    >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    >>> targets = torch.tensor([1, 0, 0, 0])
    >>> round(FocalLoss(gamma=0.0)(logits, targets).item(), 4)  # cross-entropy
    0.3657
    >>> round(FocalLoss(gamma=2.0)(logits, targets).item(), 4)
    0.1005
    >>> round(FocalLoss(gamma=2.0, alpha=0.25)(logits, targets).item(), 4)
    0.0751
    """

    target_metric = None

    _parameter_constraints = {"gamma": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, gamma=2.0, alpha=None):
        super().__init__()
        self.gamma = gamma
        self.alpha = alpha

    def _validate_hyperparameters(self):
        super()._validate_hyperparameters()
        self._alpha_weights(None)

    def setup(self, n_classes, n_samples):
        """Validate the hyper-parameters and ``alpha`` against the number of classes.

        Parameters
        ----------
        n_classes : int
            Number of classes (2 for binary problems).
        n_samples : int
            Number of training samples.

        Raises
        ------
        ValueError
            If a weight is negative or not finite, or their number is not one per class.
        """
        super().setup(n_classes, n_samples)
        self._alpha_weights(n_classes)

    def _alpha_weights(self, n_classes):
        """``alpha`` as one weight per class (None when unset), checked; ``n_classes`` None: not yet known."""
        alpha = self.alpha
        if alpha is None:
            return None
        if isinstance(alpha, numbers.Real) and not isinstance(alpha, (bool, np.bool_)):
            if not 0 <= alpha <= 1 or (n_classes is not None and n_classes != 2):
                raise ValueError(
                    f"FocalLoss: alpha={alpha!r} (loss__alpha in an estimator): a scalar alpha in [0, 1] applies to "
                    "binary problems; pass one weight per class."
                )
            return [1.0 - float(alpha), float(alpha)]
        return _check_class_weights(self, "alpha", alpha, n_classes).tolist()

    def _per_sample(self, logits, targets):
        log_p = -per_sample_cross_entropy(logits, targets)
        one_minus_p = -torch.expm1(log_p)
        values = -(one_minus_p.clamp_min(0.0) ** float(self.gamma)) * log_p
        if self.alpha is not None:
            alpha = self._alpha_weights(2 if logits.ndim == 1 else logits.shape[1])
            values = values * torch.as_tensor(alpha, dtype=logits.dtype, device=logits.device)[targets]
        return values


class ZLoss(SurrogateLoss):
    r"""Z-loss of de Brébisson & Vincent (2016), shift- and scale-invariant.

    The outputs are standardised per sample,
    :math:`z = (o - \operatorname{mean}(o)) / \operatorname{std}(o)`, and

    .. math:: \ell = \frac{1}{a} \operatorname{softplus}\big(a\,(b - z_y)\big).

    Adding a constant to, or multiplying by a positive constant, all outputs
    leaves the loss unchanged, so the network cannot lower it by inflating its
    logits. With two outputs :math:`z_y = \pm 1` whatever the logits (and the
    gradient vanishes), so the loss needs at least three classes; a binary
    problem raises a ``ValueError``.

    Parameters
    ----------
    a : float, default=1.0
        Sharpness of the softplus.
    b : float, default=1.0
        Target standardised score of the true class.
    eps : float, default=1e-6
        Keeps the standard deviation away from zero for constant outputs:
        it is computed as :math:`\sqrt{\operatorname{var} + \epsilon^2}`.

    References
    ----------
    .. [1] A. de Brébisson, P. Vincent. "The Z-loss: a shift and scale
       invariant classification loss belonging to the Spherical Family."
       arXiv:1604.08859, 2016.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import ZLoss
    >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.0, 0.0], [-1.0, 0.0, 3.0]])
    >>> targets = torch.tensor([0, 2, 2])
    >>> loss = ZLoss()
    >>> round(loss(logits, targets).item(), 4)
    1.1302
    >>> round(loss(10 * logits + 5, targets).item(), 4)  # shift and scale change nothing
    1.1302
    """

    target_metric = None
    supports_binary = False

    _parameter_constraints = {"a": [Interval(Real, 0, None, closed="neither")], "b": [Interval(Real, None, None, closed="neither")]}

    def __init__(self, a=1.0, b=1.0, eps=1e-6):
        super().__init__()
        self.a = a
        self.b = b
        self.eps = eps

    def _per_sample(self, logits, targets):
        """The Z-loss of each sample; ``logits`` of shape ``(n, K)``, ``K >= 3``."""
        centred = logits - logits.mean(dim=1, keepdim=True)
        std = torch.sqrt((centred * centred).mean(dim=1, keepdim=True) + float(self.eps) ** 2)
        z_y = (centred / std).gather(1, targets[:, None])[:, 0]
        a = float(self.a)
        return F.softplus(a * (float(self.b) - z_y)) / a
