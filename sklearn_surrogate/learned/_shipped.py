"""Training the shipped surrogates: ``sklearn-surrogate train-surrogates`` (or ``make surrogates``).

Each shipped surrogate is :func:`learn_surrogate` with the recipe below and a
fixed seed, so the files in ``sklearn_surrogate/learned/weights`` can be
rebuilt bit for bit on the same platform and library versions (and to the same
held-out Spearman within noise elsewhere).
"""

import pathlib

from ._io import SHIPPED_METRICS, save_surrogate

__all__ = ["SHIPPED_RECIPE", "train_shipped_surrogates"]

#: class counts each shipped surrogate is learned on
MULTICLASS_COUNTS = (3, 4, 5, 6, 8, 10)
#: learn_surrogate settings shared by every shipped surrogate
SHIPPED_RECIPE = {
    "n_samples": 256,
    "n_train_sets": 4096,
    "n_test_sets": 512,
    "real_fraction": 0.5,
    "steps": 1500,
    "sets_per_step": 64,
    "lr": 3e-3,
    "gradient_penalty": 0.0,
    "temperature": 0.05,
}


#: per-metric network settings: ROC AUC is a rank metric, its set network gets the within-batch rank features
ARCHITECTURE_PARAMS = {("roc_auc", "set"): {"pairwise": True}}


def train_shipped_surrogates(output_dir=None, *, metrics=None, architectures=("set", "per_sample"), random_state=0,
                             verbose=True, **overrides):
    """Learn the shipped surrogates and write them as safetensors files.

    Parameters
    ----------
    output_dir : path-like, default=None
        Where to write ``<metric>-<architecture>.safetensors``; None writes
        into the package's ``weights`` folder (what the package ships).
    metrics : list of str, default=None
        Subset of the shipped metrics (all when None).
    architectures : tuple of str, default=("set", "per_sample")
    random_state : int, default=0
    verbose : bool, default=True
    **overrides
        Replace entries of :data:`SHIPPED_RECIPE` (e.g. ``steps=50`` for a
        quick check).

    Returns
    -------
    paths : list of pathlib.Path
    """
    from . import learn_surrogate

    metrics = list(SHIPPED_METRICS) if metrics is None else list(metrics)
    unknown = sorted(set(metrics) - set(SHIPPED_METRICS))
    if unknown:
        raise ValueError(f"Unknown shipped metric(s) {unknown}; shipped: {sorted(SHIPPED_METRICS)}.")
    unknown = sorted(set(overrides) - set(SHIPPED_RECIPE))
    if unknown:
        raise TypeError(f"Unknown recipe setting(s) {unknown}; settings: {sorted(SHIPPED_RECIPE)}.")
    folder = pathlib.Path(output_dir) if output_dir is not None else pathlib.Path(__file__).parent / "weights"
    folder.mkdir(parents=True, exist_ok=True)
    recipe = {**SHIPPED_RECIPE, **overrides}
    paths = []
    for metric in metrics:
        n_classes = 2 if SHIPPED_METRICS[metric] == "binary" else MULTICLASS_COUNTS
        for architecture in architectures:
            loss = learn_surrogate(metric, n_classes=n_classes, architecture=architecture,
                                   architecture_params=ARCHITECTURE_PARAMS.get((metric, architecture)),
                                   random_state=random_state, verbose=verbose, **recipe)
            path = folder / f"{metric}-{architecture}.safetensors"
            save_surrogate(loss, path, recipe=repr(sorted(recipe.items())))
            paths.append(path)
            if verbose:
                print(f"wrote {path} (held-out Spearman {loss.info_['held_out_spearman']:.3f}, "
                      f"{loss.info_['seconds']:.0f} s)")
    return paths
