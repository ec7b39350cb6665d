"""Epoch time of SurrogateClassifier against a hand-written torch loop and skorch's default path.

Usage::

    python benchmarks/bench_speed.py [--rows 20000] [--features 30] [--epochs 10] [--threads 2]

All three train the same MLP (features -> 100 -> 100 -> 1, ReLU), with Adam (lr 1e-3),
batch 256, shuffled batches and binary cross-entropy, on the same float32 data. Each is timed
over ``--epochs`` epochs after one warm-up epoch, in this one process, and the ratios to the
hand-written loop are printed. Ratios are only comparable within one run.
"""

import argparse
import time

import numpy as np
import torch
from torch import nn


def make_module(n_features, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_features, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 1))


def raw_loop(X, y, epochs, batch_size=256):
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32))
    module = make_module(X.shape[1])
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(len(Xt), generator=generator)
        for start in range(0, len(Xt), batch_size):
            rows = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(module(Xt[rows])[:, 0], yt[rows])
            loss.backward()
            optimizer.step()

    epoch()  # warm-up
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return (time.perf_counter() - start) / epochs


def ours(X, y, epochs):
    from sklearn_surrogate import SurrogateClassifier

    def fit(n_epochs):
        clf = SurrogateClassifier(
            hidden_layer_sizes=(100, 100), max_epochs=n_epochs, batch_size=256, early_stopping=False, random_state=0
        )
        start = time.perf_counter()
        clf.fit(X, y)
        return time.perf_counter() - start, clf

    fit(1)  # warm-up
    one, _ = fit(1)
    total, clf = fit(epochs + 1)
    return (total - one) / epochs  # per-epoch, set-up cost removed


def skorch_default(X, y, epochs):
    from skorch import NeuralNetBinaryClassifier

    def fit(n_epochs):
        net = NeuralNetBinaryClassifier(
            make_module(X.shape[1]), max_epochs=n_epochs, batch_size=256, lr=1e-3,
            optimizer=torch.optim.Adam, train_split=None, iterator_train__shuffle=True, verbose=0,
        )
        start = time.perf_counter()
        net.fit(X, y.astype(np.float32))
        return time.perf_counter() - start

    fit(1)
    one = fit(1)
    return (fit(epochs + 1) - one) / epochs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, args.features)).astype(np.float32)
    y = (X[:, :5].sum(1) + rng.normal(size=args.rows) > 0).astype(np.int64)
    raw = raw_loop(X, y, args.epochs)
    results = {"hand-written torch loop": raw, "SurrogateClassifier": ours(X, y, args.epochs),
               "skorch default (DataLoader)": skorch_default(X, y, args.epochs)}
    print(f"{args.rows} x {args.features}, MLP 100-100, batch 256, {args.epochs} epochs, "
          f"{torch.get_num_threads()} torch threads")
    print("| path | s / epoch | ratio to torch loop |\n|---|---:|---:|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.3f} | {seconds / raw:.2f}x |")


if __name__ == "__main__":
    main()
