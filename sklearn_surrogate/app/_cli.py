"""Command line: ``sklearn-surrogate [demo]`` (also ``python -m sklearn_surrogate``).

``sklearn-surrogate benchmark`` runs :func:`~sklearn_surrogate.app.run_benchmark`
then :func:`~sklearn_surrogate.app.write_report`. Its methods are the losses of
``--losses`` beside the baselines of ``--baselines``, or exactly the list of
``--methods`` (baseline and loss names mixed). The campaign of ``auto``
against the baselines, on every binary shared dataset, target F1, check-pointed
so that it resumes and grows by methods across sessions (``realmlp`` needs the
``benchmark`` extra)::

    sklearn-surrogate benchmark --methods auto cross_entropy cross_entropy+threshold hgb hgb+threshold \\
        realmlp realmlp+threshold --target f1 --jobs 2 --output-dir campaign_f1 \\
        --checkpoint-dir campaign_checkpoints/f1

the same for balanced accuracy, copying the rows of the methods that do not
aim at the target (``cross_entropy``, ``hgb``, ``realmlp``) from the F1
campaign instead of fitting them again::

    sklearn-surrogate benchmark --methods auto cross_entropy cross_entropy+threshold hgb hgb+threshold \\
        realmlp realmlp+threshold --target balanced_accuracy --jobs 2 --output-dir campaign_bacc \\
        --checkpoint-dir campaign_checkpoints/bacc --reuse-checkpoints campaign_checkpoints/f1

and on the multiclass shared datasets, target macro F1 (the ``+threshold``
methods do not apply there)::

    sklearn-surrogate benchmark --methods auto cross_entropy hgb realmlp --target f1_macro --jobs 2 \\
        --output-dir campaign_f1_macro --checkpoint-dir campaign_checkpoints/f1_macro

The campaigns of the top of the ranking and of costs (one per metric family;
the scorers are those of :data:`~sklearn_surrogate.app.TARGET_SCORERS`, and
the losses with a ``max_fpr``, ``k`` or ``cost_matrix`` take the target's):
partial AUC at FPR <= 0.1 first, then the others copying the rows that do not
depend on the target from it::

    sklearn-surrogate benchmark --methods auto cross_entropy hgb auc_square auc_margin pauc_cvar pauc_kl \\
        pauc_two_way --target partial_auc --jobs 2 --output-dir campaign_partial_auc \\
        --checkpoint-dir campaign_checkpoints/partial_auc
    sklearn-surrogate benchmark --methods auto cross_entropy hgb auc_square auc_margin pauc_cvar np_tpr_at_fpr \\
        --target tpr_at_fpr --jobs 2 --output-dir campaign_tpr_at_fpr \\
        --checkpoint-dir campaign_checkpoints/tpr_at_fpr --reuse-checkpoints campaign_checkpoints/partial_auc

and the same with ``--target precision_at_k`` (losses ``precision_at_k
soap``), ``--target average_precision`` (``soap``), ``--target
expected_cost`` (``cross_entropy+threshold hgb+threshold cost_sensitive``)
and ``--target recall_at_precision`` (the learned
``reloss_recall_at_precision``); see the benchmarks page for the commands.
"""

import argparse
import os
import sys

__all__ = ["main"]

_COMMANDS = ("demo", "train-surrogates", "benchmark")
_DEFAULT_LOSSES = ("metric=f1", "cross_entropy", "cross_entropy+threshold", "hgb+threshold")


def _count(minimum):
    """An argparse type: an integer of at least ``minimum``, else argparse's "invalid value" error (exit 2)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = "int"
    return parse


def _nonzero(text):
    """An argparse type: a non-zero integer (joblib's convention: -1 all cores, -2 all but one...)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("must not be 0; use a positive count, or -1 for all cores")
    return value


def _parser():
    from .. import __version__
    from ._methods import BASELINES, DEFAULT_BASELINES, NO_THRESHOLD_TARGETS, TARGETS

    parser = argparse.ArgumentParser(
        prog="sklearn-surrogate",
        description=(
            "Train neural networks for the metric you care about. Without a command, runs the demo "
            "(options as for 'demo')."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{demo,train-surrogates,benchmark}")
    demo = commands.add_parser(
        "demo",
        help="compare losses on an OpenML dataset (default: the shipped pc4, OpenML 1049)",
        description=(
            "Train Pipeline(preprocessing, SurrogateClassifier(loss=...)) with each loss on stratified "
            "train/test splits; print test F1, ROC AUC, balanced accuracy and fit time, and save demo.csv "
            "and demo.png."
        ),
    )
    demo.add_argument(
        "--dataset",
        default=None,
        help="OpenML dataset id or name, loaded with sklearn.datasets.fetch_openml (default: the shipped pc4, "
        "OpenML 1049, no network)",
    )
    demo.add_argument("--data-home", default=None, help="fetch_openml's cache folder (default: scikit-learn's)")
    demo.add_argument(
        "--loss",
        action="append",
        dest="losses",
        default=None,
        metavar="NAME",
        help="method: a registered loss name, metric=<metric>, hgb, or any of these with +threshold; repeat for "
        f"several (default: {', '.join(_DEFAULT_LOSSES)})",
    )
    demo.add_argument(
        "--output-dir", default="demo_output", help="folder for demo.csv and demo.png (default: %(default)s)"
    )
    demo.add_argument("--no-plot", action="store_true", help="do not save the PNG plot")
    demo.add_argument(
        "--random-state", type=_count(0), default=0, help="seed of the splits and networks (default: %(default)s)"
    )
    demo.add_argument("--n-repeats", type=_count(1), default=5,
                      help="number of stratified splits (default: %(default)s)")
    demo.add_argument("--max-iter", "--max-epochs", dest="max_iter", type=_count(1), default=200,
                      help="training epochs per fit, the estimator's max_iter (--max-epochs: its old name; "
                           "default: %(default)s)")
    demo.add_argument(
        "--threads", type=int, default=1,
        help="torch threads while training; 0 keeps torch's default, -1 uses all cores, -2 all but one...; more than "
             "the cores is lowered to their number, with a warning (default: 1)"
    )
    demo.set_defaults(command_parser=demo)
    train = commands.add_parser(
        "train-surrogates",
        help="re-learn the shipped ReLoss surrogates (seeded; minutes per surrogate)",
        description=(
            "Learn the shipped relational surrogates (F1, ROC AUC, balanced accuracy, accuracy, MCC, recall at "
            "precision 0.8; macro F1) with "
            "the fixed recipe and seed, and write them as safetensors files."
        ),
    )
    train.add_argument("--output-dir", default=None,
                       help="folder for the .safetensors files (default: the package's weights folder)")
    train.add_argument("--metric", action="append", dest="metrics", default=None, metavar="NAME",
                       help="shipped metric to learn; repeat for several (default: all)")
    train.add_argument("--architecture", action="append", dest="architectures", default=None,
                       choices=("set", "per_sample"), help="network(s) to learn (default: both)")
    train.add_argument("--steps", type=_count(1), default=None, help="override the recipe's Adam steps")
    train.add_argument("--random-state", type=_count(0), default=0, help="seed (default: %(default)s)")
    train.add_argument("--threads", type=int, default=0,
                       help="torch threads; 0 keeps torch's default, -1 uses all cores, -2 all but one...; more than "
                            "the cores is lowered to their number, with a warning (default: %(default)s)")
    train.set_defaults(command_parser=train)
    bench = commands.add_parser(
        "benchmark",
        help="surrogate losses and auto vs cross-entropy, tuned thresholds, MLPClassifier, gradient boosting "
             "and RealMLP",
        description=(
            "Repeated stratified cross-validation of every method on OpenML datasets (the shared offline copies "
            "when present, else fetch_openml): a CSV of every fold, a markdown report with mean +- sd, mean ranks, "
            "Wilcoxon win/tie/loss against each baseline and median fit times, and plots."
        ),
    )
    bench.add_argument("--quick", action="store_true",
                       help="two small datasets (kc2, diabetes: shared copies, else fetch_openml), 5 x 2 folds, losses f1 and "
                            "reloss_f1 (55 s on an idle 2-core machine, 31 s with --jobs 2)")
    bench.add_argument("--datasets", nargs="+", default=None, metavar="ID_OR_NAME",
                       help="OpenML ids or names (default: every binary shared dataset; every multiclass one for "
                            "--target f1_macro)")
    bench.add_argument("--losses", nargs="*", default=None, metavar="NAME",
                       help="registered loss names, reloss_<metric> included (default: f1 reloss_f1; none when "
                            "given without names)")
    bench.add_argument("--baselines", nargs="*", default=None, metavar="NAME",
                       help=f"baselines to run beside the losses, among {', '.join(BASELINES)} (default: "
                            f"{' '.join(DEFAULT_BASELINES)}, without the +threshold ones for the targets a threshold "
                            f"does not change, {', '.join(NO_THRESHOLD_TARGETS)}; none when given without names; "
                            "realmlp needs "
                            "pip install sklearn-surrogate[benchmark])")
    bench.add_argument("--methods", nargs="+", default=None, metavar="NAME",
                       help="exactly these methods, baselines and loss names mixed (instead of --losses and "
                            "--baselines); the baselines run and are reported first")
    bench.add_argument("--reference", default=None, metavar="METHOD",
                       help="the method the report compares with every other one, and whose median fit time it "
                            "divides by cross_entropy+threshold's (default: auto when it runs)")
    bench.add_argument("--repeats", type=_count(1), default=None, help="cross-validation repeats (default: 5)")
    bench.add_argument("--splits", type=_count(2), default=None, help="folds per repeat (default: 2)")
    bench.add_argument("--target", default="f1", choices=TARGETS,
                       help="metric the tuned thresholds, the auto method, the losses' options and the report aim "
                            "at; f1_macro is for multiclass datasets; partial_auc (FPR <= 0.1), tpr_at_fpr (FPR "
                            "0.05), precision_at_k (top 5 %%), average_precision and expected_cost (FN 5, FP 1) for "
                            "binary ones (default: %(default)s)")
    bench.add_argument("--jobs", type=_nonzero, default=1,
                       help="parallel fits; -1 uses all cores (default: %(default)s)")
    bench.add_argument("--output-dir", default="benchmark_output", help="results folder (default: %(default)s)")
    bench.add_argument("--checkpoint-dir", default=None, metavar="FOLDER",
                       help="folder of the per-dataset checkpoints, rewritten after every fit and reused by any "
                            "later run with the same seed, folds per repeat and target, whatever its methods "
                            "(default: <output-dir>/datasets)")
    bench.add_argument("--reuse-checkpoints", nargs="+", default=None, metavar="FOLDER",
                       help="checkpoint folders of campaigns with another target (same seed and folds per repeat): "
                            "their rows of the methods that do not aim at the target (hgb, realmlp, "
                            "cross_entropy, the losses) are copied instead of fitted again")
    bench.add_argument("--data-home", default=None, help="fetch_openml's cache folder")
    bench.add_argument("--shared-dir", default=None, metavar="FOLDER",
                       help="folder of the shared offline OpenML copies (its MANIFEST.tsv lists them; default: "
                            "$SKLEARN_SURROGATE_SHARED_DATASETS, else the nearest shared/datasets folder; "
                            "SKLEARN_SURROGATE_SHARED_DATASETS=off reads every dataset through fetch_openml)")
    bench.add_argument("--random-state", type=_count(0), default=0, help="seed (default: %(default)s)")
    bench.add_argument("--no-plot", action="store_true", help="do not save the plots")
    bench.set_defaults(command_parser=bench)
    return parser


def _check_output(args, option, path):
    """Refuse an output folder that cannot be used, before any work: ``error: ...`` on stderr and exit 2."""
    from ._paths import check_output_dir

    try:
        check_output_dir(path)
    except ValueError as exc:
        args.command_parser.error(f"argument {option}: {exc}")


def _threads(args):
    """``--threads`` as the estimator's ``n_threads`` reads it: None for 0, negatives from the cores, at most the cores.

    A count above the cores is lowered with a warning, as ``SurrogateClassifier(n_threads=...)`` does.
    """
    from joblib import cpu_count

    from .._torch_utils import resolve_n_threads

    if not args.threads:
        return None
    cores = cpu_count()
    if args.threads > cores:
        print(f"warning: --threads {args.threads} is more than the {cores} usable cores of this machine; using "
              f"{cores} threads (--threads -1 uses all cores).", file=sys.stderr)
        return cores
    return resolve_n_threads(args.threads)


def _benchmark(args):
    import pathlib
    import time

    from ..datasets import shared_manifest
    from ._methods import BASELINES
    from ._report import write_report
    from ._runner import QUICK, run_benchmark

    output = pathlib.Path(args.output_dir)  # the folders first: nothing is loaded before they are known good
    _check_output(args, "--output-dir", output)
    if args.checkpoint_dir is None:
        _check_output(args, "--checkpoint-dir (default: <output-dir>/datasets)", output / "datasets")
    else:
        _check_output(args, "--checkpoint-dir", args.checkpoint_dir)
    for folder in args.reuse_checkpoints or ():  # a mistyped folder would silently reuse nothing
        if not os.path.isdir(folder):
            args.command_parser.error(f"argument --reuse-checkpoints: {os.fspath(folder)!r} is not a folder.")
    settings = dict(QUICK) if args.quick else {"losses": ["f1", "reloss_f1"], "n_repeats": 5, "n_splits": 2}
    if args.datasets:
        settings["datasets"] = args.datasets
    elif "datasets" not in settings:
        try:
            manifest = shared_manifest(args.shared_dir)
        except FileNotFoundError as exc:
            print(f"error: {exc} Or pass --datasets with OpenML ids or names (fetched online).", file=sys.stderr)
            return 1
        # the macro F1 is the target of multiclass campaigns; the others of binary ones
        kind = (manifest["n_classes"] > 2) if args.target == "f1_macro" else (manifest["n_classes"] == 2)
        settings["datasets"] = list(manifest[kind].sort_values("n_rows")["name"])
    if args.methods is not None:
        if args.losses is not None or args.baselines is not None:
            args.command_parser.error("--methods names every method; give it without --losses and --baselines.")
        settings["baselines"] = [name for name in args.methods if name in BASELINES]
        settings["losses"] = [name for name in args.methods if name not in BASELINES]
    if args.baselines is not None:  # run_benchmark refuses unknown names with a ValueError
        settings["baselines"] = list(args.baselines)
    for key, value in [("losses", args.losses), ("n_repeats", args.repeats), ("n_splits", args.splits)]:
        if value is not None:
            settings[key] = value
    if args.reference is not None:
        from ._methods import default_baselines, method_names

        baselines = settings.get("baselines")
        planned = method_names(settings["losses"], default_baselines(args.target) if baselines is None else baselines)
        if args.reference not in planned:
            args.command_parser.error(f"argument --reference: {args.reference!r} is not among the methods that run "
                                      f"({', '.join(planned)}).")
    start = time.perf_counter()
    try:
        scores, timings = run_benchmark(**settings, target=args.target, random_state=args.random_state,
                                        data_home=args.data_home, shared_dir=args.shared_dir, n_jobs=args.jobs,
                                        checkpoint_dir=args.checkpoint_dir or output / "datasets",
                                        reuse_checkpoint_dirs=args.reuse_checkpoints)
    except (ValueError, FileNotFoundError, RuntimeError, ImportError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    minutes = (time.perf_counter() - start) / 60
    title = (f"Benchmark: {len(settings['datasets'])} datasets, {settings['n_repeats']} x {settings['n_splits']}-fold "
             f"stratified CV, target {args.target}")
    try:
        text = write_report(scores, timings, output, target=args.target, title=title, plots=not args.no_plot,
                            reference=args.reference)
    except ValueError as exc:  # a --reference that did not run
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(text)
    print(f"({minutes:.1f} min with {args.jobs} job(s); results in {output}/)")
    return 0


def _train_surrogates(args):
    import pathlib

    import torch

    from ..learned import _shipped
    from ..learned._shipped import train_shipped_surrogates

    default = pathlib.Path(_shipped.__file__).parent / "weights"  # where output_dir=None writes
    _check_output(args, "--output-dir" if args.output_dir else "--output-dir (default: the package's weights folder)",
                  args.output_dir or default)
    threads = _threads(args)
    if threads is not None:
        torch.set_num_threads(threads)
    overrides = {} if args.steps is None else {"steps": args.steps}
    try:
        train_shipped_surrogates(args.output_dir, metrics=args.metrics,
                                 architectures=tuple(args.architectures or ("set", "per_sample")),
                                 random_state=args.random_state, **overrides)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments (``sys.argv[1:]`` when None). Without a command, the
        arguments are those of ``demo``.

    Returns
    -------
    status : int
        0 on success, 1 when the demo or the benchmark fails (dataset
        unavailable, unknown method, missing optional dependency...), 2 for
        an unknown loss of the demo.

    Raises
    ------
    SystemExit
        With status 2, after ``error: ...`` on stderr, for arguments that
        are refused before any work: a bad count, an output folder that is
        a file, cannot be written into or cannot be created, conflicting
        options (argparse's convention).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in _COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["demo", *argv]
    args = _parser().parse_args(argv)
    if args.command == "train-surrogates":
        return _train_surrogates(args)
    if args.command == "benchmark":
        return _benchmark(args)

    from ._demo import run_demo
    from ..losses import get_loss_names

    losses = args.losses or list(_DEFAULT_LOSSES)
    def known(name):
        base = name[: -len("+threshold")] if name.endswith("+threshold") else name
        return name.startswith("metric=") or base == "hgb" or base in get_loss_names()

    _check_output(args, "--output-dir", args.output_dir)
    n_threads = _threads(args)
    unknown = [name for name in losses if not known(name)]
    if unknown:
        print(
            f"error: unknown loss {', '.join(map(repr, unknown))}; registered: {', '.join(get_loss_names())} "
            "(or metric=<metric>, hgb, and any of them with +threshold)",
            file=sys.stderr,
        )
        return 2
    try:
        run_demo(
            args.dataset,
            data_home=args.data_home,
            losses=losses,
            n_repeats=args.n_repeats,
            random_state=args.random_state,
            max_iter=args.max_iter,
            n_threads=n_threads,
            output_dir=args.output_dir,
            plot=not args.no_plot,
        )
    except (RuntimeError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
