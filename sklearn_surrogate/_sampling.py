"""Orders in which a training epoch visits the rows: random, stratified, class-balanced.

Losses computed on a whole batch (confusion-matrix and AUC surrogates) learn
nothing from a batch that lacks a class. ``"stratified"`` spreads every class
evenly over the batches of an epoch (no row is repeated); ``"balanced"`` fixes
each class's share of every batch, over-sampling rare classes, as LibAUC's
``DualSampler`` does for positives.

All functions work on CPU index tensors and draw from a ``torch.Generator``.
"""

import math

import torch

__all__ = ["SAMPLING_MODES", "epoch_order"]

SAMPLING_MODES = ("random", "stratified", "balanced")


def _class_rows(y, n_classes):
    return [torch.nonzero(y == c, as_tuple=True)[0] for c in range(n_classes)]


def stratified_order(y, n_classes, generator):
    """A permutation in which each class is spread evenly over the epoch.

    Class ``c``'s rows, in random order, are placed at positions
    ``(j + u_c) / n_c`` (``j`` = rank, ``u_c`` a random offset), and all rows
    are sorted by position; so any window of ``b`` consecutive rows holds about
    ``b * n_c / n`` rows of class ``c``.
    """
    positions = torch.empty(len(y), dtype=torch.float64)
    for rows in _class_rows(y, n_classes):
        if len(rows) == 0:
            continue
        shuffled = rows[torch.randperm(len(rows), generator=generator)]
        offset = torch.rand(1, generator=generator, dtype=torch.float64)
        positions[shuffled] = (torch.arange(len(rows), dtype=torch.float64) + offset) / len(rows)
    return torch.argsort(positions, stable=True)


def _batch_counts(batch_size, shares):
    """Rows of each class per batch: ``batch_size * shares`` rounded, at least one each when possible."""
    raw = [batch_size * s for s in shares]
    counts = [int(math.floor(r)) for r in raw]
    if batch_size >= len(shares):
        counts = [max(c, 1) for c in counts]
    remainder = batch_size - sum(counts)
    order = sorted(range(len(shares)), key=lambda k: raw[k] - math.floor(raw[k]), reverse=True)
    i = 0
    while remainder > 0:
        counts[order[i % len(order)]] += 1
        remainder -= 1
        i += 1
    while remainder < 0:  # the at-least-one rule overshot: take from the largest
        k = max(range(len(counts)), key=lambda j: counts[j])
        counts[k] -= 1
        remainder += 1
    return counts


def balanced_order(y, n_classes, batch_size, generator, shares=None):
    """Rows for ``ceil(n / batch_size)`` batches, each with a fixed share of every class.

    Each class is drawn by cycling through fresh random permutations of its
    rows, so rare classes are over-sampled and frequent ones visited partly in
    each epoch (all of them over several epochs).

    Parameters
    ----------
    y : LongTensor of shape (n,)
    n_classes : int
    batch_size : int
    generator : torch.Generator
    shares : sequence of float or None
        Share of each class in a batch; None gives equal shares.

    Returns
    -------
    order : LongTensor of shape (n_batches * batch_size,)
    """
    rows_by_class = _class_rows(y, n_classes)
    present = [c for c in range(n_classes) if len(rows_by_class[c])]
    if shares is None:
        shares = [1.0 / len(present) if c in present else 0.0 for c in range(n_classes)]
    total = sum(shares[c] for c in present)
    shares = [shares[c] / total if c in present else 0.0 for c in range(n_classes)]
    batch_size = min(batch_size, len(y))
    n_batches = math.ceil(len(y) / batch_size)
    counts = _batch_counts(batch_size, [shares[c] for c in present])
    columns = []
    for c, count in zip(present, counts):
        if count == 0:
            continue
        rows = rows_by_class[c]
        needed = n_batches * count
        cycles = [rows[torch.randperm(len(rows), generator=generator)] for _ in range(math.ceil(needed / len(rows)))]
        columns.append(torch.cat(cycles)[:needed].reshape(n_batches, count))
    batches = torch.cat(columns, dim=1)
    # shuffle within each batch so classes are not in blocks (matters for nothing but tidiness)
    within = torch.argsort(torch.rand(batches.shape, generator=generator), dim=1)
    return torch.gather(batches, 1, within).reshape(-1)


def epoch_order(y, n_classes, batch_size, mode, generator, shares=None):
    """Row order of one training epoch; see the module documentation for ``mode``."""
    if mode == "random":
        return torch.randperm(len(y), generator=generator)
    if mode == "stratified":
        return stratified_order(y, n_classes, generator)
    if mode == "balanced":
        return balanced_order(y, n_classes, batch_size, generator, shares)
    raise ValueError(f"batch sampling must be one of {SAMPLING_MODES}, got {mode!r}.")
