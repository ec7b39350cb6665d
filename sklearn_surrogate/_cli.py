"""Command line: ``sklearn-surrogate demo`` (also ``python -m sklearn_surrogate``)."""

import argparse
import sys

__all__ = ["main"]


def _parser():
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="sklearn-surrogate",
        description="Train neural networks for the metric you care about. Without a command, runs the demo.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser(
        "demo", help="compare losses on an OpenML dataset (default: the shipped pc4, OpenML 1049)"
    )
    demo.add_argument("--dataset", default=None, help="OpenML dataset id or name (fetched with fetch_openml)")
    demo.add_argument("--data-home", default=None, help="fetch_openml cache folder")
    demo.add_argument(
        "--loss", action="append", dest="losses", default=None,
        help="registered loss name; repeat for several (default: cross_entropy and f1)",
    )
    demo.add_argument("--output-dir", default="demo_output", help="where demo.csv and demo.png go")
    demo.add_argument("--no-plot", action="store_true", help="do not save the PNG plot")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--max-epochs", type=int, default=200)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command is None:
        args = _parser().parse_args(["demo", *(argv if argv is not None else sys.argv[1:])])
    from ._demo import run_demo
    from .losses import get_loss_names

    losses = args.losses or ["cross_entropy", "f1"]
    unknown = [name for name in losses if name not in get_loss_names()]
    if unknown:
        print(f"Unknown loss(es) {unknown}; registered: {', '.join(get_loss_names())}", file=sys.stderr)
        return 2
    try:
        run_demo(
            args.dataset,
            data_home=args.data_home,
            losses=losses,
            random_state=args.random_state,
            max_epochs=args.max_epochs,
            output_dir=args.output_dir,
            plot=not args.no_plot,
        )
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
