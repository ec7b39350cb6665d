"""Benchmark campaigns: the auto and RealMLP methods, checkpoints that grow by methods, the macro-F1 target,
the head-to-head report and the command line that runs them."""

import json
import re
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import TunedThresholdClassifierCV

import sklearn_surrogate
from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.app import (
    head_to_head,
    make_method,
    mean_ranks,
    mean_scores,
    run_benchmark,
    win_tie_loss,
    write_report,
)
from sklearn_surrogate.app import _runner

FAST = {"losses": [], "baselines": ["hgb", "hgb+threshold"], "n_repeats": 1, "n_splits": 2, "verbose": False}


def _skip_without_metric():
    """The ``auto`` method needs ``SurrogateClassifier(metric=...)``; skip where the estimator has none yet."""
    if "metric" not in SurrogateClassifier().get_params():
        pytest.skip("SurrogateClassifier takes no `metric` parameter in this version (the auto method needs it)")


@pytest.fixture
def shared(tmp_path, write_toy_binary):
    """A shared folder of two made-up datasets: ``toy`` (binary, 30 % positives) and ``toy3`` (3 classes)."""
    folder = tmp_path / "shared"
    folder.mkdir()
    rng = np.random.default_rng(0)
    write_toy_binary(folder, rng)
    X3 = rng.normal(size=(180, 4))
    multi = pd.DataFrame(X3, columns=list("abcd")).assign(label=np.digitize(X3[:, 0] + X3[:, 1], [-0.5, 0.5]))
    multi.to_csv(folder / "toy3.csv", index=False)
    (folder / "MANIFEST.tsv").write_text(
        "name\topenml_id\tfile\ttarget\tn_classes\tn_rows\n"
        "toy\t\ttoy.csv\tlabel\t2\t160\n"
        "toy3\t\ttoy3.csv\tlabel\t3\t180\n"
    )
    return folder


@pytest.fixture
def counted_fits(monkeypatch):
    """Record every task the runner fits (joblib with one job runs them in this process)."""
    calls = []
    real = _runner._run_task

    def run_task(dataset, repeat, fold, method, *args):
        calls.append((dataset, repeat, fold, method))
        return real(dataset, repeat, fold, method, *args)

    monkeypatch.setattr(_runner, "_run_task", run_task)
    return calls


# ----------------------------------------------------------------------------------------------------------------
# The methods
# ----------------------------------------------------------------------------------------------------------------
def test_auto_is_surrogate_classifier_with_the_target_metric_and_defaults():
    _skip_without_metric()
    defaults = SurrogateClassifier().get_params(deep=False)
    for target in ("f1", "balanced_accuracy", "roc_auc"):
        model = make_method("auto", random_state=3, target=target)
        params = model.get_params(deep=False)
        assert isinstance(model, SurrogateClassifier) and params["metric"] == target and params["random_state"] == 3
        assert {k: v for k, v in params.items() if k not in ("metric", "random_state")} == {
            k: v for k, v in defaults.items() if k not in ("metric", "random_state")}
    # an F1 target on a multiclass problem, and the macro-F1 target, train for the macro F1
    for target, n_classes in [("f1", 3), ("f1_macro", 3), ("f1_macro", 2)]:
        metric = make_method("auto", target=target, n_classes=n_classes).get_params()["metric"]
        assert metric.metric == "f1" and metric.average == "macro"


def test_auto_runs_on_binary_and_multiclass_datasets(shared):
    _skip_without_metric()
    for dataset, target in [("toy", "f1"), ("toy3", "f1_macro")]:
        scores, timings = run_benchmark([dataset], losses=[], baselines=["auto"], n_repeats=1, n_splits=2,
                                        target=target, shared_dir=shared, verbose=False)
        assert scores["method"].tolist() == ["auto", "auto"]
        assert scores[["f1", "roc_auc", "balanced_accuracy"]].notna().all().all() and (timings["fit_seconds"] > 0).all()


def test_auto_without_a_metric_parameter_is_a_clear_type_error(monkeypatch):
    class OldSurrogateClassifier(SurrogateClassifier):
        def get_params(self, deep=True):
            return {k: v for k, v in super().get_params(deep).items() if k != "metric"}

    monkeypatch.setattr(sklearn_surrogate, "SurrogateClassifier", OldSurrogateClassifier)
    with pytest.raises(TypeError, match=r"'auto' method needs SurrogateClassifier\(metric=\.\.\.\)"):
        make_method("auto")


def test_thresholds_tune_for_the_macro_f1_target():
    tuned = make_method("hgb+threshold", target="f1_macro")
    assert isinstance(tuned, TunedThresholdClassifierCV) and tuned.scoring == "f1_macro"
    with pytest.raises(ValueError, match="Unknown target 'macro'.*f1_macro"):
        make_method("hgb", target="macro")


def test_realmlp_without_pytabkit_names_the_extra(monkeypatch, shared, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "pytabkit", None)  # import pytabkit now raises ImportError
    for name in ("realmlp", "realmlp+threshold"):
        with pytest.raises(ImportError, match=r"pip install sklearn-surrogate\[benchmark\]"):
            make_method(name)
    # the runner refuses before fitting anything, and the command line says why
    with pytest.raises(ImportError, match="pytabkit"):
        run_benchmark(["toy"], **{**FAST, "baselines": ["hgb", "realmlp"]}, shared_dir=shared,
                      checkpoint_dir=tmp_path / "checkpoints")
    assert not (tmp_path / "checkpoints").exists()
    from sklearn_surrogate.app._cli import main

    assert main(["benchmark", "--shared-dir", str(shared), "--datasets", "toy", "--methods", "realmlp",
                 "--output-dir", str(tmp_path / "out")]) == 1
    assert "sklearn-surrogate[benchmark]" in capsys.readouterr().err


def test_realmlp_methods_are_pytabkit_on_one_cpu_thread():
    pytabkit = pytest.importorskip("pytabkit")
    model = make_method("realmlp", random_state=4)
    assert isinstance(model, pytabkit.RealMLP_TD_Classifier)
    params = model.get_params()
    assert (params["random_state"], params["n_threads"], params["device"], params["verbosity"]) == (4, 1, "cpu", 0)
    tuned = make_method("realmlp+threshold", random_state=4, target="balanced_accuracy")
    assert isinstance(tuned, TunedThresholdClassifierCV) and tuned.scoring == "balanced_accuracy"
    assert isinstance(tuned.estimator, pytabkit.RealMLP_TD_Classifier) and tuned.estimator.random_state == 4
    assert make_method("realmlp+threshold", n_classes=3) is None


@pytest.mark.filterwarnings("ignore::FutureWarning:pytorch_lightning")
def test_realmlp_with_a_tuned_threshold_fits_after_the_shared_preprocessing(shared):
    pytest.importorskip("pytabkit")
    from sklearn.pipeline import make_pipeline

    from sklearn_surrogate.app import load_dataset
    from sklearn_surrogate.datasets import make_preprocessor

    _, _, X, y = load_dataset("toy", shared_dir=shared)
    tuned = make_method("realmlp+threshold", random_state=0, target="f1").set_params(estimator__n_epochs=4)
    model = make_pipeline(make_preprocessor(X), tuned).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 2) and np.allclose(proba.sum(axis=1), 1)
    threshold = model[-1].best_threshold_
    assert 0 < threshold < 1
    np.testing.assert_array_equal(model.predict(X), (proba[:, 1] >= threshold).astype(int))


def test_realmlp_runs_in_the_benchmark(shared):
    pytest.importorskip("pytabkit")
    scores, timings = run_benchmark(["toy"], losses=[], baselines=["realmlp"], n_repeats=1, n_splits=2,
                                    shared_dir=shared, verbose=False)
    assert scores["method"].tolist() == ["realmlp", "realmlp"]
    assert scores["roc_auc"].between(0.5, 1).all() and (timings["fit_seconds"] > 0).all()


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------------------------------------------
def test_checkpoints_grow_by_methods(shared, tmp_path, counted_fits):
    checkpoints = tmp_path / "checkpoints"
    first, _ = run_benchmark(["toy"], **{**FAST, "baselines": ["hgb"]}, shared_dir=shared, checkpoint_dir=checkpoints)
    assert [c[3] for c in counted_fits] == ["hgb", "hgb"]
    # a value only the checkpoint holds proves the row is read, not fitted again
    saved = pd.read_csv(checkpoints / "toy.csv")
    saved.loc[(saved["method"] == "hgb") & (saved["fold"] == 1), "f1"] = 0.125
    saved.to_csv(checkpoints / "toy.csv", index=False)
    counted_fits.clear()
    both, timings = run_benchmark(["toy"], **FAST, shared_dir=shared, checkpoint_dir=checkpoints)
    assert [c[3] for c in counted_fits] == ["hgb+threshold", "hgb+threshold"]  # only the new method
    assert both["method"].tolist() == ["hgb", "hgb+threshold"] * 2 and both["fold"].tolist() == [0, 0, 1, 1]
    assert both.loc[(both["method"] == "hgb") & (both["fold"] == 1), "f1"].item() == 0.125
    assert both.loc[(both["method"] == "hgb") & (both["fold"] == 0), "f1"].item() == first["f1"][0]
    assert timings[["dataset", "repeat", "fold", "method"]].equals(both[["dataset", "repeat", "fold", "method"]])
    # a run of one method returns its rows only, fits nothing, and keeps the other method's rows in the file
    counted_fits.clear()
    alone, _ = run_benchmark(["toy"], **{**FAST, "baselines": ["hgb+threshold"]}, shared_dir=shared,
                             checkpoint_dir=checkpoints)
    assert counted_fits == [] and alone["method"].tolist() == ["hgb+threshold"] * 2
    pd.testing.assert_frame_equal(alone, both[both["method"] == "hgb+threshold"].reset_index(drop=True))
    assert sorted(pd.read_csv(checkpoints / "toy.csv")["method"]) == ["hgb"] * 2 + ["hgb+threshold"] * 2


def test_checkpoints_are_written_after_every_fit_and_resume(shared, tmp_path, counted_fits, monkeypatch):
    fresh, _ = run_benchmark(["toy"], **FAST, shared_dir=shared)
    assert len(counted_fits) == 4
    counted_fits.clear()
    real = _runner._run_task

    def killed_after_three(*task):
        if len(counted_fits) == 3:
            raise KeyboardInterrupt
        return real(*task)

    monkeypatch.setattr(_runner, "_run_task", killed_after_three)
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(["toy"], **FAST, shared_dir=shared, checkpoint_dir=tmp_path / "checkpoints")
    saved = pd.read_csv(tmp_path / "checkpoints" / "toy.csv")
    # method by method: hgb's folds first, then the first fold of hgb+threshold
    assert list(zip(saved["method"], saved["fold"])) == [("hgb", 0), ("hgb", 1), ("hgb+threshold", 0)]
    assert json.loads((tmp_path / "checkpoints" / "toy.json").read_text()) == {
        "random_state": 0, "n_splits": 2, "target": "f1", "scoring": _runner.SCORING}
    monkeypatch.setattr(_runner, "_run_task", real)
    resumed, _ = run_benchmark(["toy"], **FAST, shared_dir=shared, checkpoint_dir=tmp_path / "checkpoints")
    pd.testing.assert_frame_equal(resumed, fresh)


def test_checkpoints_grow_by_repeats_and_refuse_other_settings(shared, tmp_path, counted_fits):
    checkpoints = tmp_path / "checkpoints"
    run_benchmark(["toy"], **FAST, shared_dir=shared, checkpoint_dir=checkpoints)
    counted_fits.clear()
    grown, _ = run_benchmark(["toy"], **{**FAST, "n_repeats": 2}, shared_dir=shared, checkpoint_dir=checkpoints)
    assert {c[1] for c in counted_fits} == {1} and len(counted_fits) == 4  # only the new repeat
    fresh, _ = run_benchmark(["toy"], **{**FAST, "n_repeats": 2}, shared_dir=shared)
    pd.testing.assert_frame_equal(grown, fresh)
    for other in [{"random_state": 1}, {"n_splits": 3}, {"target": "balanced_accuracy"}]:
        with pytest.raises(ValueError, match=f"checkpoint {checkpoints / 'toy.csv'} was computed with"):
            run_benchmark(["toy"], **{**FAST, **other}, shared_dir=shared, checkpoint_dir=checkpoints)


def test_rows_of_methods_that_do_not_aim_at_the_target_are_copied_from_another_campaign(shared, tmp_path,
                                                                                      counted_fits):
    f1_folder, bacc_folder = tmp_path / "f1", tmp_path / "bacc"
    run_benchmark(["toy"], **FAST, shared_dir=shared, checkpoint_dir=f1_folder)
    # a value only the F1 checkpoint holds proves the hgb row is copied, not fitted again
    saved = pd.read_csv(f1_folder / "toy.csv")
    saved.loc[(saved["method"] == "hgb") & (saved["fold"] == 1), "balanced_accuracy"] = 0.125
    saved.loc[saved["method"] == "hgb", "environment"] = "another machine"
    saved.to_csv(f1_folder / "toy.csv", index=False)
    counted_fits.clear()
    bacc, bacc_timings = run_benchmark(["toy"], **FAST, target="balanced_accuracy", shared_dir=shared,
                                       checkpoint_dir=bacc_folder, reuse_checkpoint_dirs=[tmp_path / "missing", f1_folder])
    # hgb is the same model whatever the target; hgb+threshold tunes for balanced accuracy and is fitted
    assert [c[3] for c in counted_fits] == ["hgb+threshold"] * 2
    assert bacc.loc[(bacc["method"] == "hgb") & (bacc["fold"] == 1), "balanced_accuracy"].item() == 0.125
    # a copied row keeps the environment it was fitted in; a fitted one has this one
    assert dict(zip(bacc_timings["method"], bacc_timings["environment"])) == {
        "hgb": "another machine", "hgb+threshold": _runner._environment()}
    fresh, _ = run_benchmark(["toy"], **FAST, target="balanced_accuracy", shared_dir=shared)
    pd.testing.assert_frame_equal(bacc.drop(columns="balanced_accuracy"), fresh.drop(columns="balanced_accuracy"))
    # the copies are in the new campaign's checkpoint, which then needs the other folder no more
    counted_fits.clear()
    again, _ = run_benchmark(["toy"], **FAST, target="balanced_accuracy", shared_dir=shared,
                             checkpoint_dir=bacc_folder)
    assert counted_fits == []
    pd.testing.assert_frame_equal(again, bacc)
    # other folds per repeat: nothing is copied
    counted_fits.clear()
    run_benchmark(["toy"], **{**FAST, "n_splits": 3}, target="balanced_accuracy", shared_dir=shared,
                  reuse_checkpoint_dirs=[f1_folder])
    assert [c[3] for c in counted_fits].count("hgb") == 3


def test_checkpoint_rows_record_the_environment_they_were_fitted_in(shared, tmp_path):
    import sklearn
    import torch

    environment = _runner._environment()
    revision = _runner._code_revision()  # this test file sits in a clone: the commit, unless git is missing
    assert revision is None or re.fullmatch(r"[0-9a-f]{12}(\+dirty)?", revision)
    assert environment.startswith(f"sklearn_surrogate {sklearn_surrogate.__version__}"
                                  + ("" if revision is None else f" ({revision}),"))
    for part in (f"sklearn_surrogate {sklearn_surrogate.__version__}", f"torch {torch.__version__} (",
                 f"scikit-learn {sklearn.__version__}", f"numpy {np.__version__}"):
        assert part in environment
    checkpoints = tmp_path / "checkpoints"
    run_benchmark(["toy"], **{**FAST, "baselines": ["hgb"]}, shared_dir=shared, checkpoint_dir=checkpoints)
    saved = pd.read_csv(checkpoints / "toy.csv")
    assert saved["environment"].tolist() == [environment] * 2
    # rows of a checkpoint from before environments were recorded are read as "not recorded"
    saved.drop(columns="environment").to_csv(checkpoints / "toy.csv", index=False)
    scores, timings = run_benchmark(["toy"], **FAST, shared_dir=shared, checkpoint_dir=checkpoints)
    assert "environment" not in scores
    assert timings["method"].tolist() == ["hgb", "hgb+threshold"] * 2
    assert timings["environment"].isna().tolist() == [True, False, True, False]
    text = write_report(scores, timings, tmp_path / "report", plots=False)
    assert "## Environments" in text and "- E1: not recorded" in text and f"- E2: {environment}\n" in text
    counts = {line.split("|")[1].strip(): [int(c) for c in line.split("|")[2:4]] for line in
              text.split("## Environments")[1].splitlines() if line.startswith("| hgb")}
    assert counts == {"hgb": [2, 0], "hgb+threshold": [0, 2]}
    assert pd.read_csv(tmp_path / "report" / "timings.csv")["environment"].notna().sum() == 2
    # one environment: one line; no column (timings made by hand): no section
    text = write_report(scores, timings.fillna({"environment": environment}), tmp_path / "report", plots=False)
    assert f"## Environment\n\nEvery row was fitted with: {environment}.\n" in text
    text = write_report(scores, timings.drop(columns="environment"), tmp_path / "report", plots=False)
    assert "## Environment" not in text


def test_the_environment_is_read_when_the_run_starts(shared, monkeypatch):
    """A commit made while a campaign runs is not the code its process loaded: the rows name the first."""
    commits = iter(["aaaaaaaaaaaa"] + ["bbbbbbbbbbbb"] * 10)
    monkeypatch.setattr(_runner, "_code_revision", lambda: next(commits))
    real = _runner._run_task

    def fit_then_commit(*task):
        row = real(*task)
        _runner._environment.cache_clear()  # as if read again after a commit
        return row

    monkeypatch.setattr(_runner, "_run_task", fit_then_commit)
    _runner._environment.cache_clear()
    try:
        _, timings = run_benchmark(["toy"], **{**FAST, "baselines": ["hgb"]}, shared_dir=shared)
    finally:
        _runner._environment.cache_clear()
    assert timings["environment"].str.startswith(f"sklearn_surrogate {sklearn_surrogate.__version__} "
                                                 "(aaaaaaaaaaaa), ").all()


# ----------------------------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------------------------
def _campaign_scores():
    """Scores of a made-up campaign: auto beats hgb on every fold, loses to hgb+threshold on every fold."""
    rng = np.random.default_rng(1)
    rows = []
    for dataset in ["a", "b", "c"]:
        for k in range(10):
            base = rng.uniform(0.4, 0.6)
            for method, shift in [("hgb", 0.0), ("auto", 0.05), ("cross_entropy+threshold", 0.05),
                                  ("hgb+threshold", 0.1)]:
                rows.append({"dataset": dataset, "repeat": k // 2, "fold": k % 2, "method": method,
                             "f1": base + shift + rng.normal(0, 0.001), "roc_auc": rng.uniform(0.7, 0.9)})
    scores = pd.DataFrame(rows)
    timings = scores[["dataset", "repeat", "fold", "method"]].assign(fit_seconds=rng.uniform(0.5, 5, len(scores)))
    return scores, timings


def test_head_to_head_is_win_tie_loss_from_the_methods_side():
    scores, _ = _campaign_scores()
    table = head_to_head(scores, "f1", "auto")
    assert table.index.tolist() == ["vs hgb", "vs cross_entropy+threshold", "vs hgb+threshold"]
    assert table.loc["vs hgb", ["win", "tie", "loss"]].tolist() == [3, 0, 0]
    assert table.loc["vs hgb+threshold", ["win", "tie", "loss"]].tolist() == [0, 0, 3]
    for other in ["hgb", "cross_entropy+threshold", "hgb+threshold"]:
        mirrored = win_tie_loss(scores, "f1", "auto").loc[other]
        row = table.loc[f"vs {other}"]
        assert row["win"] == mirrored["loss"] and row["loss"] == mirrored["win"]
        assert row["mean difference"] == pytest.approx(-mirrored["mean difference"], abs=1e-4)
    with pytest.raises(ValueError, match="No scores of method 'nope'"):
        head_to_head(scores, "f1", "nope")


def test_mean_scores_average_datasets_where_the_method_applies():
    scores, _ = _campaign_scores()
    scores.loc[(scores["dataset"] == "c") & (scores["method"] == "hgb+threshold"), ["f1", "roc_auc"]] = np.nan
    table = mean_scores(scores, ["f1", "roc_auc"], rank_by="f1")
    per_dataset = scores.groupby(["dataset", "method"])["f1"].mean()
    assert table.loc["hgb+threshold", "f1"] == pytest.approx(per_dataset.loc[["a", "b"], "hgb+threshold"].mean())
    assert table.loc["auto", "f1"] == pytest.approx(per_dataset.loc[:, "auto"].mean())
    ranks = mean_ranks(scores, "f1")
    assert np.isnan(table.loc["hgb+threshold", "mean rank (f1)"])  # missing on one dataset: not ranked
    assert table["mean rank (f1)"].dropna().to_dict() == pytest.approx(ranks.to_dict())


def test_report_puts_auto_against_every_method_and_times_it(tmp_path):
    scores, timings = _campaign_scores()
    text = write_report(scores, timings, tmp_path, plots=False)
    assert "## `auto` against every other method on f1: win / tie / loss" in text
    assert "## Mean scores over datasets, mean rank on f1" in text
    assert "against `auto`" not in text  # the head-to-head table replaces auto's baseline table
    assert "## f1: win / tie / loss against `hgb+threshold`" in text
    medians = timings.groupby("method")["fit_seconds"].median()
    ratio = medians["auto"] / medians["cross_entropy+threshold"]
    assert f"median(`auto`) / median(`cross_entropy+threshold`) = **{ratio:.2f}**, both over the same datasets" in text
    assert f"| auto                    | {medians['auto']:13.3f} |" in text
    # another reference; and without cross_entropy+threshold there is no ratio
    text = write_report(scores, timings, tmp_path, plots=False, reference="hgb")
    assert "## `hgb` against every other method" in text and "median(`hgb`) / median(" in text
    kept = scores["method"] != "cross_entropy+threshold"
    text = write_report(scores[kept], timings[kept], tmp_path, plots=False)
    assert "## `auto` against every other method" in text and "median(`auto`)" not in text


def test_report_of_the_macro_f1_target_reads_the_f1_column(tmp_path):
    scores, timings = _campaign_scores()
    text = write_report(scores, timings, tmp_path, target="f1_macro", plots=True)
    assert "## `auto` against every other method on f1:" in text
    assert {"ranks_f1_macro.png", "datasets_f1_macro.png"} <= {p.name for p in tmp_path.iterdir()}


# ----------------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------------
def test_command_line_methods_and_checkpoint_dir(shared, tmp_path, capsys):
    from sklearn_surrogate.app._cli import main

    args = ["benchmark", "--shared-dir", str(shared), "--repeats", "1", "--no-plot",
            "--checkpoint-dir", str(tmp_path / "checkpoints")]
    assert main([*args, "--datasets", "toy", "--methods", "hgb+threshold", "hgb",
                 "--output-dir", str(tmp_path / "out")]) == 0
    assert list(dict.fromkeys(pd.read_csv(tmp_path / "out" / "scores.csv")["method"])) == ["hgb+threshold", "hgb"]
    assert (tmp_path / "checkpoints" / "toy.csv").exists() and not (tmp_path / "out" / "datasets").exists()
    out = capsys.readouterr().out
    assert "## `hgb+threshold` against every other method" not in out  # no auto: no reference by default
    with pytest.raises(SystemExit, match="2"):  # refused before any fit, as argparse refuses bad arguments
        main([*args, "--datasets", "toy", "--methods", "hgb", "--reference", "hgb+threshold",
              "--output-dir", str(tmp_path / "out2")])
    assert "--reference: 'hgb+threshold' is not among the methods that run" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):
        main([*args, "--datasets", "toy", "--methods", "hgb", "--losses", "f1", "--output-dir", str(tmp_path / "out3")])
    assert "--methods names every method" in capsys.readouterr().err


def test_command_line_macro_f1_target_runs_the_multiclass_shared_datasets(shared, tmp_path, capsys):
    from sklearn_surrogate.app._cli import main

    status = main(["benchmark", "--shared-dir", str(shared), "--methods", "hgb", "hgb+threshold", "--repeats", "1",
                   "--target", "f1_macro", "--no-plot", "--output-dir", str(tmp_path)])
    assert status == 0
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert set(scores["dataset"]) == {"toy3"} and scores.loc[scores["method"] == "hgb+threshold", "f1"].isna().all()
    assert "target f1_macro" in capsys.readouterr().out
