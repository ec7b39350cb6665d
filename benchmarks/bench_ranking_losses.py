"""Epoch time of the ranking and cost losses (issue 19) relative to cross-entropy, at batch 4096 on the CPU.

Usage::

    python benchmarks/bench_ranking_losses.py [--epochs 12] [--repeats 3] [--threads 1] [--batch-size 4096]
                                              [--output benchmarks/results/ranking_losses_cpu.md]

The same measurement as the ``losses`` section of ``bench_speed.py``, for the
new losses only: ``SurrogateClassifier`` with an MLP 100-100 on 20,000 x 30
binary data (20 % positives), every default of each loss; each fit's median
epoch time (epochs 2..E) over that of a cross-entropy fit run just before it
(so load that drifts over minutes cancels within a pair), median over the
repeats. All timings come from this one run. Target: at most 1.25x.

On a loaded machine epoch times drift by more than the losses cost; a second
table therefore times each loss's forward and backward pass alone on a batch
of 4096 (20 % positives), best of ``--repeats`` interleaved rounds (the minimum
is what load cannot inflate), next to one full training step of the same MLP
with cross-entropy (forward, backward, Adam). ``step ratio`` is the step's time
with the loss in place of cross-entropy over the cross-entropy step's.
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_speed import HIDDEN, _loss_ratios, make_data  # noqa: E402

LOSSES = ["pauc_cvar", "pauc_kl", "pauc_two_way", "soap", "precision_at_k", "np_tpr_at_fpr", "cost_sensitive",
          "auc_squared_hinge"]


def _best_of(fn, repeats, calls=20):
    """Seconds per call of ``fn``: the best of ``repeats`` rounds of ``calls`` calls."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def loss_only_lines(batch_size, repeats):
    """Forward + backward time of each loss alone, and the training step it would give."""
    from sklearn_surrogate.losses import get_loss

    generator = torch.Generator().manual_seed(0)
    z = torch.randn(batch_size, generator=generator)
    y = (torch.rand(batch_size, generator=generator) < 0.2).long()
    X = torch.randn(batch_size, 30, generator=generator)
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(30, HIDDEN[0]), torch.nn.ReLU(), torch.nn.Linear(HIDDEN[0], HIDDEN[1]), torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[1], 1),
    )
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    reference = get_loss("cross_entropy")
    reference.check_input = False

    def step():
        optimizer.zero_grad()
        reference(module(X)[:, 0], y).backward()
        optimizer.step()

    def loss_call(loss):
        def call():
            logits = z.clone().requires_grad_(True)
            loss(logits, y).backward()

        return call

    losses = {name: get_loss(name) for name in ["cross_entropy"] + LOSSES}
    for loss in losses.values():
        loss.check_input = False  # as in the estimator, which validates its data once
    calls = {name: loss_call(loss) for name, loss in losses.items()}
    times = {name: float("inf") for name in calls}
    step_time = float("inf")
    for _ in range(repeats):  # interleaved rounds: every loss sees the same load
        step_time = min(step_time, _best_of(step, 1))
        for name, call in calls.items():
            times[name] = min(times[name], _best_of(call, 1))
    lines = ["", "## Loss forward + backward alone, batch " + f"{batch_size}", ""]
    lines += [(f"Best of {repeats} interleaved rounds of 20 calls, {torch.get_num_threads()} torch threads. One "
               f"training step of the MLP with cross-entropy (forward, backward, Adam): {step_time * 1e3:.2f} ms."),
              ""]
    lines += ["| loss | ms | ratio to cross-entropy's loss | step ratio |", "|---|---:|---:|---:|"]
    for name, seconds in times.items():
        step_ratio = (step_time - times["cross_entropy"] + seconds) / step_time
        lines.append(f"| {name} | {seconds * 1e3:.2f} | {seconds / times['cross_entropy']:.1f}x | "
                     f"{step_ratio:.2f}x" + ("" if step_ratio <= 1.25 else " (miss)") + " |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--output", default=None, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = {"binary": make_data(20_000, 30, positive_share=0.2)}
    ratios = _loss_ratios([(name, "binary") for name in LOSSES], data, args.batch_size, args.epochs, args.repeats)
    lines = ["## Ranking and cost losses: epoch time relative to cross-entropy", ""]
    lines += [(f"SurrogateClassifier, MLP {HIDDEN[0]}-{HIDDEN[1]}, 20,000 x 30 binary (20 % positives), batch "
               f"{args.batch_size}, every default of each loss, {torch.get_num_threads()} torch threads, CPU; "
               f"median epoch time (epochs 2..{args.epochs}) over that of a cross-entropy fit run just before it, "
               f"median of {args.repeats} repeats. Target: at most 1.25x. auc_squared_hinge (the existing sorted "
               "pairwise loss) for reference."), ""]
    lines += ["| loss | ratio to cross-entropy |", "|---|---:|"]
    for (name, _), ratio in ratios.items():
        lines.append(f"| {name} | {ratio:.2f}x" + ("" if ratio <= 1.25 else " (miss)") + " |")
    lines += loss_only_lines(args.batch_size, max(args.repeats, 5))
    text = "\n".join(lines)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
