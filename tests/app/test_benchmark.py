"""The benchmark runner: data loading, methods, scoring, determinism, statistics, report, command line."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
from sklearn.model_selection import TunedThresholdClassifierCV

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.app import (
    BASELINES,
    DEFAULT_BASELINES,
    load_dataset,
    make_method,
    mean_ranks,
    run_benchmark,
    score_predictions,
    win_tie_loss,
    write_report,
)

TINY = {"datasets": ["pc4"], "losses": ["f1"], "n_repeats": 1, "n_splits": 2,
        "baselines": ["cross_entropy", "hgb+threshold"], "verbose": False}


def test_load_dataset_serves_the_shipped_copies_offline(users_clone_offline):
    """pc4 and wine-quality-red load without the shared corpus and without a network."""
    name, openml_id, X, y = load_dataset("pc4")
    assert (name, openml_id, X.shape) == ("pc4", 1049, (1458, 37))
    assert set(np.unique(y)) == {0, 1} and y.mean() < 0.5  # 1 is the minority class
    assert np.array_equal(load_dataset(1049)[3], y)
    _, _, _, y_multi = load_dataset("wine-quality-red")
    assert set(np.unique(y_multi)) == set(range(6))


def test_offline_error_names_the_shared_folder_switches(users_clone_offline):
    with pytest.raises(RuntimeError, match="Could not load OpenML dataset 'kc2'") as info:
        load_dataset("kc2")
    message = str(info.value)
    assert "SKLEARN_SURROGATE_SHARED_DATASETS" in message and "--shared-dir" in message and "turned off" in message


def test_command_line_offline_without_shared_folder(users_clone_offline, tmp_path, capsys):
    from sklearn_surrogate.app._cli import main

    assert main(["benchmark", "--quick", "--output-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Could not load OpenML dataset 'kc2'") and "--shared-dir" in err
    assert main(["benchmark", "--output-dir", str(tmp_path)]) == 1  # the default list needs the manifest
    err = capsys.readouterr().err
    assert "turned off" in err and "--datasets" in err
    # an explicit --shared-dir wins over the switch
    folder = tmp_path / "shared"
    folder.mkdir()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"]).assign(label=(rng.random(120) < 0.3))
    frame.to_csv(folder / "toy.csv", index=False)
    (folder / "MANIFEST.tsv").write_text("name\topenml_id\tfile\ttarget\tn_classes\tn_rows\ntoy\t\ttoy.csv\tlabel\t2\t120\n")
    status = main(["benchmark", "--shared-dir", str(folder), "--losses", "f1", "--baselines", "hgb", "--repeats", "1",
                   "--no-plot", "--output-dir", str(tmp_path / "out")])
    assert status == 0 and set(pd.read_csv(tmp_path / "out" / "scores.csv")["dataset"]) == {"toy"}


@pytest.mark.shared_data
def test_load_dataset_by_name_or_id_with_the_minority_as_positive():
    name, openml_id, X, y = load_dataset("kc1")
    assert (name, openml_id) == ("kc1", 1067) and set(np.unique(y)) == {0, 1}
    assert y.mean() < 0.5  # 1 is the minority class
    name_by_id, _, X_by_id, y_by_id = load_dataset(1067)
    assert name_by_id == "kc1" and np.array_equal(y, y_by_id) and X.equals(X_by_id)
    _, _, _, y_multi = load_dataset("vehicle")
    assert set(np.unique(y_multi)) == {0, 1, 2, 3}


def test_unknown_datasets_go_through_fetch_openml(monkeypatch):
    import sklearn_surrogate.datasets as datasets

    calls = []

    def fake_load_openml(spec, data_home=None):
        calls.append((spec, data_home))
        X = pd.DataFrame({"a": np.arange(10.0)})
        return X, pd.Series(["x"] * 7 + ["y"] * 3), {"name": "fake", "openml_id": 99999}

    monkeypatch.setattr(datasets, "load_openml", fake_load_openml)
    name, openml_id, _, y = load_dataset(99999, data_home="/somewhere")
    assert calls == [(99999, "/somewhere")] and (name, openml_id) == ("fake", 99999)
    assert y.tolist() == [0] * 7 + [1] * 3


def test_methods():
    assert isinstance(make_method("cross_entropy"), SurrogateClassifier)
    tuned = make_method("hgb+threshold", target="balanced_accuracy")
    assert isinstance(tuned, TunedThresholdClassifierCV) and tuned.scoring == "balanced_accuracy"
    assert make_method("cross_entropy+threshold", n_classes=3) is None  # thresholds are binary only
    reloss = make_method("reloss_roc_auc", random_state=3)
    assert reloss.loss == "reloss" and reloss.get_params()["loss__metric"] == "roc_auc" and reloss.random_state == 3


def test_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)
    proba = rng.dirichlet([1, 1], 100)
    pred = proba.argmax(1)
    scores = score_predictions(y, pred, proba)
    assert scores["f1"] == f1_score(y, pred)
    assert scores["roc_auc"] == roc_auc_score(y, proba[:, 1])
    assert scores["average_precision"] == average_precision_score(y, proba[:, 1])
    y3 = rng.integers(0, 3, 100)
    proba3 = rng.dirichlet([1, 1, 1], 100)
    multi = score_predictions(y3, proba3.argmax(1), proba3)
    assert multi["f1"] == f1_score(y3, proba3.argmax(1), average="macro")
    assert multi["roc_auc"] == roc_auc_score(y3, proba3, multi_class="ovr")


def test_the_runner_is_deterministic_and_resumes(tmp_path):
    first, timings = run_benchmark(**TINY)
    assert len(first) == 3 * 2 and set(first["method"]) == {"cross_entropy", "hgb+threshold", "f1"}
    assert first[["f1", "roc_auc", "average_precision", "balanced_accuracy"]].notna().all().all()
    assert (timings["fit_seconds"] > 0).all()
    write_report(first, timings, tmp_path / "a", plots=False)
    second, timings = run_benchmark(**TINY, checkpoint_dir=tmp_path / "checkpoints")
    write_report(second, timings, tmp_path / "b", plots=True)
    assert (tmp_path / "a" / "scores.csv").read_bytes() == (tmp_path / "b" / "scores.csv").read_bytes()
    assert (tmp_path / "checkpoints" / "pc4.csv").exists()
    assert {"report.md", "ranks_f1.png", "datasets_f1.png", "timings.csv"} <= {p.name for p in (tmp_path / "b").iterdir()}
    # a second run reads the checkpoint instead of fitting again
    resumed, resumed_timings = run_benchmark(**TINY, checkpoint_dir=tmp_path / "checkpoints")
    pd.testing.assert_frame_equal(resumed, second)
    pd.testing.assert_frame_equal(resumed_timings, timings)


def _synthetic_scores():
    rng = np.random.default_rng(0)
    rows = []
    for dataset in ["a", "b", "c"]:
        for fold in range(10):
            base = rng.uniform(0.4, 0.6)
            for method, shift in [("cross_entropy", 0.0), ("better", 0.1), ("same", 0.0), ("worse", -0.1)]:
                rows.append({"dataset": dataset, "repeat": fold // 2, "fold": fold % 2, "method": method,
                             "f1": base + shift})
    return pd.DataFrame(rows)


def test_win_tie_loss_and_ranks():
    scores = _synthetic_scores()
    table = win_tie_loss(scores, "f1", "cross_entropy")
    assert table.loc["better", ["win", "tie", "loss"]].tolist() == [3, 0, 0]
    assert table.loc["same", ["win", "tie", "loss"]].tolist() == [0, 3, 0]
    assert table.loc["worse", ["win", "tie", "loss"]].tolist() == [0, 0, 3]
    assert table.loc["better", "mean difference"] == pytest.approx(0.1)
    ranks = mean_ranks(scores, "f1")
    assert ranks.index[0] == "better" and ranks["better"] == 1.0 and ranks["worse"] == 4.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown loss"):
        run_benchmark(["diabetes"], ["not_a_loss"], verbose=False)
    with pytest.raises(ValueError, match="Unknown baseline"):
        run_benchmark(["diabetes"], ["f1"], baselines=["xgboost"], verbose=False)
    with pytest.raises(ValueError, match="Unknown target 'f2'"):
        run_benchmark(["diabetes"], ["f1"], target="f2", verbose=False)
    assert set(DEFAULT_BASELINES) == {"cross_entropy", "cross_entropy+threshold", "mlp_sklearn", "hgb", "hgb+threshold"}
    assert set(DEFAULT_BASELINES) | {"auto", "realmlp", "realmlp+threshold"} == set(BASELINES)


def test_command_line(tmp_path, capsys):
    from sklearn_surrogate.app._cli import main

    status = main(["benchmark", "--datasets", "pc4", "--losses", "f1", "--repeats", "1", "--no-plot",
                   "--jobs", "2", "--output-dir", str(tmp_path)])
    assert status == 0
    out = capsys.readouterr().out
    assert "win / tie / loss against `hgb+threshold`" in out and (tmp_path / "scores.csv").exists()
    assert main(["benchmark", "--datasets", "pc4", "--losses", "nope", "--output-dir", str(tmp_path)]) == 1


def test_command_line_baselines(tmp_path, capsys):
    from sklearn_surrogate.app._cli import main

    status = main(["benchmark", "--datasets", "pc4", "--losses", "balanced_accuracy", "--repeats", "1",
                   "--baselines", "hgb", "--target", "balanced_accuracy", "--no-plot", "--output-dir", str(tmp_path)])
    assert status == 0
    methods = set(pd.read_csv(tmp_path / "scores.csv")["method"])
    assert methods == {"hgb", "balanced_accuracy"}
    capsys.readouterr()
    assert main(["benchmark", "--datasets", "pc4", "--losses", "f1", "--baselines", "xgboost",
                 "--output-dir", str(tmp_path / "bad")]) == 1
    assert "xgboost" in capsys.readouterr().err
