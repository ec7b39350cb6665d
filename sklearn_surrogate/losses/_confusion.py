r"""Confusion-matrix surrogates (AnyLoss).

Han, Moniz & Chawla, "AnyLoss: Transforming Classification Metrics into Loss
Functions", KDD 2024 (arXiv:2405.14745).

The network's probability :math:`p = \sigma(z)` is pushed towards 0 or 1 by the
*amplifying function*

.. math:: a = \frac{1}{1 + e^{-L (p - 0.5)}},

and the confusion matrix of the batch is filled with these near-binary values
instead of hard predictions (weights :math:`w_i`, labels :math:`y_i`):

.. math::

    TP = \sum_i w_i y_i a_i,\quad FN = \sum_i w_i y_i (1 - a_i),\quad
    FP = \sum_i w_i (1 - y_i) a_i,\quad TN = \sum_i w_i (1 - y_i)(1 - a_i).

These equal the paper's :math:`TP = \sum y a`, :math:`FN = \sum y - TP`,
:math:`FP = \sum a - TP`, :math:`TN = N - \sum y - \sum a + TP` but are summed
directly, which avoids cancellation. The loss is ``1 - metric(TP, FN, FP, TN)``.

Departures from the reference code, all deliberate:

* :math:`N` is the (weighted) size of the *batch*, and the counts are divided
  by it, so the loss does not depend on the batch size and ``eps`` is relative.
* Every denominator gets ``eps``, so a batch without positives (or without
  negatives) gives a finite value and finite gradients.
* Square roots (G-mean, MCC) take ``eps`` inside, so their gradient stays
  bounded at 0.

For one-logit binary problems only two weighted sums need the network:
:math:`TP = \sum_i w_i y_i a_i` and :math:`FP = \sum_i w_i (1 - y_i) a_i`;
then :math:`FN = P - TP` and :math:`TN = N - FP`, with the class totals
:math:`P` and :math:`N` known from the labels. Each metric is written in these
terms (accuracy, balanced accuracy and the MCC numerator are linear in
:math:`a`, a single dot product), which keeps the number of tensor operations,
and so the cost per batch, close to cross-entropy's.

Binary problems train for class index 1 unless ``pos_label`` names the other
class: the logit is then negated and the labels flipped before the formula
(:math:`\sigma(-z) = 1 - \sigma(z)`, so the amplified prediction of class 0
is exactly :math:`1 - a`). Only F-beta with ``average="binary"`` (or
``"auto"``) depends on which class is positive; accuracy, balanced accuracy,
G-mean and MCC are symmetric in the two classes, so for them ``pos_label``
changes nothing but rounding.

Multiclass problems use one-vs-rest confusion matrices. For class :math:`c` the
soft "predicted :math:`c`" indicator compares the class probability with the
largest other one,

.. math:: a_{ic} = \sigma\!\left(L \cdot \frac{p_{ic} - \max_{k \ne c} p_{ik}}{2}\right),

which reduces to the binary amplifier for two classes and agrees with the
arg-max prediction the classifier makes (a plain :math:`\sigma(L(p_{ic} - 0.5))`
would call no class predicted whenever the top probability is below 0.5).
"""


from numbers import Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import SurrogateLoss

__all__ = [
    "AccuracyLoss",
    "BalancedAccuracyLoss",
    "FBetaLoss",
    "GMeanLoss",
    "MCCLoss",
]

_AVERAGES = ("auto", "binary", "macro", "weighted", "micro")


def amplified_predictions(logits, L):
    r"""Soft one-hot predictions of the AnyLoss family.

    Parameters
    ----------
    logits : Tensor of shape (n,) or (n, K)
        Positive-class logits (binary) or class logits.
    L : float
        Amplification; larger values make the predictions closer to 0/1.

    Returns
    -------
    A : Tensor of shape (n, K)
        ``A[i, c]`` is the soft indicator "sample ``i`` is predicted as
        ``c``"; for binary problems ``K = 2`` and ``A[:, 1]`` is the paper's
        :math:`a = \sigma(L(\sigma(z) - 0.5))`.
    """
    if logits.ndim == 1:
        a = amplify_binary(logits, L)
        return torch.stack([1.0 - a, a], dim=1)
    p = torch.softmax(logits, dim=1)
    if p.shape[1] == 1:
        return p
    top2 = torch.topk(p, 2, dim=1).values
    is_top = p >= top2[:, :1]
    best_other = torch.where(is_top, top2[:, 1:2], top2[:, :1])
    return torch.sigmoid(L * (p - best_other) / 2.0)


def amplify_binary(logits, L):
    r"""The amplified positive-class prediction :math:`\sigma(L(\sigma(z) - 0.5))` of one-logit binary problems."""
    return torch.sigmoid(L * (torch.sigmoid(logits) - 0.5))


def binary_class_weights(targets, sample_weight, dtype):
    """Normalised sample weights split by class, for one-logit binary problems.

    Returns
    -------
    w_pos, w_neg : Tensor of shape (n,)
        ``w_i y_i`` and ``w_i (1 - y_i)`` with the weights ``w`` normalised to
        sum to 1 (all zero for an empty or all-zero-weight batch).
    pos, neg : Tensor of shape ()
        Their sums: the positive and negative shares of the batch.
    """
    y = targets.to(dtype)
    w = SurrogateLoss._batch_weights(sample_weight, y.shape[0], dtype)
    w_pos = w * y
    w_neg = w - w_pos
    return w_pos, w_neg, w_pos.sum(), w_neg.sum()


def soft_confusion(logits, targets, sample_weight, L):
    """One-vs-rest soft confusion counts, normalised by the batch's weight.

    Returns
    -------
    tp, fp, fn, tn : Tensor of shape (K,)
        Per-class counts divided by the total weight, so that they sum to 1.
    A : Tensor of shape (n, K)
        The amplified predictions.
    Y : Tensor of shape (n, K)
        One-hot targets.
    w : Tensor of shape (n,)
        Normalised weights (summing to 1, or all zero for an empty batch).
    """
    A = amplified_predictions(logits, L)
    with torch.no_grad():  # what only depends on the labels and weights
        Y = torch.nn.functional.one_hot(targets, A.shape[1]).to(A.dtype)
        w = SurrogateLoss._batch_weights(sample_weight, A.shape[0], A.dtype)
        if sample_weight is None:
            w = torch.full_like(A[:, 0], w)
        wy = w[:, None] * Y
        positives = wy.sum(0)  # TP + FN of each class
        negatives = w.sum() - positives  # FP + TN
    # two reductions need the predictions; the other counts follow from the class totals
    tp = (wy * A).sum(0)
    fp = torch.mv(A.t(), w) - tp  # predicted as the class, minus the true positives
    fn = positives - tp
    tn = negatives - fp
    return tp, fp, fn, tn, A, Y, w


class _ConfusionMatrixLoss(SurrogateLoss):
    """Shared machinery: soft confusion matrix, then ``1 - metric``."""

    needs_both_classes = True

    _parameter_constraints = {"L": [Interval(Real, 0, None, closed="neither")], "eps": [Interval(Real, 0, 1, closed="neither")]}

    def __init__(self, L=73.0, eps=1e-6, pos_label=None):
        super().__init__()
        self.L = L
        self.eps = eps
        self.pos_label = pos_label

    def _batch_loss(self, logits, targets, sample_weight):
        """One minus the metric of the batch's soft confusion matrix."""
        if logits.ndim == 1 and self._has_binary_form():
            a = amplify_binary(logits, float(self.L))
            return 1.0 - self._binary_metric(a, *binary_class_weights(targets, sample_weight, a.dtype))
        counts = soft_confusion(logits, targets, sample_weight, float(self.L))
        # (n, 2) logits are a binary problem too: their amplifier equals the one-logit form
        binary = logits.ndim == 1 or logits.shape[1] == 2
        return 1.0 - self._metric(*counts, binary=binary)

    def _recalls(self, tp, fn):
        return tp / (tp + fn + self.eps)

    def _has_binary_form(self):
        """Whether :meth:`_binary_metric` computes the metric of one-logit binary problems."""
        return True

    def _binary_metric(self, a, w_pos, w_neg, pos, neg):
        """The metric of a one-logit binary problem (see :func:`binary_class_weights` for the arguments).

        Equal to :meth:`_metric` on the same batch; written with the fewest
        tensor operations on ``a``, the amplified predictions.
        """
        raise NotImplementedError


class FBetaLoss(_ConfusionMatrixLoss):
    r"""AnyLoss F-beta surrogate: ``1 - F_beta`` of the soft confusion matrix.

    .. math::

        F_\beta = \frac{(1 + \beta^2)\, TP}{(1 + \beta^2)\, TP + \beta^2 FN + FP + \epsilon}

    ``beta=1`` gives F1. The counts are soft: each sample contributes its
    amplified prediction :math:`a_i = \sigma(L(\sigma(z_i) - 0.5))`, close to
    0 or 1, instead of a hard one (:math:`TP = \sum_i w_i y_i a_i` and so on,
    as fractions of the batch's total weight :math:`\sum_i w_i`). Multiclass
    problems use one-vs-rest counts per class.

    Parameters
    ----------
    beta : float, default=1.0
        Weight of recall relative to precision.
    L : float, default=73.0
        Amplification of the probabilities (the paper's value).
    average : {"auto", "binary", "macro", "weighted", "micro"}, default="auto"
        How one-vs-rest F-beta scores are combined: ``"binary"`` scores the
        positive class (``pos_label``, index 1 by default) only; ``"macro"``
        averages classes equally, ``"weighted"`` by support, ``"micro"``
        pools the counts. ``"auto"`` is ``"binary"`` for two classes and
        ``"macro"`` otherwise, as in
        :func:`~sklearn_surrogate.make_surrogate_scorer`.
    eps : float, default=1e-6
        Added to the denominator (counts are fractions of the batch weight).
    pos_label : int, label or None, default=None
        The class a binary problem trains for (None: class index 1,
        ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        ``pos_label`` matters with ``average="binary"`` (or ``"auto"`` on two
        classes): training for the minority class usually needs it named.
        ``SurrogateClassifier(loss=make_surrogate_scorer("f1",
        pos_label=...))`` passes the scorer's on.

    References
    ----------
    .. [1] D. Han, N. Moniz, N. V. Chawla. "AnyLoss: Transforming
       Classification Metrics into Loss Functions." KDD 2024.

    Examples
    --------
    >>> import torch
    >>> from sklearn.metrics import f1_score
    >>> from sklearn_surrogate.losses import FBetaLoss
    >>> logits = torch.tensor([4.0, -4.0, 3.0, 3.0, -3.0, -4.0])
    >>> targets = torch.tensor([1, 0, 1, 0, 0, 0])
    >>> loss = FBetaLoss()
    >>> round(loss(logits, targets).item(), 4)
    0.2

    The logits are far from 0, so the soft counts are nearly the hard ones
    and the loss is nearly one minus the F1 of the predictions:

    >>> predictions = (logits > 0).long()
    >>> round(1 - f1_score(targets.numpy(), predictions.numpy()), 4)
    0.2
    >>> round(FBetaLoss(beta=2.0)(logits, targets).item(), 4)
    0.0909

    ``pos_label=0`` trains for the other class (called on its own, the loss
    sees class indices; :class:`~sklearn_surrogate.SurrogateClassifier`
    takes a class label), and the loss is nearly one minus that class's F1:

    >>> round(FBetaLoss(pos_label=0)(logits, targets).item(), 4)
    0.1429
    >>> round(1 - f1_score(targets.numpy(), predictions.numpy(), pos_label=0), 4)
    0.1429
    >>> loss.target_metric, FBetaLoss(beta=2.0).target_metric_params()
    ('f1', {'average': 'auto', 'beta': 2.0})
    """

    _parameter_constraints = {
        **_ConfusionMatrixLoss._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="neither")],
        "average": [StrOptions(set(_AVERAGES))],
    }

    def __init__(self, beta=1.0, L=73.0, average="auto", eps=1e-6, pos_label=None):
        super().__init__(L=L, eps=eps, pos_label=pos_label)
        self.beta = beta
        self.average = average

    @property
    def target_metric(self):
        """``"f1"`` when ``beta == 1``, else ``"fbeta"``."""
        return "f1" if self.beta == 1 else "fbeta"

    def target_metric_params(self):
        """Keyword arguments that pin down :attr:`target_metric`.

        Returns
        -------
        params : dict
            ``{"average": average}``, plus ``"beta"`` unless ``beta == 1``
            and ``"pos_label"`` unless it is None: arguments for
            :func:`~sklearn_surrogate.make_surrogate_scorer`.
        """
        params = {"average": self.average}
        if self.beta != 1:
            params["beta"] = self.beta
        params.update(super().target_metric_params())
        return params

    def _has_binary_form(self):
        return self.average in ("auto", "binary")

    def _binary_metric(self, a, w_pos, w_neg, pos, neg):
        # FN = P - TP turns the denominator into TP + FP + beta^2 P + eps
        b2 = float(self.beta) ** 2
        predicted = torch.dot(a, w_pos + w_neg)  # TP + FP
        return (1 + b2) * torch.dot(a, w_pos) / (predicted + (b2 * pos + self.eps))

    def _fbeta(self, tp, fp, fn):
        b2 = float(self.beta) ** 2
        return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp + self.eps)

    def _metric(self, tp, fp, fn, tn, A, Y, w, *, binary):
        average = self.average
        if average == "auto":
            average = "binary" if binary else "macro"
        if average == "binary":
            if not binary:
                raise ValueError(
                    "FBetaLoss: average='binary' needs a binary problem; use 'macro', 'weighted' or 'micro' "
                    f"for {tp.shape[0]} classes."
                )
            return self._fbeta(tp[1], fp[1], fn[1])
        if average == "micro":
            return self._fbeta(tp.sum(), fp.sum(), fn.sum())
        scores = self._fbeta(tp, fp, fn)
        if average == "macro":
            return scores.mean()
        support = tp + fn
        return (scores * support).sum() / support.sum().clamp_min(self.eps)


class AccuracyLoss(_ConfusionMatrixLoss):
    r"""AnyLoss accuracy surrogate: ``1 - (TP + TN) / N``.

    For any number of classes this is one minus the weighted mean of the
    amplified prediction of each sample's true class,
    :math:`1 - \sum_i w_i a_{i y_i} / \sum_i w_i`.

    Parameters
    ----------
    L : float, default=73.0
        Amplification of the probabilities.
    eps : float, default=1e-6
        Kept for a uniform signature; accuracy has no denominator to protect.
    pos_label : int, label or None, default=None
        The class a binary problem trains for (None: class index 1,
        ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        Accuracy is symmetric in the two classes, so this changes nothing
        but rounding; it is here so that every binary loss takes it.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import AccuracyLoss
    >>> logits = torch.tensor([4.0, -4.0, 3.0, 3.0, -3.0, -4.0])
    >>> targets = torch.tensor([1, 0, 1, 0, 0, 0])
    >>> round(AccuracyLoss()(logits, targets).item(), 4)
    0.1667

    Five of the six predictions (``logits > 0``) are right: the loss is
    nearly :math:`1 - 5/6`.
    """

    target_metric = "accuracy"
    needs_both_classes = False

    def _metric(self, tp, fp, fn, tn, A, Y, w, *, binary):
        return tp.sum()  # sum_c TP_c = sum_i w_i a_{i y_i}

    def _binary_metric(self, a, w_pos, w_neg, pos, neg):
        # TP + TN = TP + N - FP
        return torch.dot(a, w_pos - w_neg) + neg


class BalancedAccuracyLoss(_ConfusionMatrixLoss):
    r"""AnyLoss balanced-accuracy surrogate: ``1 - mean_c TP_c / (TP_c + FN_c)``.

    For a binary problem this is :math:`1 - (TPR + TNR) / 2`.

    Parameters
    ----------
    L : float, default=73.0
        Amplification of the probabilities.
    eps : float, default=1e-6
        Added to each recall's denominator.
    pos_label : int, label or None, default=None
        The class a binary problem trains for (None: class index 1,
        ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        Balanced accuracy is symmetric in the two classes, so this changes nothing
        but rounding; it is here so that every binary loss takes it.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import BalancedAccuracyLoss
    >>> logits = torch.tensor([4.0, -4.0, 3.0, 3.0, -3.0, -4.0])
    >>> targets = torch.tensor([1, 0, 1, 0, 0, 0])
    >>> round(BalancedAccuracyLoss()(logits, targets).item(), 4)
    0.125

    The predictions (``logits > 0``) find both positives and three of the
    four negatives: the loss is nearly :math:`1 - (1 + 3/4) / 2`.
    """

    target_metric = "balanced_accuracy"

    def _metric(self, tp, fp, fn, tn, A, Y, w, *, binary):
        return self._recalls(tp, fn).mean()

    def _binary_metric(self, a, w_pos, w_neg, pos, neg):
        # (TP / (P + eps) + (N - FP) / (N + eps)) / 2 is linear in a: one dot product
        coef = 0.5 * (w_pos / (pos + self.eps) - w_neg / (neg + self.eps))
        return torch.dot(a, coef) + 0.5 * neg / (neg + self.eps)


class GMeanLoss(_ConfusionMatrixLoss):
    r"""AnyLoss G-mean surrogate: ``1 - (prod_c recall_c)^(1/K)``.

    For a binary problem this is :math:`1 - \sqrt{TPR \cdot TNR}`. The root is
    taken of ``prod + eps`` so its gradient stays bounded when a recall is 0.

    Parameters
    ----------
    L : float, default=73.0
        Amplification of the probabilities.
    eps : float, default=1e-6
        Added to each recall's denominator and inside the root.
    pos_label : int, label or None, default=None
        The class a binary problem trains for (None: class index 1,
        ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        G-mean is symmetric in the two classes, so this changes nothing
        but rounding; it is here so that every binary loss takes it.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import GMeanLoss
    >>> logits = torch.tensor([4.0, -4.0, 3.0, 3.0, -3.0, -4.0])
    >>> targets = torch.tensor([1, 0, 1, 0, 0, 0])
    >>> round(GMeanLoss()(logits, targets).item(), 4)
    0.134

    The predictions (``logits > 0``) have recalls 1 and 3/4: the loss is
    nearly :math:`1 - \sqrt{3/4}`.
    """

    target_metric = "gmean"
    needs_mixed_batches = True  # a one-class batch gives no gradient

    def _metric(self, tp, fp, fn, tn, A, Y, w, *, binary):
        recalls = self._recalls(tp, fn)
        return (torch.prod(recalls) + self.eps) ** (1.0 / recalls.numel())

    def _binary_metric(self, a, w_pos, w_neg, pos, neg):
        # TPR * TNR = TP (N - FP) / ((P + eps) (N + eps))
        tn = neg - torch.dot(a, w_neg)
        scale = 1.0 / ((pos + self.eps) * (neg + self.eps))
        return (torch.dot(a, w_pos) * tn * scale + self.eps) ** 0.5


class MCCLoss(_ConfusionMatrixLoss):
    r"""Matthews-correlation surrogate: ``1 - MCC`` of the soft confusion matrix.

    Binary problems use

    .. math::

        MCC = \frac{TP \cdot TN - FP \cdot FN}
                   {\sqrt{(TP + FP)(TP + FN)(TN + FP)(TN + FN) + \epsilon^2}}.

    Multiclass problems use the ``K``-class generalisation (Gorodkin, 2004) as
    :func:`sklearn.metrics.matthews_corrcoef` does, with the soft counts
    :math:`t_k = \sum_i w_i y_{ik}` (true), :math:`p_k = \sum_i w_i \hat a_{ik}`
    (predicted, the amplified predictions normalised per sample) and
    :math:`c = \sum_i w_i \hat a_{i y_i}` (correct), for total weight 1:

    .. math:: MCC = \frac{c - \sum_k t_k p_k}{\sqrt{(1 - \sum_k p_k^2)(1 - \sum_k t_k^2) + \epsilon^2}}.

    The loss lies in ``[0, 2]``.

    Parameters
    ----------
    L : float, default=73.0
        Amplification of the probabilities.
    eps : float, default=1e-6
        ``eps**2`` is added inside the square root (the product under it is of
        order 1e-5 on imbalanced batches, so ``eps`` itself would bias MCC).
    pos_label : int, label or None, default=None
        The class a binary problem trains for (None: class index 1,
        ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        MCC is symmetric in the two classes, so this changes nothing
        but rounding; it is here so that every binary loss takes it.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import MCCLoss
    >>> logits = torch.tensor([4.0, -4.0, 3.0, 3.0, -3.0, -4.0])
    >>> targets = torch.tensor([1, 0, 1, 0, 0, 0])
    >>> round(MCCLoss()(logits, targets).item(), 4)
    0.2929

    The predictions (``logits > 0``) have :math:`TP = 2`, :math:`TN = 3`,
    :math:`FP = 1`, :math:`FN = 0`, so MCC is nearly
    :math:`6 / \sqrt{3 \cdot 2 \cdot 4 \cdot 3} \approx 0.7071`.
    """

    target_metric = "mcc"
    needs_mixed_batches = True  # a one-class batch gives no gradient

    def _metric(self, tp, fp, fn, tn, A, Y, w, *, binary):
        if binary:
            tp, fp, fn, tn = tp[1], fp[1], fn[1], tn[1]
            num = tp * tn - fp * fn
            den = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
            # eps**2: the product of four batch fractions is ~1e-5 on imbalanced batches, so eps itself
            # would bias MCC; the gradient stays bounded (by 1 / (2 eps)) at den = 0
            return num / torch.sqrt(den + self.eps**2)
        return self._multiclass_mcc(A, Y, w)

    def _binary_metric(self, a, w_pos, w_neg, pos, neg):
        # with FN = P - TP and TN = N - FP the numerator TP TN - FP FN is TP N - FP P (linear in a), and the
        # denominator's factors are TP + FP, P, N and P + N - (TP + FP)
        num = torch.dot(a, w_pos * neg - w_neg * pos)
        predicted = torch.dot(a, w_pos + w_neg)
        den = predicted * ((pos + neg) - predicted) * (pos * neg)
        return num / torch.sqrt(den + self.eps**2)

    def _multiclass_mcc(self, A, Y, w):
        A_hat = A / A.sum(1, keepdim=True).clamp_min(self.eps)
        t = (w[:, None] * Y).sum(0)
        p = (w[:, None] * A_hat).sum(0)
        c = (w * (A_hat * Y).sum(1)).sum()
        s = w.sum()
        num = c * s - (t * p).sum()
        den = (s * s - (p * p).sum()) * (s * s - (t * t).sum())
        return num / torch.sqrt(den.clamp_min(0.0) + self.eps**2)
