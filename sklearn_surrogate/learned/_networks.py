"""Surrogate networks: the set-level architecture and the paper's per-sample one.

Both map a batch of predictions — class probabilities ``P`` of shape (n, K),
one-hot labels ``Y`` and sample weights ``w`` — to one number, the surrogate
*loss* (lower is better). Both are invariant to the order of the samples.

:class:`SetSurrogate` (ours) sees the whole batch, so it can express
batch-level metrics. For every class ``c`` (one-vs-rest) each sample is
described by its probability ``p = P[:, c]``, a soft histogram of ``p`` over
fixed bins, and whether it belongs to ``c``; an MLP ``phi`` embeds it, and the
embeddings are averaged separately over the members and the non-members of
``c`` (weighted), together with the two soft histograms and the class's share.
A second MLP ``psi`` turns that into a class embedding. The loss is ``rho``
of [mean class embedding, positive-class embedding] (the positive class is
``c = 1`` for binary problems; for multiclass problems the second half repeats
the mean, so the network treats classes symmetrically, as macro metrics do).

Why this can represent the metrics: F1, balanced accuracy, MCC and accuracy
are functions of the (soft) confusion counts, which are class-conditional
means of per-sample functions of ``p`` — exactly what the pooled ``phi``
embeddings provide; ROC AUC is :math:`P(p^+ > p^-)`, a bilinear function of
the two class-conditional score histograms, which ``psi`` receives, and which
``soft_auc=True`` gives ``psi`` directly, soft (the shipped ROC AUC surrogate).

:class:`PerSampleSurrogate` is the ReLoss paper's classification design: an
MLP of the probability of the true class, averaged over the samples. It cannot
tell a false positive from a false negative, nor see the batch, and is kept as
the baseline.
"""

import functools
import math
from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

__all__ = [
    "ARCHITECTURES",
    "PerSampleSurrogate",
    "SetSurrogate",
    "architecture_of",
    "build_surrogate",
    "check_architecture_params",
]


def _mlp(sizes, final_activation=False):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or final_activation:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


def _weighted_mean(values, mask, w):
    """Weighted means over the sample axis.

    ``values`` (..., n, K, d), ``mask`` (..., n, K), ``w`` (..., n). Returns the
    means (..., K, d) over samples where ``mask`` is 1, and each class's share
    of the total weight (..., K).
    """
    weights = mask * w[..., None]
    total = weights.sum(-2)
    means = (values * weights[..., None]).sum(-3) / total.clamp_min(1e-12)[..., None]
    return means, total / w.sum(-1, keepdim=True).clamp_min(1e-12)


#: batches up to this size get the exact O(n^2) rank features; larger ones the binned O(n) evaluation
_EXACT_PAIRS_UP_TO = 512
#: spacing of the binned rank features' grid over the log-odds (the comparisons' temperature is 0.5 by default)
_RANK_GRID_STEP = 0.05
#: SetSurrogate clamps probabilities to [P_MIN, 1 - P_MIN] before their log-odds, which so lie in [-Z_MAX, Z_MAX]
P_MIN = 1e-6
Z_MAX = math.log((1 - P_MIN) / P_MIN)


@functools.lru_cache(maxsize=8)
def _comparison_matrix(temperature, dtype, device):
    """``sigmoid((g_a - g_b) / temperature)`` over the rank grid's nodes ``g`` (about 550 of them)."""
    n_nodes = int(math.ceil(2 * Z_MAX / _RANK_GRID_STEP)) + 1
    grid = torch.linspace(-Z_MAX, Z_MAX, n_nodes, dtype=dtype, device=device)
    return torch.sigmoid((grid[:, None] - grid[None, :]) / temperature)


def _binned_share_below(z, node, frac, weight, compare):
    """The weighted share of a group scored below each sample, ``sum_j a_j sigmoid((z_i - z_j) / T) / sum_j a_j``,
    read from the grid (see :func:`_binned_rank_features`). ``weight`` (..., K, n): the group's weights."""
    n_nodes = compare.shape[0]
    mass = torch.zeros(*weight.shape[:-1], n_nodes, dtype=z.dtype, device=z.device)
    mass = mass.scatter_add(-1, node, weight * (1.0 - frac)).scatter_add(-1, node + 1, weight * frac)
    below = (mass @ compare.T) / weight.sum(-1, keepdim=True).clamp_min(1e-12)  # (..., K, nodes): F at nodes
    lower, upper = below.gather(-1, node), below.gather(-1, node + 1)
    return lower + frac * (upper - lower)  # (..., K, n)


def _grid_position(z, n_nodes):
    """Each log-odds' position on the rank grid: (its lower node, the fraction towards the next), (..., K, n)."""
    step = 2 * Z_MAX / (n_nodes - 1)
    u = ((z + Z_MAX) / step).clamp(0.0, n_nodes - 1.001).transpose(-1, -2)  # (..., K, n)
    node = u.detach().floor()
    return node.long(), u - node


def _binned_soft_auc(z, members, others, temperature):
    """:meth:`SetSurrogate._soft_auc` in O(n) per class: the members' weighted mean of the binned share of
    non-members scored below them. The grid's spacing is fixed (0.05), so the error grows as the temperature
    falls: about 1e-4 at the default 0.5 (as the rank features'), 2e-3 at 0.1 and 6e-3 at 0.05 (the shipped ROC
    AUC surrogate's), with a gradient cosine to all pairs' above 0.99."""
    compare = _comparison_matrix(temperature, z.dtype, z.device)
    node, frac = _grid_position(z, compare.shape[0])
    below = _binned_share_below(z, node, frac, others.transpose(-1, -2), compare)  # (..., K, n)
    weights = members.transpose(-1, -2)
    return (below * weights).sum(-1) / weights.sum(-1).clamp_min(1e-12)


def _binned_rank_features(z, members, others, temperature):
    """The rank features of :meth:`SetSurrogate._rank_features` in O(n) per class instead of O(n^2).

    The share of a group (members or non-members of class ``c``) scored below
    a log-odds ``t``, ``F(t) = sum_j a_j sigmoid((t - z_j) / T) / sum_j a_j``, is
    a smooth function of ``t`` on the scale of the temperature ``T``. Each
    sample's weight is spread over the two nodes around its log-odds on a
    grid of spacing 0.05 (linear interpolation), ``F`` is computed at every
    node by one product with the grid's comparison matrix, and read back at
    each sample by linear interpolation. Both steps err by O(spacing^2 / T^2):
    about 1e-4 at the default ``T = 0.5``. Differentiable, with autograd.
    """
    compare = _comparison_matrix(temperature, z.dtype, z.device)  # [a, b]: node b below node a, soft
    node, frac = _grid_position(z, compare.shape[0])
    below_others, below_members = (
        _binned_share_below(z, node, frac, weight.transpose(-1, -2), compare).transpose(-1, -2)  # (..., n, K)
        for weight in (others, members))
    total_members = members.sum(-2, keepdim=True)
    above_members = torch.where(total_members > 0, 1.0 - below_members, torch.zeros_like(below_members))
    return torch.stack([below_others, above_members], dim=-1)


class SetSurrogate(nn.Module):
    """Set-level surrogate network: a batch's probabilities and labels to one loss value.

    For every class ``c`` (one-vs-rest) each sample is described by its
    probability ``P[:, c]``, its log-odds, a soft histogram of the probability
    over ``n_bins`` fixed bins and, with ``pairwise``, two within-batch rank
    features. An MLP ``phi`` embeds the samples; the embeddings and histograms
    are averaged (weighted) separately over the members and non-members of
    ``c`` and, with the class's share of the weight, turned into a class
    embedding by a second MLP ``psi``. A third MLP ``rho`` maps the mean class
    embedding and the positive class's (class 1 for binary problems; the mean
    again for multiclass ones) to the loss, lower meaning better. The value is
    invariant to the order of the samples and works for any number of classes.

    F1, balanced accuracy, MCC and accuracy are functions of (soft) confusion
    counts, that is of class-conditional means of per-sample functions of the
    probability, which the pooled embeddings can represent; ROC AUC depends on
    the two class-conditional score distributions, whose histograms ``psi``
    receives.

    Parameters
    ----------
    n_bins : int, default=16
        Soft-histogram bins over [0, 1].
    width : int, default=64
        Width of the hidden layers.
    pairwise : bool, default=False
        Add two within-batch rank features per sample and class ``c``: the
        (soft, weighted) share of the batch's non-members of ``c`` scored
        below it and of the members scored above it, with comparisons
        ``sigmoid((z_i - z_j) / pair_temperature)`` on the log-odds ``z``.
        The mean of the first over the members of ``c`` is a soft one-vs-rest
        ROC AUC, so rank metrics become easy to represent. All n^2 pairs are
        compared up to 512 samples; larger batches spread the samples over a
        grid of the log-odds (spacing 0.05) and compare the grid's nodes, in
        O(n) work, equal to about 1e-4. The shipped recall-at-precision
        surrogate uses it.
    pair_temperature : float, default=0.5
        Temperature of the pairwise comparisons, in log-odds units (of the
        rank features and of ``soft_auc``).
    soft_auc : bool, default=False
        Give ``psi`` each class's soft one-vs-rest ROC AUC: the weighted share
        of (member, non-member) pairs in which the member scores higher, with
        the comparisons of ``pairwise``. Unlike the rank features it leaves
        ``phi`` a function of one sample, so a frozen binary network is read
        from tables
        (:class:`~sklearn_surrogate.learned._tabulated.TabulatedSetSurrogate`)
        with one pooled number added per batch. Above 512 samples it is
        read from the rank features' grid (spacing 0.05), within about
        1e-4 at ``pair_temperature=0.5`` but 6e-3 at 0.05. The shipped ROC
        AUC surrogate uses it, with ``pair_temperature=0.05``.

    Attributes
    ----------
    output_scale : Tensor of shape ()
        Positive factor applied to the output, set by :func:`learn_surrogate`
        to calibrate the gradient scale (1 for a new network); it leaves every
        ranking unchanged.
    trained_classes : tuple of int
        Class counts the network was learned for; set by
        :func:`learn_surrogate` and :func:`load_surrogate` only.

    See Also
    --------
    PerSampleSurrogate : The ReLoss paper's per-sample architecture.
    build_surrogate : Build either architecture by name.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.learned._networks import SetSurrogate
    >>> _ = torch.manual_seed(0)
    >>> net = SetSurrogate(n_bins=8, width=16)
    >>> P = torch.softmax(torch.randn(32, 2), dim=1)  # a batch of 32 binary predictions
    >>> Y = torch.nn.functional.one_hot(torch.randint(0, 2, (32,)), 2).float()
    >>> net(P, Y).shape
    torch.Size([])
    >>> net(torch.stack([P, P.flip(1)]), torch.stack([Y, Y])).shape  # two batches at once
    torch.Size([2])
    >>> order = torch.randperm(32)
    >>> torch.allclose(net(P, Y), net(P[order], Y[order]))
    True
    """

    def __init__(self, n_bins=16, width=64, pairwise=False, pair_temperature=0.5, soft_auc=False):
        super().__init__()
        self.n_bins = n_bins
        self.width = width
        self.pairwise = bool(pairwise)
        self.pair_temperature = float(pair_temperature)
        self.soft_auc = bool(soft_auc)
        self.register_buffer("centres", torch.linspace(0.0, 1.0, n_bins))
        n_in = 2 + n_bins + (2 if self.pairwise else 0)
        self.phi = _mlp([n_in, width, width], final_activation=True)
        # psi's input: [member mean, non-member mean, their histograms, the class's share, (its soft AUC)]
        self.psi = _mlp([2 * width + 2 * n_bins + 1 + self.soft_auc, width, width], final_activation=True)
        self.rho = _mlp([2 * width, width, 1])
        # a positive factor fixing the gradient scale (see learn_surrogate); it leaves every ranking unchanged
        self.register_buffer("output_scale", torch.ones(()))

    def config(self):
        """Constructor arguments, to rebuild the network from saved weights.

        Returns
        -------
        params : dict
            ``n_bins``, ``width``, ``pairwise``, ``pair_temperature`` and
            ``soft_auc``.

        Examples
        --------
        >>> from sklearn_surrogate.learned._networks import SetSurrogate
        >>> SetSurrogate(n_bins=8, width=16).config()
        {'n_bins': 8, 'width': 16, 'pairwise': False, 'pair_temperature': 0.5, 'soft_auc': False}
        """
        return {"n_bins": self.n_bins, "width": self.width, "pairwise": self.pairwise,
                "pair_temperature": self.pair_temperature, "soft_auc": self.soft_auc}

    def _rank_features(self, z, Y, w):
        """Soft shares of non-members below and of members above each sample, per class: (..., n, K, 2).

        Exact (all n^2 comparisons) up to ``_EXACT_PAIRS_UP_TO`` samples, binned above (see
        :func:`_binned_rank_features`).
        """
        members = Y * w[..., None]
        others = (1.0 - Y) * w[..., None]
        if z.shape[-2] > _EXACT_PAIRS_UP_TO:
            return _binned_rank_features(z, members, others, self.pair_temperature)
        above = torch.sigmoid((z[..., :, None, :] - z[..., None, :, :]) / self.pair_temperature)  # (..., i, j, K)
        below_others = (above * others[..., None, :, :]).sum(-2) / others.sum(-2, keepdim=True).clamp_min(1e-12)
        above_members = ((1.0 - above) * members[..., None, :, :]).sum(-2) / members.sum(-2, keepdim=True).clamp_min(
            1e-12
        )
        return torch.stack([below_others, above_members], dim=-1)

    def _soft_auc(self, z, Y, w):
        """Each class's soft one-vs-rest ROC AUC, (..., K): ``sum_ij m_i o_j sigmoid((z_i - z_j) / T) / (sum m
        sum o)`` over members ``i`` and non-members ``j`` of the class (weights ``m``, ``o``); 0 for a class
        without members or without non-members. All pairs up to ``_EXACT_PAIRS_UP_TO`` samples, binned above."""
        members = Y * w[..., None]
        others = (1.0 - Y) * w[..., None]
        if z.shape[-2] > _EXACT_PAIRS_UP_TO:
            return _binned_soft_auc(z, members, others, self.pair_temperature)
        above = torch.sigmoid((z[..., :, None, :] - z[..., None, :, :]) / self.pair_temperature)  # (..., i, j, K)
        pairs = ((above * others[..., None, :, :]).sum(-2) * members).sum(-2)
        return pairs / (members.sum(-2) * others.sum(-2)).clamp_min(1e-12)

    def _histogram(self, p):
        bandwidth = 1.0 / (self.n_bins - 1)
        h = torch.exp(-0.5 * ((p[..., None] - self.centres) / bandwidth) ** 2)
        return h / h.sum(-1, keepdim=True)

    def forward(self, P, Y, w=None):
        """Surrogate loss of a batch (or of a stack of batches).

        Parameters
        ----------
        P : Tensor of shape (n, K) or (S, n, K)
            Class probabilities.
        Y : Tensor like ``P``
            One-hot labels.
        w : Tensor of shape (n,) or (S, n), default=None
            Sample weights.

        Returns
        -------
        value : Tensor of shape () or (S,)
        """
        K = P.shape[-1]
        w = torch.ones(P.shape[:-1], dtype=P.dtype, device=P.device) if w is None else w
        hist = self._histogram(P)  # (..., n, K, bins)
        logit = torch.logit(P.clamp(P_MIN, 1 - P_MIN))
        parts = [P[..., None], logit[..., None] / 8.0, hist]
        if self.pairwise:
            parts.append(self._rank_features(logit, Y, w))
        features = torch.cat(parts, dim=-1)
        emb = self.phi(features)  # (..., n, K, width)
        pos_emb, share = _weighted_mean(emb, Y, w)
        neg_emb, _ = _weighted_mean(emb, 1.0 - Y, w)
        pos_hist, _ = _weighted_mean(hist, Y, w)
        neg_hist, _ = _weighted_mean(hist, 1.0 - Y, w)
        pooled = [pos_emb, neg_emb, pos_hist, neg_hist, share[..., None]]
        if self.soft_auc:
            pooled.append(self._soft_auc(logit, Y, w)[..., None])
        per_class = self.psi(torch.cat(pooled, dim=-1))
        mean_class = per_class.mean(-2)  # (..., width)
        positive = per_class[..., 1, :] if K == 2 else mean_class
        return self.rho(torch.cat([mean_class, positive], dim=-1))[..., 0] * self.output_scale


class PerSampleSurrogate(nn.Module):
    """The ReLoss paper's per-sample design: mean over samples of ``MLP(p_true_class)``.

    Each sample contributes an MLP of the probability of its true class, and
    the loss is their weighted mean. It cannot tell a false positive from a
    false negative nor see the batch as a whole, so it fits batch-level
    metrics less well than :class:`SetSurrogate`; it is kept for comparison.

    Parameters
    ----------
    width : int, default=64
        Width of the MLP's two hidden layers.

    Attributes
    ----------
    output_scale : Tensor of shape ()
        Positive factor applied to the output, set by :func:`learn_surrogate`
        (1 for a new network).
    trained_classes : tuple of int
        Class counts the network was learned for; set by
        :func:`learn_surrogate` and :func:`load_surrogate` only.

    See Also
    --------
    SetSurrogate : The set-level architecture.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.learned._networks import PerSampleSurrogate
    >>> _ = torch.manual_seed(0)
    >>> net = PerSampleSurrogate(width=8)
    >>> P = torch.softmax(torch.randn(32, 3), dim=1)
    >>> Y = torch.nn.functional.one_hot(torch.randint(0, 3, (32,)), 3).float()
    >>> net(P, Y).shape
    torch.Size([])
    >>> weights = torch.ones(32)
    >>> torch.allclose(net(P, Y), net(P, Y, 2 * weights))  # weights are normalised
    True
    """

    def __init__(self, width=64):
        super().__init__()
        self.width = width
        self.net = _mlp([1, width, width, 1])
        self.register_buffer("output_scale", torch.ones(()))

    def config(self):
        """Constructor arguments, to rebuild the network from saved weights.

        Returns
        -------
        params : dict
            ``width``.

        Examples
        --------
        >>> from sklearn_surrogate.learned._networks import PerSampleSurrogate
        >>> PerSampleSurrogate(width=8).config()
        {'width': 8}
        """
        return {"width": self.width}

    def forward(self, P, Y, w=None):
        """Weighted mean over samples of ``MLP(p_true)``; shapes as for :meth:`SetSurrogate.forward`."""
        w = torch.ones(P.shape[:-1], dtype=P.dtype, device=P.device) if w is None else w
        p_true = (P * Y).sum(-1, keepdim=True)
        values = self.net(p_true)[..., 0]
        return (values * w).sum(-1) / w.sum(-1).clamp_min(1e-12) * self.output_scale


ARCHITECTURES = {"set": SetSurrogate, "per_sample": PerSampleSurrogate}


def build_surrogate(architecture="set", **params):
    """Instantiate a surrogate network by name.

    Parameters
    ----------
    architecture : {"set", "per_sample"}, default="set"
        :class:`SetSurrogate` or :class:`PerSampleSurrogate`.
    **params
        Constructor arguments of the network (``n_bins``, ``width``,
        ``pairwise``, ``pair_temperature``, ``soft_auc`` for ``"set"``; ``width`` for
        ``"per_sample"``).

    Returns
    -------
    network : SetSurrogate or PerSampleSurrogate
        A new, untrained network.

    Raises
    ------
    ValueError
        If ``architecture`` is not a known name.

    Examples
    --------
    >>> from sklearn_surrogate.learned._networks import build_surrogate
    >>> net = build_surrogate("set", pairwise=True)
    >>> type(net).__name__, net.config()["pairwise"]
    ('SetSurrogate', True)
    >>> build_surrogate("per_sample", width=8).config()
    {'width': 8}
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {sorted(ARCHITECTURES)}, got {architecture!r}.")
    return ARCHITECTURES[architecture](**params)


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value):
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


# architecture -> {argument: (type test, range test, what is allowed, conversion to the plain Python type)}
_ARGUMENT_RULES = {
    "set": {
        "n_bins": (_is_int, lambda v: v >= 2, "an int >= 2", int),
        "width": (_is_int, lambda v: v >= 1, "an int >= 1", int),
        "pairwise": (lambda v: isinstance(v, (bool, np.bool_)), lambda v: True, "a bool", bool),
        "pair_temperature": (_is_real, lambda v: math.isfinite(v) and v > 0, "a finite float > 0", float),
        "soft_auc": (lambda v: isinstance(v, (bool, np.bool_)), lambda v: True, "a bool", bool),
    },
    "per_sample": {
        "width": (_is_int, lambda v: v >= 1, "an int >= 1", int),
    },
}


def check_architecture_params(architecture, params, name="architecture_params"):
    """Check the constructor arguments of a surrogate network before it is built.

    Nothing is coerced: ``width=16.7`` or ``pairwise="no"`` are refused
    rather than silently turned into 16 or True.

    Parameters
    ----------
    architecture : {"set", "per_sample"}
        The network.
    params : dict or None
        Its constructor arguments (None: the defaults).
    name : str, default="architecture_params"
        How the messages call ``params``.

    Returns
    -------
    params : dict
        The same arguments as plain Python ``int``, ``float`` and ``bool``
        (NumPy scalars converted), in a new dict.

    Raises
    ------
    ValueError
        If ``architecture`` is unknown, an argument is not one of the
        network's, or a value is out of range.
    TypeError
        If ``params`` is not a dict, or a value has the wrong type.

    Examples
    --------
    >>> from sklearn_surrogate.learned._networks import check_architecture_params
    >>> check_architecture_params("set", {"width": 32, "pairwise": True})
    {'width': 32, 'pairwise': True}
    >>> check_architecture_params("set", {"width": 16.7})
    Traceback (most recent call last):
    ...
    TypeError: architecture_params['width'] must be an int >= 1 for architecture='set', got 16.7 (float).
    """
    if architecture not in _ARGUMENT_RULES:
        raise ValueError(f"architecture must be one of {sorted(_ARGUMENT_RULES)}, got {architecture!r}.")
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise TypeError(f"{name} must be a dict or None, got {type(params).__name__}.")
    rules = _ARGUMENT_RULES[architecture]
    unknown = sorted(map(repr, set(params) - set(rules)))
    if unknown:
        raise ValueError(f"{name} has argument(s) {', '.join(unknown)} that architecture={architecture!r} does not "
                         f"take; its arguments are {sorted(rules)}.")
    checked = {}
    for key, value in params.items():
        of_type, in_range, allowed, convert = rules[key]
        problem = (f"{name}[{key!r}] must be {allowed} for architecture={architecture!r}, "
                   f"got {value!r} ({type(value).__name__}).")
        if not of_type(value):
            raise TypeError(problem)
        if not in_range(value):
            raise ValueError(problem)
        checked[key] = convert(value)
    return checked


def architecture_of(network):
    """The registered name of a surrogate network's class, or None."""
    return next((name for name, cls in ARCHITECTURES.items() if type(network) is cls), None)
