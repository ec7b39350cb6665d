"""Epoch time of the ranking and cost losses (issue 19) relative to cross-entropy, at batch 4096 on the CPU.

Usage::

    python benchmarks/bench_ranking_losses.py [--epochs 12] [--repeats 3] [--threads 2] [--batch-size 4096]
                                              [--output benchmarks/results/ranking_losses_cpu.md]

The same measurement as the ``losses`` section of ``bench_speed.py``, for the
new losses only: ``SurrogateClassifier`` with an MLP 100-100 on 20,000 x 30
binary data (20 % positives), every default of each loss; each fit's median
epoch time (epochs 2..E) over that of a cross-entropy fit run just before it
(so load that drifts over minutes cancels within a pair), median over the
repeats. All timings come from this one run. Target: at most 1.25x.
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_speed import HIDDEN, _loss_ratios, make_data  # noqa: E402

LOSSES = ["pauc_cvar", "pauc_kl", "pauc_two_way", "soap", "precision_at_k", "np_tpr_at_fpr", "cost_sensitive",
          "auc_squared_hinge"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
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
    text = "\n".join(lines)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
