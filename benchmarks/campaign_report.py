"""Report a benchmark campaign from its checkpoint folders, without fitting anything.

A campaign (``sklearn-surrogate benchmark --methods ... --checkpoint-dir ...``)
may run its methods in several processes, each with its own checkpoint folder
(RealMLP, the slowest, in one; the rest in another), and across sessions. This
script reads every ``<dataset>.csv`` of the given folders, keeps the datasets
on which every requested method has all its folds (and says which are left
out), and writes the runner's report (``write_report``: mean scores and ranks,
head-to-head of ``auto`` against every method, win/tie/loss, median fit times,
the auto / cross_entropy+threshold ratio and, where the checkpoints record
them, the environments the rows were fitted in) into ``--output``.

Run::

    python benchmarks/campaign_report.py --target f1 --output benchmarks/results/campaign_f1 \\
        --checkpoints benchmarks/results/campaign_f1/datasets benchmarks/results/campaign_f1/realmlp \\
        --methods auto cross_entropy cross_entropy+threshold hgb hgb+threshold
"""

import argparse
import json
import pathlib

import pandas as pd


def read_checkpoints(folders, target):
    """Every row of the folders' checkpoints computed for ``target`` (one frame)."""
    frames = []
    for folder in folders:
        for csv in sorted(pathlib.Path(folder).glob("*.csv")):
            settings = json.loads(csv.with_suffix(".json").read_text(encoding="utf-8"))
            if settings["target"] != target:
                raise ValueError(f"{csv} was computed for target {settings['target']!r}, not {target!r}.")
            frames.append(pd.read_csv(csv))
    rows = pd.concat(frames, ignore_index=True)
    return rows.drop_duplicates(subset=["dataset", "repeat", "fold", "method"], keep="first")


def complete_datasets(rows, methods, n_folds):
    """The datasets where each method has ``n_folds`` rows, and the others with what they miss."""
    counts = rows[rows["method"].isin(methods)].groupby(["dataset", "method"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=methods, fill_value=0)
    done = counts.index[(counts >= n_folds).all(axis=1)].tolist()
    missing = {name: [m for m in methods if counts.loc[name, m] < n_folds] for name in counts.index if name not in done}
    return done, missing


def main(argv=None):
    from sklearn_surrogate.app import write_report

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoints", nargs="+", required=True, metavar="FOLDER")
    parser.add_argument("--methods", nargs="+", required=True)
    parser.add_argument("--target", default="f1")
    parser.add_argument("--folds", type=int, default=10,
                        help="folds per method and dataset (default: 10, the runner's 5 x 2)")
    parser.add_argument("--output", required=True)
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)

    rows = read_checkpoints(args.checkpoints, args.target)
    done, missing = complete_datasets(rows, args.methods, args.folds)
    if not done:
        raise SystemExit("No dataset has every method's folds yet.")
    rows = rows[rows["dataset"].isin(done) & rows["method"].isin(args.methods)]
    order = {name: i for i, name in enumerate(args.methods)}
    rows = rows.sort_values(["dataset", "repeat", "fold", "method"], key=lambda c: c.map(order) if c.name == "method"
                            else c).reset_index(drop=True)
    keys = ["dataset", "repeat", "fold", "method"]
    scheme = f"{rows['repeat'].nunique()} x {rows['fold'].nunique()} CV"  # repeats x folds per repeat, as fitted
    title = args.title or f"Campaign: {len(done)} datasets, {args.folds} folds ({scheme}), target {args.target}"
    timing_columns = [*keys, "fit_seconds", *(["environment"] if "environment" in rows else [])]
    text = write_report(rows.drop(columns=timing_columns[4:]), rows[timing_columns], args.output,
                        target=args.target, title=title, plots=True)
    if missing:
        note = "\n\n## Not yet in this report\n\n" + "\n".join(
            f"- {name}: {', '.join(methods)} unfinished" for name, methods in sorted(missing.items())) + "\n"
        with open(pathlib.Path(args.output) / "report.md", "a", encoding="utf-8") as handle:
            handle.write(note)
        text += note
    print(text)


if __name__ == "__main__":
    main()
