"""Fast evaluation of a frozen set surrogate: its per-sample network read from a table.

A :class:`~sklearn_surrogate.learned._networks.SetSurrogate` without rank
features embeds each (sample, class) pair with an MLP ``phi`` of features that
depend on one number only, the probability ``p`` (``p``, its log-odds and a soft
histogram of ``p``). Once the network is frozen, ``phi`` is a fixed curve of
the log-odds ``z = logit(p)``: it is computed once on a grid of ``G`` nodes and
read back by linear interpolation. The pooling that follows is a weighted mean
of those rows over a class's members (and one over its non-members), and the
first layer of ``psi`` is linear in these means, so that layer is folded into
the table: a table row is already that layer's contribution of one sample.

What remains per batch is one weighted sum of table rows (two per sample and
class, with :func:`torch.nn.functional.embedding_bag`), the small ``psi`` and
``rho`` heads on ``K`` rows, and in the backward pass one gather of table rows.
Forward and backward are written out in one :class:`torch.autograd.Function`:
at a batch of 256 the count of tensor operations, not their arithmetic, sets
the cost, and autograd over the network's few hundred small operations cost
more than the network itself.

A network with ``soft_auc=True`` (the shipped ROC AUC surrogate) also gives
``psi`` each class's soft one-vs-rest ROC AUC, one number per batch that no
table holds. On a binary problem both classes see the same number (class 0's
members are the negatives, whose class-0 log-odds is minus class 1's: the same
pairs, ordered the same way), so it weighs one more table row of ``psi``'s first
layer, and its gradient joins the hand-written backward: all (positive,
negative) pairs up to 512 samples, the network's grid of the log-odds above.

The value differs from the exact network's by the interpolation error, about
1e-4 of the surrogate's range with the default 2,048 nodes, and the gradient's
direction by well under 1 % (``tests/test_tabulated.py``).
"""

import copy

import torch
import torch.nn.functional as F

from . import _networks
from ._networks import P_MIN as _P_MIN
from ._networks import Z_MAX, SetSurrogate, _binned_soft_auc, _comparison_matrix, _grid_position

__all__ = ["GRID_SIZE", "TabulatedSetSurrogate", "can_tabulate"]

GRID_SIZE = 2048


def can_tabulate(network, n_classes=2):
    """Whether ``network`` can be evaluated by :class:`TabulatedSetSurrogate` on ``n_classes`` classes.

    Parameters
    ----------
    network : torch.nn.Module
    n_classes : int, default=2

    Returns
    -------
    bool
        True for a :class:`SetSurrogate` without rank features: a ``pairwise``
        one feeds ``phi`` the whole batch, which no table of one number holds.
        One with ``soft_auc`` is tabulated on binary problems only (the
        batch's soft ROC AUC is computed alongside the tables).
    """
    return (type(network) is SetSurrogate and not network.pairwise
            and (not network.soft_auc or n_classes == 2))


def _silu_grad(grad, pre):
    return torch.ops.aten.silu_backward(grad, pre)


class _Tables:
    """The table layouts shared by :class:`TabulatedSetSurrogate` and the rank surrogate's tables
    (``_tabulated_ranks.py``): rows per grid node with their slopes, and ``rho``'s first layer per class."""

    def _grid(self, network, dtype, device, grid_size):
        """Set the grid's settings; return a float64 copy of ``network`` and, at the grid's nodes, the log-odds,
        the probabilities and their soft histograms."""
        self.dtype = dtype
        self.device = torch.device(device)
        self.grid_size = G = int(grid_size)
        self.width = network.width
        self.step = 2.0 * Z_MAX / (G - 1)
        with torch.no_grad():
            exact = copy.deepcopy(network).to(torch.float64).cpu()
            z = torch.linspace(-Z_MAX, Z_MAX, G, dtype=torch.float64)
            p = torch.sigmoid(z)
            return exact, z, p, exact._histogram(p)

    def _store(self, tables):
        """Keep ``tables`` in the computation's precision and device, and the small constants every read uses."""
        for name, value in tables.items():
            setattr(self, name, value.detach().to(dtype=self.dtype, device=self.device).contiguous())
        self.one = torch.ones(1, dtype=self.dtype, device=self.device)
        self.first_bag = torch.zeros(1, dtype=torch.long, device=self.device)
        self.offset = torch.tensor(Z_MAX / self.step, dtype=self.dtype, device=self.device)
        self._rho_by_classes = {}

    @staticmethod
    def _rows(nodes, *extra):
        """Nodes, then each node's difference with the next (the last repeated), then ``extra`` rows."""
        return torch.cat([nodes, slopes(nodes), *extra])

    def _binary_rows(self, members, others, share_row, bias_row):
        """The table of a binary problem, where class 0's log-odds is minus class 1's: its table read backwards.

        A node's row holds psi's first layer for class 0, then for class 1:
        the first G rows are for a sample of label 0 (a member of class 0, a
        non-member of class 1), the next G for label 1. Then their slopes,
        then the rows of label 0's share, label 1's share, and the bias.
        """
        zero = torch.zeros_like(share_row)
        nodes = torch.cat([torch.cat([members.flip(0), others], dim=1),
                           torch.cat([others.flip(0), members], dim=1)])
        return self._rows(nodes, torch.cat([share_row, zero])[None], torch.cat([zero, share_row])[None],
                          torch.cat([bias_row, bias_row])[None])

    def _rho_rows(self, K):
        """rho's first layer over the K classes' stacked embeddings: (K width, width) and its transpose."""
        if K not in self._rho_by_classes:
            if K == 2:  # [mean, class 1] = [(h0 + h1) / 2, h1]
                blocks = [self.rho_mean / 2, self.rho_mean / 2 + self.rho_positive]
            else:  # the second half repeats the mean
                blocks = [(self.rho_mean + self.rho_positive) / K] * K
            rows = torch.cat([block.T for block in blocks], dim=0)
            self._rho_by_classes[K] = (rows, rows.T.contiguous())
        return self._rho_by_classes[K]



def slopes(nodes):
    """Each node's difference with the next one (0 for the last)."""
    return torch.cat([nodes[1:] - nodes[:-1], torch.zeros_like(nodes[:1])])


class TabulatedSetSurrogate(_Tables):
    """A frozen :class:`SetSurrogate` evaluated from tables of its per-sample network.

    Computes the network's value on a batch of logits, and its gradient with
    respect to them, up to linear interpolation of ``phi`` along the log-odds
    (see the module docstring), at a fraction of the cost. The tables are a
    snapshot: if the network's weights change, build a new object.

    Parameters
    ----------
    network : SetSurrogate
        A set surrogate without rank features (``pairwise=False``).
    dtype : torch.dtype, default=torch.float32
        Precision of the tables and of the computation.
    device : str or torch.device, default="cpu"
    grid_size : int, default=2048
        Nodes of the grid over the log-odds, from ``logit(1e-6)`` to
        ``logit(1 - 1e-6)`` (the network's own clamp of the probabilities).

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.learned import load_surrogate
    >>> from sklearn_surrogate.learned._io import shipped_surrogate_path
    >>> from sklearn_surrogate.learned._tabulated import TabulatedSetSurrogate
    >>> network = load_surrogate(shipped_surrogate_path("f1", "set")).surrogate
    >>> fast = TabulatedSetSurrogate(network)
    >>> logits = torch.linspace(-3, 3, 8)
    >>> targets = torch.tensor([0, 0, 1, 0, 1, 1, 0, 1])
    >>> p = torch.sigmoid(logits)
    >>> exact = network(torch.stack([1 - p, p], 1), torch.nn.functional.one_hot(targets, 2).float())
    >>> bool(abs(fast(logits, targets) - exact) < 1e-3)
    True
    """

    def __init__(self, network, dtype=torch.float32, device="cpu", grid_size=GRID_SIZE):
        if not can_tabulate(network):
            raise ValueError("TabulatedSetSurrogate needs a SetSurrogate without rank features (pairwise=False), "
                             f"got {type(network).__name__}.")
        exact, z, p, hist = self._grid(network, dtype, device, grid_size)
        G, W = self.grid_size, self.width
        with torch.no_grad():
            emb = exact.phi(torch.cat([p[:, None], z[:, None] / 8.0, hist], dim=-1))  # (G, width)
            first = exact.psi[0]  # a Linear of [member mean, non-member mean, their histograms, share, (soft AUC)]
            M, B = first.weight, exact.n_bins
            members = emb @ M[:, :W].T + hist @ M[:, 2 * W:2 * W + B].T  # a member's contribution, per node
            others = emb @ M[:, W:2 * W].T + hist @ M[:, 2 * W + B:2 * W + 2 * B].T
            share_row, bias_row = M[:, 2 * W + 2 * B], first.bias
            binary_rows = self._binary_rows(members, others, share_row, bias_row)
            if exact.soft_auc:  # both classes of a binary problem see the same soft AUC (module docstring)
                binary_rows = torch.cat([binary_rows, M[:, 2 * W + 2 * B + 1].repeat(2)[None]])
            tables = {
                "rows": self._rows(torch.cat([members, others]), share_row[None], bias_row[None]),
                "binary_rows": binary_rows,
                **head_tables(exact),
            }
        self.soft_auc = exact.soft_auc
        self.temperature = exact.pair_temperature
        self._store(tables)
        self.slopes = self.rows[2 * G:4 * G]
        self.binary_slopes = self.binary_rows[2 * G:4 * G]
        as_index = dict(dtype=torch.long, device=self.device)
        self.tail_index = torch.tensor([4 * G, 4 * G + 1], **as_index)  # the share row and the bias row
        # label 0's share, label 1's share, the bias (and the soft AUC's row)
        self.binary_tail_index = torch.arange(4 * G, 4 * G + 3 + self.soft_auc, **as_index)

    def __call__(self, logits, targets, sample_weight=None, ce_weight=0.0):
        """The surrogate loss of a batch, plus ``ce_weight`` times its weighted mean cross-entropy.

        Parameters
        ----------
        logits : Tensor of shape (n,) or (n, K)
            A binary problem's logits of class 1, or the logits of K classes.
        targets : Tensor of int64, shape (n,)
            Class indices.
        sample_weight : Tensor of shape (n,), default=None
        ce_weight : float, default=0.0
            Weight of the cross-entropy term.

        Returns
        -------
        value : Tensor of shape ()
            In the dtype of ``logits``; differentiable with respect to ``logits``.
        """
        dtype = logits.dtype
        if sample_weight is not None:
            sample_weight = sample_weight.to(self.dtype)
        logits = logits.to(self.dtype)
        binary = logits.ndim == 1
        if self.soft_auc and not binary:
            raise ValueError("This TabulatedSetSurrogate holds a network with soft_auc=True, tabulated for binary "
                             f"problems only (logits of shape (n,)), got logits of shape {tuple(logits.shape)}.")
        if torch.compiler.is_compiling():  # plain differentiable operations, which the compiler fuses
            value_of = _binary_value if binary else _multiclass_value
            return value_of(logits, targets, sample_weight, self, float(ce_weight))[0].to(dtype)
        return _TableLoss.apply(logits, targets, sample_weight, self, float(ce_weight)).to(dtype)


def head_tables(exact):
    """What :func:`_heads` reads of a set network: ``psi``'s second layer and ``rho``, the output scale folded in.

    ``rho``'s first layer sees [mean over classes, positive class]; its weight is split so that
    :meth:`TabulatedSetSurrogate._rho_rows` can fold it per class.
    """
    W, rho_first, rho_last = exact.width, exact.rho[0], exact.rho[2]
    return {
        "psi_weight": exact.psi[2].weight,
        "psi_weight_t": exact.psi[2].weight.T.contiguous(),
        "psi_bias": exact.psi[2].bias,
        "rho_mean": rho_first.weight[:, :W],
        "rho_positive": rho_first.weight[:, W:],
        "rho_bias": rho_first.bias,
        "out_weight": rho_last.weight[0] * exact.output_scale,
        "out_bias": rho_last.bias[0] * exact.output_scale,
    }


def binary_cross_entropy(x, yf, w, total):
    """Mean binary cross-entropy of logits ``x`` against 0/1 floats ``yf``, weighted by ``w`` (summing to
    ``total``) when given."""
    if w is None:
        return F.binary_cross_entropy_with_logits(x, yf)
    return F.binary_cross_entropy_with_logits(x, yf, weight=w, reduction="sum") / total


def _class_weights(y, w, K, like):
    """Total weight of each class, shape (K,) (``bincount``, whose data-dependent shape a compiled graph
    cannot hold)."""
    weights = torch.ones_like(y, dtype=like.dtype) if w is None else w
    return torch.zeros(K, dtype=like.dtype, device=like.device).index_add_(0, y, weights)


def _label_weights(y, w, like):
    """A binary batch's weights: each sample's share of its label's weight, each label's share of the total, and
    the total (None without weights). A label without samples gets no share that a sample reads."""
    groups = _class_weights(y, w, 2, like)  # the weight of label 0 and of label 1
    if w is None:
        return groups.clamp_min(1e-12).reciprocal().index_select(0, y), groups * (1.0 / max(y.shape[0], 1)), None
    total = w.sum().clamp_min(1e-12)
    return groups.clamp_min(1e-12).reciprocal_().index_select(0, y) * w, groups / total, total


def _node_weights(z, table):
    """Each log-odds' lower grid node (as a float) and fraction towards the next node.

    Positions are clamped to the grid, just short of its last node, so that
    the lower node is never the last one.
    """
    u = torch.add(table.offset, z, alpha=1.0 / table.step).clamp_(0.0, table.grid_size - 1.001)
    node = u.floor()
    return node, u - node


def _gradient_scale(z, coef, table):
    """Each entry's weight per log-odds unit; 0 beyond the grid, where the network's probability clamp also
    stops the gradient."""
    return torch.where(z.abs() < Z_MAX, coef, 0.0).mul_(1.0 / table.step)


def _heads(pre1, table, K):
    """psi's second layer and rho, from psi's first-layer pre-activations (K, width)."""
    pre2 = torch.addmm(table.psi_bias, F.silu(pre1), table.psi_weight_t)
    pre3 = torch.addmv(table.rho_bias, table._rho_rows(K)[1], F.silu(pre2).view(-1))
    return torch.dot(F.silu(pre3), table.out_weight) + table.out_bias, pre2, pre3


def _heads_backward(grad, pre1, pre2, pre3, table, K):
    """Gradient of the value with respect to psi's first-layer pre-activations (K, width)."""
    g3 = _silu_grad(table.out_weight * grad, pre3)
    g2 = _silu_grad((table._rho_rows(K)[0] @ g3).view(K, -1), pre2)
    return _silu_grad(g2 @ table.psi_weight, pre1)


def _binary_value(x, y, w, table, ce_weight):
    """The tabulated surrogate's value on a binary problem's logits, plus ``ce_weight`` times the weighted mean
    binary cross-entropy, and what its backward pass needs. Differentiable with autograd, for compiled graphs."""
    G = table.grid_size
    yf = y.to(x.dtype)
    coef, shares, total = _label_weights(y, w, x)
    node, frac = _node_weights(x, table)
    index = torch.add(node, yf, alpha=G).long()  # the lower node, in the block of the sample's label
    tail, auc_state = [shares, table.one], None
    if table.soft_auc:  # the batch's soft ROC AUC weighs the last tail row
        auc, auc_state = _soft_auc(x, y, yf, coef, table)
        tail.append(auc.view(1))
    pre1 = F.embedding_bag(torch.cat([index, index + 2 * G, table.binary_tail_index]), table.binary_rows,
                           table.first_bag, mode="sum", per_sample_weights=torch.cat([coef, coef * frac, *tail]))
    value, pre2, pre3 = _heads(pre1.view(2, -1), table, 2)
    if ce_weight:
        value = torch.add(value, binary_cross_entropy(x, yf, w, total), alpha=ce_weight)
    return value, (yf, total, index, coef, (pre1.view(2, -1), pre2, pre3), auc_state)


def _soft_auc(x, y, yf, coef, table):
    """The batch's soft ROC AUC, as :meth:`SetSurrogate._soft_auc` computes it for class 1, and what its
    backward needs (None when compiling: then plain differentiable operations).

    ``coef`` is each sample's share of its label's weight. Up to
    ``_EXACT_PAIRS_UP_TO`` samples every (positive, negative) pair is compared
    (the positives and negatives are split first: a fifth of the n^2 pairs at
    20 % positives); above, the network's binned evaluation.
    """
    z = x.clamp(-Z_MAX, Z_MAX)  # the network compares the log-odds of its clamped probabilities
    binned = x.shape[0] > _networks._EXACT_PAIRS_UP_TO
    if torch.compiler.is_compiling() or binned:
        positives, negatives = coef * yf, coef * (1.0 - yf)
    if torch.compiler.is_compiling():
        if binned:
            return _binned_soft_auc(z[:, None], positives[:, None], negatives[:, None], table.temperature)[0], None
        compare = torch.sigmoid((z[:, None] - z[None, :]) * (1.0 / table.temperature))
        return positives @ compare @ negatives, None
    if binned:  # the network's grid: A = (positives' masses) . compare . (negatives' masses)
        compare = _comparison_matrix(table.temperature, x.dtype, x.device)
        node, frac = _grid_position(z[:, None], compare.shape[0])
        node, frac = node[0], frac[0]
        masses = torch.zeros(2, compare.shape[0], dtype=x.dtype, device=x.device)
        spread = torch.stack([positives, negatives])
        masses.index_add_(1, node, spread * (1.0 - frac)).index_add_(1, node + 1, spread * frac)
        below = compare @ masses[1]  # the negatives' mass below each node, soft
        return torch.dot(masses[0], below), ("binned", compare, masses, below, node, yf)
    rows, columns = torch.nonzero(y).view(-1), torch.nonzero(y == 0).view(-1)
    weight_rows, weight_columns = coef.index_select(0, rows), coef.index_select(0, columns)
    compare = torch.sigmoid(torch.sub(z.index_select(0, rows)[:, None], z.index_select(0, columns)[None, :])
                            .mul_(1.0 / table.temperature))  # [positive, negative]: the positive above, soft
    auc = torch.dot(weight_rows, compare @ weight_columns)
    return auc, ("pairs", compare, weight_rows, weight_columns, rows, columns)


def _soft_auc_slopes(state, table):
    """d soft AUC / d logit of each sample, per unit of its weight (``coef``) and of ``1 / table.step``, inside
    the grid (the caller applies both with :func:`_gradient_scale`'s factor, which is 0 beyond it)."""
    if state[0] == "binned":  # moving a sample moves its weight between its two nodes, a step apart
        compare, masses, below, node, yf = state[1:]
        above = masses[0] @ compare  # the positives' mass above each node, soft
        rank_step = 2.0 * Z_MAX / (compare.shape[0] - 1)
        return torch.where(yf.bool(), below.index_select(0, node + 1) - below.index_select(0, node),
                           above.index_select(0, node + 1) - above.index_select(0, node)).mul_(table.step / rank_step)
    compare, weight_rows, weight_columns, rows, columns = state[1:]
    slope = (compare - compare * compare).mul_(table.step / table.temperature)  # d sigmoid(d / T) / d d, x step
    slopes = torch.zeros(rows.shape[0] + columns.shape[0], dtype=compare.dtype, device=compare.device)
    slopes.index_copy_(0, rows, slope @ weight_columns)  # a positive rises above the negatives
    return slopes.index_copy_(0, columns, (weight_rows @ slope).neg_())  # a negative rises above the positives


def _binary_backward(ctx, grad):
    """d value / d logits of a binary problem, from what :class:`_TableLoss` kept."""
    x, yf, w = ctx.saved_tensors
    table, n, index = ctx.table, x.shape[0], ctx.index
    g1 = _heads_backward(grad, *ctx.pre, table, 2).view(-1)
    # d value / d fraction of each sample, per unit of its weight: read its rows, or all rows for large batches
    per_unit = (table.binary_slopes.index_select(0, index) @ g1 if n <= table.grid_size // 4
                else (table.binary_slopes @ g1).index_select(0, index))
    g_x = per_unit.mul_(ctx.scale)
    if ctx.auc_state is not None:
        g_auc = torch.dot(g1, table.binary_rows[-1])  # d value / d soft AUC
        g_x = g_x.addcmul_(_soft_auc_slopes(ctx.auc_state, table), ctx.scale * g_auc)
    if ctx.ce_weight:
        g_ce = torch.sigmoid(x) - yf
        if w is None:
            g_x = g_x.add_(g_ce, alpha=ctx.ce_weight / n * float(grad))
        else:
            g_x = g_x.addcmul_(g_ce, w * (grad * ctx.ce_weight / ctx.total))
    return g_x


def _multiclass_value(logits, y, w, table, ce_weight):
    """The tabulated surrogate's value on the logits of K >= 3 classes, plus ``ce_weight`` times the weighted
    mean cross-entropy, and what its backward pass needs. Differentiable with autograd, for compiled graphs."""
    G, (n, K) = table.grid_size, logits.shape
    P = torch.softmax(logits, dim=1)
    z = torch.logit(P, eps=_P_MIN)  # the network's clamp of the probabilities
    classes = torch.arange(K, device=z.device)
    member = y[:, None] == classes  # (n, K)
    weights = _class_weights(y, w, K, z)  # each class's weight
    total = float(n) if w is None else w.sum().clamp_min(1e-12)
    inverse = torch.stack([(total - weights).clamp_min(1e-12), weights.clamp_min(1e-12)]).reciprocal_()
    coef = torch.where(member, inverse[1], inverse[0])  # each pair's share of its group's weight (members or not)
    if w is not None:
        coef = coef * w[:, None]
    node, frac = _node_weights(z, table)
    index = torch.add(node, (~member).to(z.dtype), alpha=G).long()  # lower node, in the member or other block
    bags = torch.cat([index.T, index.T + 2 * G, table.tail_index.expand(K, 2)], dim=1)  # one bag per class
    bag_weights = torch.cat([coef.T, (coef * frac).T, (weights / total)[:, None], table.one.expand(K, 1)], dim=1)
    pre1 = F.embedding_bag(bags, table.rows, mode="sum", per_sample_weights=bag_weights)  # (K, width)
    value, pre2, pre3 = _heads(pre1, table, K)
    if ce_weight:
        ce = F.cross_entropy(logits, y, reduction="none")
        value = torch.add(value, ce.mean() if w is None else (ce @ w) / total, alpha=ce_weight)
    return value, (P, total, index, coef, (pre1, pre2, pre3))


def _multiclass_backward(ctx, grad):
    """d value / d logits of K >= 3 classes, from what :class:`_TableLoss` kept."""
    P, y, w = ctx.saved_tensors
    table, K = ctx.table, P.shape[1]
    g1 = _heads_backward(grad, *ctx.pre, table, K)
    if P.shape[0] <= table.grid_size // 4:  # read each pair's row: fewer products than the whole table's
        rows = table.slopes.index_select(0, ctx.index.view(-1)).view(*ctx.index.shape, -1)  # (n, K, width)
        g_z = torch.mul(rows, g1).sum(-1).mul_(ctx.scale)
    else:
        g_z = (table.slopes @ g1.T).gather(0, ctx.index).mul_(ctx.scale)  # (n, K): row index[i, c], column c
    g_p = torch.ops.aten.logit_backward(g_z, P, _P_MIN)  # 0 where the clamp holds
    g_logits = torch.ops.aten._softmax_backward_data(g_p, P, 1, P.dtype)
    if ctx.ce_weight:
        g_ce = P - torch.zeros_like(P).scatter_(1, y[:, None], 1.0)  # d cross-entropy / d logits
        if w is None:
            g_logits = g_logits.add_(g_ce, alpha=ctx.ce_weight / P.shape[0] * float(grad))
        else:
            g_logits = g_logits.addcmul_(g_ce, w[:, None] * (grad * ctx.ce_weight / ctx.total))
    return g_logits


class _TableLoss(torch.autograd.Function):
    """:func:`_binary_value` (logits of shape (n,)) or :func:`_multiclass_value` (n, K), forward and backward in
    one node."""

    @staticmethod
    def forward(ctx, logits, y, w, table, ce_weight):
        if logits.ndim == 1:
            value, (yf, total, index, coef, pre, ctx.auc_state) = _binary_value(logits, y, w, table, ce_weight)
            ctx.save_for_backward(logits, yf, w)
            ctx.scale = _gradient_scale(logits, coef, table)
        else:
            value, (P, total, index, coef, pre) = _multiclass_value(logits, y, w, table, ce_weight)
            ctx.save_for_backward(P, y, w)
            ctx.scale = coef.mul_(1.0 / table.step)  # the softmax's clamp is handled by logit's backward
        ctx.total, ctx.index, ctx.pre, ctx.table, ctx.ce_weight = total, index, pre, table, ce_weight
        return value

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        g_logits = _binary_backward(ctx, grad) if ctx.saved_tensors[0].ndim == 1 else _multiclass_backward(ctx, grad)
        return g_logits, None, None, None, None
