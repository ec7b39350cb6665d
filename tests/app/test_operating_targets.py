"""Benchmark targets of the top of the ranking and of costs (issue 19): scorers, score columns, target-aware loss
options, no threshold where a threshold changes nothing, old checkpoints, report and command line."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import TunedThresholdClassifierCV

from sklearn_surrogate import SurrogateClassifier, SurrogateScorer, make_surrogate_scorer
from sklearn_surrogate.app import (
    DEFAULT_BASELINES,
    EXPECTED_COST_MATRIX,
    NO_THRESHOLD_TARGETS,
    TARGET_SCORERS,
    TARGETS,
    default_baselines,
    make_method,
    run_benchmark,
    score_predictions,
    target_loss_params,
    target_scorer,
    write_report,
)
from sklearn_surrogate.app import _runner

NEW_TARGETS = ("partial_auc", "tpr_at_fpr", "recall_at_precision", "precision_at_k", "average_precision",
               "expected_cost")
OPERATING = ["partial_auc", "tpr_at_fpr", "recall_at_precision", "precision_at_k", "neg_expected_cost"]
ALL_SCORES = ["f1", "roc_auc", "average_precision", "balanced_accuracy", *OPERATING]
ONE_SPLIT = {"n_repeats": 1, "n_splits": 2, "verbose": False}


@pytest.fixture
def toy(tmp_path, write_toy_binary):
    """A shared folder with one made-up binary dataset of 160 rows, 30 % positives."""
    folder = tmp_path / "shared"
    folder.mkdir()
    write_toy_binary(folder, np.random.default_rng(0))
    (folder / "MANIFEST.tsv").write_text(
        "name\topenml_id\tfile\ttarget\tn_classes\tn_rows\ntoy\t\ttoy.csv\tlabel\t2\t160\n")
    return folder


@pytest.fixture
def built(monkeypatch):
    """Every (method, target, estimator) the runner builds for a fit, and the fits it runs (one job: in process)."""
    calls = []
    real = _runner.make_method

    def make(name, **kwargs):
        estimator = real(name, **kwargs)
        calls.append((name, kwargs["target"], estimator))
        return estimator

    monkeypatch.setattr(_runner, "make_method", make)
    return calls


def _fitted(built):
    """The methods fitted: those built with a seed per fold (the runner also builds each method once to check it)."""
    return [(name, estimator) for name, _, estimator in built if estimator is not None and _is_fitted(estimator)]


def _is_fitted(estimator):
    from sklearn.utils.validation import check_is_fitted
    from sklearn.exceptions import NotFittedError

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


# ----------------------------------------------------------------------------------------------------------------
# Scorers and score columns
# ----------------------------------------------------------------------------------------------------------------
def test_every_target_has_one_scorer_configuration():
    assert TARGETS == tuple(TARGET_SCORERS) and set(NEW_TARGETS) <= set(TARGETS)
    assert TARGET_SCORERS["partial_auc"]["max_fpr"] == 0.1 and TARGET_SCORERS["tpr_at_fpr"]["max_fpr"] == 0.05
    assert TARGET_SCORERS["precision_at_k"]["k"] == 0.05
    assert TARGET_SCORERS["expected_cost"]["cost_matrix"] == EXPECTED_COST_MATRIX == [[0, 1], [5, 0]]
    for target in TARGETS:
        scorer = target_scorer(target)
        assert isinstance(scorer, SurrogateScorer)
        assert repr(scorer) == repr(make_surrogate_scorer(**TARGET_SCORERS[target]))
    with pytest.raises(ValueError, match="Unknown target 'pauc'"):
        target_scorer("pauc")


def test_operating_columns_match_hand_computed_values():
    rng = np.random.default_rng(1)
    y = (rng.random(400) < 0.25).astype(int)
    p1 = np.clip(0.25 + 0.3 * (y - 0.25) + 0.25 * rng.normal(size=400), 0.001, 0.999)
    proba = np.column_stack([1 - p1, p1])
    pred = (p1 > 0.3).astype(int)
    scores = score_predictions(y, pred, proba)
    assert list(scores) == ALL_SCORES
    assert scores["partial_auc"] == pytest.approx(roc_auc_score(y, p1, max_fpr=0.1))
    fpr, tpr, _ = roc_curve(y, p1)
    assert scores["tpr_at_fpr"] == pytest.approx(tpr[fpr <= 0.05].max())
    top = np.argsort(-p1)[:20]  # 5 % of 400 rows (no ties in continuous scores)
    assert scores["precision_at_k"] == pytest.approx(y[top].mean())
    false_negatives, false_positives = np.sum((y == 1) & (pred == 0)), np.sum((y == 0) & (pred == 1))
    assert scores["neg_expected_cost"] == pytest.approx(-(5 * false_negatives + false_positives) / 400)
    # undefined on multiclass problems: NaN, the general columns as before
    y3 = rng.integers(0, 3, 90)
    proba3 = rng.dirichlet([1, 1, 1], 90)
    multi = score_predictions(y3, proba3.argmax(1), proba3)
    assert all(np.isnan(multi[column]) for column in OPERATING)
    assert not any(np.isnan(multi[column]) for column in ALL_SCORES[:4])


# ----------------------------------------------------------------------------------------------------------------
# Methods
# ----------------------------------------------------------------------------------------------------------------
def test_losses_take_their_metric_options_from_the_target():
    def loss_params(name, target):
        return {k: v for k, v in make_method(name, target=target).get_params().items() if k.startswith("loss__")}

    for name in ("pauc_cvar", "pauc_two_way", "np_tpr_at_fpr"):
        assert loss_params(name, "partial_auc")["loss__max_fpr"] == 0.1
        assert loss_params(name, "tpr_at_fpr")["loss__max_fpr"] == 0.05
    assert loss_params("precision_at_k", "precision_at_k") == {"loss__k": 0.05}
    assert loss_params("cost_sensitive", "expected_cost") == {"loss__cost_matrix": EXPECTED_COST_MATRIX}
    # other targets, losses without the option, and baselines: nothing set, the loss keeps its defaults
    for name, target in [("pauc_cvar", "f1"), ("cost_sensitive", "partial_auc"), ("soap", "average_precision"),
                         ("pauc_kl", "partial_auc"), ("auc_square", "tpr_at_fpr"), ("reloss_f1", "expected_cost")]:
        assert target_loss_params(name, target) == {}
    assert loss_params("reloss_f1", "expected_cost") == {"loss__metric": "f1"}
    assert target_loss_params("hgb", "partial_auc") == {} and target_loss_params("auto", "tpr_at_fpr") == {}


def test_a_threshold_applies_only_where_it_changes_the_score():
    for target in NO_THRESHOLD_TARGETS:
        assert default_baselines(target) == ("cross_entropy", "mlp_sklearn", "hgb")
        with pytest.raises(ValueError, match=f"'hgb\\+threshold' does not apply to the target '{target}'.*equal 'hgb'"):
            make_method("hgb+threshold", target=target)
    assert default_baselines("expected_cost") == DEFAULT_BASELINES
    tuned = make_method("cross_entropy+threshold", target="expected_cost", random_state=2)
    assert isinstance(tuned, TunedThresholdClassifierCV) and tuned.random_state == 2
    assert repr(tuned.scoring) == repr(target_scorer("expected_cost"))


def test_auto_trains_for_the_target_scorer():
    if "metric" not in SurrogateClassifier().get_params():
        pytest.skip("SurrogateClassifier takes no `metric` parameter in this version (the auto method needs it)")
    model = make_method("auto", target="tpr_at_fpr", random_state=4)
    assert repr(model.metric) == repr(target_scorer("tpr_at_fpr")) and model.random_state == 4
    assert make_method("auto", target="average_precision").metric == "average_precision"


# ----------------------------------------------------------------------------------------------------------------
# Runs
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", NEW_TARGETS)
def test_a_tiny_run_per_target_offline_scores_every_column(users_clone_offline, tmp_path, target):
    """The shipped pc4 without the shared corpus: every score column on every row, the scorers in the settings."""
    baselines = ["hgb"] if target in NO_THRESHOLD_TARGETS else ["hgb", "hgb+threshold"]
    scores, _ = run_benchmark(["pc4"], losses=[], baselines=baselines, target=target, **ONE_SPLIT,
                              checkpoint_dir=tmp_path)
    assert list(scores.columns) == ["dataset", "repeat", "fold", "method", *ALL_SCORES]
    assert scores[ALL_SCORES].notna().all().all() and set(scores["method"]) == set(baselines)
    assert scores[OPERATING[:3]].apply(lambda column: column.between(0, 1)).all().all()
    assert (scores["neg_expected_cost"] <= 0).all()
    settings = json.loads((tmp_path / "pc4.json").read_text())
    assert settings["target"] == target and settings["scoring"]["neg_expected_cost"]["cost_matrix"] == [[0, 1], [5, 0]]
    assert settings["scoring"]["partial_auc"] == {"metric": "partial_auc", "max_fpr": 0.1}


def test_the_target_reaches_the_fitted_losses_and_auto_runs(toy, built):
    scores, _ = run_benchmark(["toy"], losses=["pauc_cvar"], baselines=["auto"], target="tpr_at_fpr",
                              shared_dir=toy, **ONE_SPLIT)
    fitted = _fitted(built)
    assert sorted(name for name, _ in fitted) == ["auto", "auto", "pauc_cvar", "pauc_cvar"]
    for name, estimator in fitted:
        if name == "pauc_cvar":
            assert estimator.loss_.max_fpr == 0.05  # the fitted loss, not only the parameter
    assert scores[ALL_SCORES].notna().all().all()


def test_default_baselines_of_a_ranking_target_run_no_threshold(toy, monkeypatch):
    planned = []

    def no_fit(dataset, repeat, fold, method, *args):  # the methods the runner plans, without fitting them
        planned.append(method)
        return {"dataset": dataset, "repeat": repeat, "fold": fold, "method": method}, 0.0

    monkeypatch.setattr(_runner, "_run_task", no_fit)
    run_benchmark(["toy"], losses=[], target="precision_at_k", shared_dir=toy, **ONE_SPLIT)
    assert planned == ["cross_entropy", "cross_entropy", "mlp_sklearn", "mlp_sklearn", "hgb", "hgb"]
    planned.clear()
    run_benchmark(["toy"], losses=[], target="expected_cost", shared_dir=toy, **ONE_SPLIT)
    assert list(dict.fromkeys(planned)) == list(DEFAULT_BASELINES)
    with pytest.raises(ValueError, match="does not apply to the target 'precision_at_k'"):
        run_benchmark(["toy"], losses=[], baselines=["hgb+threshold"], target="precision_at_k", shared_dir=toy,
                      **ONE_SPLIT)


def _make_old(folder, dataset):
    """Turn a checkpoint into one written before the operating-region columns: no such columns, no scoring."""
    rows = pd.read_csv(folder / f"{dataset}.csv")
    rows.drop(columns=OPERATING).to_csv(folder / f"{dataset}.csv", index=False)
    settings = json.loads((folder / f"{dataset}.json").read_text())
    del settings["scoring"]
    (folder / f"{dataset}.json").write_text(json.dumps(settings))


def test_old_checkpoints_are_read_with_the_new_columns_missing(toy, tmp_path, built):
    old = tmp_path / "old"
    first, timings = run_benchmark(["toy"], losses=[], baselines=["hgb"], shared_dir=toy, checkpoint_dir=old,
                                   **ONE_SPLIT)
    _make_old(old, "toy")
    built.clear()
    resumed, timings = run_benchmark(["toy"], losses=[], baselines=["hgb"], shared_dir=toy, checkpoint_dir=old,
                                     **ONE_SPLIT)
    assert _fitted(built) == []  # read, not refitted
    pd.testing.assert_frame_equal(resumed[ALL_SCORES[:4]], first[ALL_SCORES[:4]])
    assert resumed[OPERATING].isna().all().all()
    # a new method's rows have every column; the settings gain the scorers
    grown, timings = run_benchmark(["toy"], losses=[], baselines=["hgb", "cross_entropy"], shared_dir=toy,
                                   checkpoint_dir=old, **ONE_SPLIT)
    assert [name for name, _ in _fitted(built)] == ["cross_entropy", "cross_entropy"]
    assert grown.loc[grown["method"] == "cross_entropy", OPERATING].notna().all().all()
    assert json.loads((old / "toy.json").read_text())["scoring"] == _runner.SCORING
    # the report leaves out the columns some rows lack, and says so
    text = write_report(grown, timings, tmp_path / "report", plots=False)
    assert "Left out of this report" in text and "`partial_auc` (2 rows)" in text
    assert "## partial_auc (mean ± sd over folds)" not in text and "## f1 (mean ± sd over folds)" in text


def test_checkpoints_from_before_a_later_column_are_read_and_grow_it(toy, tmp_path, built):
    """A checkpoint written before ``recall_at_precision`` existed: read, not refitted; its sidecar gains it."""
    folder = tmp_path / "before"
    first, _ = run_benchmark(["toy"], losses=[], baselines=["hgb"], shared_dir=toy, checkpoint_dir=folder,
                             **ONE_SPLIT)
    rows = pd.read_csv(folder / "toy.csv")
    rows.drop(columns="recall_at_precision").to_csv(folder / "toy.csv", index=False)
    settings = json.loads((folder / "toy.json").read_text())
    del settings["scoring"]["recall_at_precision"]
    (folder / "toy.json").write_text(json.dumps(settings))
    built.clear()
    resumed, _ = run_benchmark(["toy"], losses=[], baselines=["hgb", "cross_entropy"], shared_dir=toy,
                               checkpoint_dir=folder, **ONE_SPLIT)
    assert [name for name, _ in _fitted(built)] == ["cross_entropy", "cross_entropy"]  # hgb's rows are read
    hgb = resumed[resumed["method"] == "hgb"]
    assert hgb["recall_at_precision"].isna().all() and hgb["partial_auc"].notna().all()
    assert resumed.loc[resumed["method"] == "cross_entropy", ALL_SCORES].notna().all().all()
    assert json.loads((folder / "toy.json").read_text())["scoring"] == _runner.SCORING
    # a checkpoint whose columns are configured otherwise is still refused
    settings["scoring"]["partial_auc"] = {"metric": "partial_auc", "max_fpr": 0.2}
    (folder / "toy.json").write_text(json.dumps(settings))
    with pytest.raises(ValueError, match="was computed with"):
        run_benchmark(["toy"], losses=[], baselines=["hgb"], shared_dir=toy, checkpoint_dir=folder, **ONE_SPLIT)


def test_rows_are_copied_when_they_hold_the_target_and_were_fitted_alike(toy, tmp_path, built):
    methods = {"losses": ["pauc_cvar", "soap"], "baselines": ["hgb"], "shared_dir": toy, **ONE_SPLIT}
    run_benchmark(["toy"], **methods, target="partial_auc", checkpoint_dir=tmp_path / "pauc")
    run_benchmark(["toy"], **methods, target="f1", checkpoint_dir=tmp_path / "old_f1")
    _make_old(tmp_path / "old_f1", "toy")
    built.clear()
    # from the partial-AUC campaign: hgb and soap are copied; pauc_cvar (max_fpr 0.1 there, 0.05 here) is fitted
    scores, _ = run_benchmark(["toy"], **methods, target="tpr_at_fpr", checkpoint_dir=tmp_path / "tpr",
                              reuse_checkpoint_dirs=[tmp_path / "pauc"])
    assert [name for name, _ in _fitted(built)] == ["pauc_cvar", "pauc_cvar"]
    assert scores[ALL_SCORES].notna().all().all()
    built.clear()
    # from an old campaign whose rows lack the operating-region columns: rows holding the target's score are
    # copied (pauc_cvar takes the same options from both targets), and the report names what they lack
    scores, timings = run_benchmark(["toy"], **methods, target="average_precision", checkpoint_dir=tmp_path / "ap",
                                    reuse_checkpoint_dirs=[tmp_path / "old_f1"])
    assert _fitted(built) == []
    assert scores[ALL_SCORES[:4]].notna().all().all() and scores[OPERATING].isna().all().all()
    text = write_report(scores, timings, tmp_path / "report", target="average_precision", plots=False)
    assert "mean rank on average_precision" in text and "## partial_auc (mean ± sd over folds)" not in text
    # a target whose score those rows lack: everything is fitted again
    built.clear()
    scores, _ = run_benchmark(["toy"], **methods, target="precision_at_k", checkpoint_dir=tmp_path / "p_at_k",
                              reuse_checkpoint_dirs=[tmp_path / "old_f1"])
    assert sorted(name for name, _ in _fitted(built)) == ["hgb", "hgb", "pauc_cvar", "pauc_cvar", "soap", "soap"]
    assert scores[ALL_SCORES].notna().all().all()


# ----------------------------------------------------------------------------------------------------------------
# Report and command line
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", [t for t in TARGETS if t != "f1_macro"])
def test_the_report_ranks_every_binary_target(tmp_path, target):
    """Every score column is one the report knows (a column added to the runner only once broke the report)."""
    column = "neg_expected_cost" if target == "expected_cost" else target
    rows = [{"dataset": d, "repeat": 0, "fold": k, "method": m, **{c: 0.5 for c in ALL_SCORES},
             column: 0.5 + (0.1 if m == "good" else 0.0) + 0.01 * k}
            for d in ["a", "b"] for m in ["good", "bad"] for k in range(4)]
    scores = pd.DataFrame(rows)
    timings = scores[["dataset", "repeat", "fold", "method"]].assign(fit_seconds=1.0)
    text = write_report(scores, timings, tmp_path, target=target, plots=False)
    assert f"mean rank on {column}" in text
    ranks = text.split("## Mean ranks (1 = best)")[1].split("##")[0]
    assert ranks.index("good") < ranks.index("bad") and f"| {column}" in ranks.replace("|   ", "| ")


def test_report_of_the_expected_cost_target_reads_the_negated_cost(tmp_path):
    rows = [{"dataset": d, "repeat": 0, "fold": k, "method": m, "f1": 0.5, "partial_auc": 0.7,
             "neg_expected_cost": -cost - 0.01 * k}
            for d in ["a", "b"] for m, cost in [("cheap", 0.2), ("dear", 0.4)] for k in range(6)]
    scores = pd.DataFrame(rows)
    timings = scores[["dataset", "repeat", "fold", "method"]].assign(fit_seconds=1.0)
    text = write_report(scores, timings, tmp_path, target="expected_cost", plots=True)
    assert "mean rank on neg_expected_cost" in text and "## neg_expected_cost: win / tie / loss" not in text
    table = text.split("## Mean scores")[1].split("##")[0]
    assert table.index("cheap") < table.index("dear")  # the lower cost ranks first
    cost = "`neg_expected_cost`: `make_surrogate_scorer(metric='expected_cost', cost_matrix=[[0.0, 1.0], [5.0, 0.0]])`"
    assert cost in text and "`partial_auc`: `make_surrogate_scorer(metric='partial_auc', max_fpr=0.1)`" in text
    assert (tmp_path / "ranks_expected_cost.png").exists()


def test_command_line_ranking_target(toy, tmp_path, capsys):
    from sklearn_surrogate.app._cli import main

    status = main(["benchmark", "--shared-dir", str(toy), "--target", "average_precision", "--baselines", "hgb",
                   "--losses", "soap", "--repeats", "1", "--no-plot", "--output-dir", str(tmp_path / "out")])
    assert status == 0
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    assert list(dict.fromkeys(scores["method"])) == ["hgb", "soap"] and scores[ALL_SCORES].notna().all().all()
    capsys.readouterr()
    status = main(["benchmark", "--shared-dir", str(toy), "--target", "partial_auc", "--methods", "hgb+threshold",
                   "--repeats", "1", "--no-plot", "--output-dir", str(tmp_path / "refused")])
    assert status == 1 and "does not apply to the target 'partial_auc'" in capsys.readouterr().err
