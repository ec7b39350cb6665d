"""Design runs behind ``SurrogateClassifier(metric=...)``: which loss, network and budget its defaults take.

Each configuration of the metric-first estimator (the cross-fitted ensemble
with a tuned threshold) is compared, on the same folds, with the baselines a
user would pick: cross-entropy + a tuned threshold and gradient boosting + a
tuned threshold (both :class:`~sklearn.model_selection.TunedThresholdClassifierCV`
on a 25 % hold-out, refitted, as in the benchmark runner). Every method sees
the runner's preprocessing. Scores go to ``results/auto_design_centred.csv``
(one row per dataset, fold, configuration and target, with the positives in
the training fold and the fit time), which the rule of ``loss="auto"`` is
derived from. ``results/auto_design.csv`` and ``results/auto_design_bacc.csv``
hold the earlier runs, made before the piecewise-linear encoding was centred
(``auto`` there was the ensemble with its loss rule of the time).

Run: ``python benchmarks/auto_design.py [--datasets a,b] [--configs x,y] [--target f1] [--folds 3]``
(needs the shared datasets). Rows already in the CSV are not recomputed.
"""

import argparse
import os
import pathlib
import time
import warnings

import numpy as np
import pandas as pd

RESULTS = pathlib.Path(__file__).parent / "results" / "auto_design_centred.csv"
SMALL_BINARY = ["kc2", "diabetes", "credit-g", "credit-approval", "pc1", "banknote-authentication", "qsar-biodeg",
                "pc4", "yeast_me2", "pc3", "steel-plates-fault", "kc1", "abalone_19", "spambase", "wine_quality",
                "churn", "phoneme"]


def configs(target):
    from sklearn_surrogate import SurrogateClassifier

    def auto(**kw):
        return lambda seed: SurrogateClassifier(metric=target, random_state=seed, **kw)

    return {
        "auto": auto(),
        "auto_auc_margin": auto(loss="auc_margin"),
        "auto_f1loss": auto(loss="f1"),
        "auto_auc_margin_256": auto(loss="auc_margin", hidden_layer_sizes=(256, 256)),
        "auto_lr3e-3": auto(learning_rate_init=3e-3),
        "auto_lr3e-4": auto(learning_rate_init=3e-4),
        "auto_wd1e-4": auto(optimizer="adamw", weight_decay=1e-4),
        "auto_auc_margin_k8": auto(loss="auc_margin", n_members=8),
        "auto_drop": auto(dropout=0.1),
        "auto_wd": auto(optimizer="adamw", weight_decay=1e-2),
        "auto_patience20": auto(n_iter_no_change=20),
        "auto_cross_entropy": auto(loss="cross_entropy"),
        "auto_cross_entropy_256": auto(loss="cross_entropy", hidden_layer_sizes=(256, 256)),
        # the same ensemble with its threshold tuned by scikit-learn's refitting wrapper instead of out of fold
        "auto_ttcv": lambda seed: _tuned(SurrogateClassifier(metric=target, threshold=0.5, random_state=seed), seed,
                                         target),
    }


def _tuned(estimator, seed, target):
    from sklearn.model_selection import StratifiedShuffleSplit, TunedThresholdClassifierCV

    cv = StratifiedShuffleSplit(n_splits=1, test_size=0.25, random_state=seed)
    return TunedThresholdClassifierCV(estimator, scoring=target, cv=cv, refit=True, random_state=seed)


def baseline(name, seed, target):
    from sklearn_surrogate.app import make_method

    return make_method(name, random_state=seed, target=target)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=",".join(SMALL_BINARY))
    parser.add_argument("--configs", default="auto,cross_entropy+threshold,hgb+threshold")
    parser.add_argument("--target", default="f1")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()

    import torch
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline

    from sklearn_surrogate.app import load_dataset, score_predictions
    from sklearn_surrogate.datasets import make_preprocessor

    torch.set_num_threads(1)
    out = pathlib.Path(args.output)
    done = pd.read_csv(out) if out.exists() else pd.DataFrame(columns=["dataset", "fold", "config", "target"])
    table = configs(args.target)
    for name in args.datasets.split(","):
        _, _, X, y = load_dataset(name)
        cv = StratifiedKFold(args.folds, shuffle=True, random_state=0)
        for fold, (train, test) in enumerate(cv.split(X, y)):
            for config in args.configs.split(","):
                key = (done["dataset"] == name) & (done["fold"] == fold) & (done["config"] == config) & (
                    done["target"] == args.target)
                if key.any():
                    continue
                seed = 1000 * fold + 7
                estimator = table[config](seed) if config in table else baseline(config, seed, args.target)
                model = make_pipeline(make_preprocessor(X.iloc[train]), estimator)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X.iloc[train], y[train])
                seconds = time.perf_counter() - start
                proba = model.predict_proba(X.iloc[test])
                scores = score_predictions(y[test], model.predict(X.iloc[test]), proba)
                row = {"dataset": name, "fold": fold, "config": config, "target": args.target,
                       "n_train": len(train), "n_pos_train": int(y[train].sum()), "fit_seconds": seconds, **scores}
                done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
                out.parent.mkdir(parents=True, exist_ok=True)
                done.to_csv(out, index=False, float_format="%.6g")
                print(name, fold, config, f"f1={scores['f1']:.3f} bacc={scores['balanced_accuracy']:.3f} "
                      f"t={seconds:.1f}s", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
