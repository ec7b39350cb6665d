"""The command line refuses bad arguments before any work: ``error: ...`` on stderr, exit 2, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from joblib import cpu_count

import sklearn_surrogate.app._demo as demo_module
import sklearn_surrogate.datasets
import sklearn_surrogate.app._runner as runner_module
import sklearn_surrogate.learned._shipped as shipped_module
from sklearn_surrogate.app._cli import main
from sklearn_surrogate.app._demo import run_demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_work(monkeypatch):
    """Any training step reached fails the test: the errors must come before the work."""
    def reached(*args, **kwargs):
        raise AssertionError("the command started working before checking its arguments")

    monkeypatch.setattr(demo_module, "_evaluate", reached)
    monkeypatch.setattr(demo_module, "load_shipped", reached)
    monkeypatch.setattr(runner_module, "run_benchmark", reached)
    monkeypatch.setattr(shipped_module, "train_shipped_surrogates", reached)
    monkeypatch.setattr(sklearn_surrogate.datasets, "shared_manifest", reached)  # the benchmark's default datasets


def _commands(output):
    """Each command with its output folder set to ``output``."""
    return {
        "demo": ["demo", "--output-dir", str(output), "--no-plot"],
        "benchmark": ["benchmark", "--datasets", "pc4", "--losses", "f1", "--output-dir", str(output)],
        "train-surrogates": ["train-surrogates", "--output-dir", str(output)],
    }


def _refused(argv, capsys):
    """Run ``main(argv)``; it must exit 2 with ``error: ...``; return the error line."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"sklearn-surrogate {argv[0]}: error: "), err
    return line


@pytest.mark.parametrize("command", ["demo", "benchmark", "train-surrogates"])
def test_output_dir_that_is_a_file_is_refused_before_any_work(command, tmp_path, no_work, capsys):
    path = tmp_path / "results.txt"
    path.write_text("not a folder")
    line = _refused(_commands(path)[command], capsys)
    assert f"argument --output-dir: {str(path)!r} exists and is not a folder." in line


@pytest.mark.parametrize("command", ["demo", "benchmark", "train-surrogates"])
def test_output_dir_under_a_file_is_refused_before_any_work(command, tmp_path, no_work, capsys):
    (tmp_path / "file").write_text("x")
    path = tmp_path / "file" / "sub" / "results"
    line = _refused(_commands(path)[command], capsys)
    assert f"cannot create the folder {str(path)!r}: {str(tmp_path / 'file')!r} is not a folder." in line


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="chmod does not block root")
@pytest.mark.parametrize("command", ["demo", "benchmark", "train-surrogates"])
def test_unwritable_output_dir_is_refused_before_any_work(command, tmp_path, no_work, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        line = _refused(_commands(locked)[command], capsys)
        assert f"cannot write into the folder {str(locked)!r}: Permission denied" in line
        line = _refused(_commands(locked / "new")[command], capsys)
        assert f"cannot create the folder {str(locked / 'new')!r} in {str(locked)!r}: Permission denied" in line
    finally:
        locked.chmod(0o700)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where nobody can create folders")
def test_output_dir_that_cannot_be_created_is_refused_even_for_root(no_work, capsys):
    line = _refused(["demo", "--output-dir", "/proc/sklearn_surrogate_test/results"], capsys)
    assert "argument --output-dir: cannot create the folder '/proc/sklearn_surrogate_test/results' in '/proc'" in line


def test_benchmark_checks_its_checkpoint_folders(tmp_path, no_work, capsys):
    (tmp_path / "file").write_text("x")
    base = ["benchmark", "--datasets", "pc4", "--losses", "f1"]
    line = _refused([*base, "--output-dir", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path / "file")], capsys)
    assert "argument --checkpoint-dir: " in line and "exists and is not a folder" in line
    (tmp_path / "out2").mkdir()
    (tmp_path / "out2" / "datasets").write_text("x")  # the default checkpoint folder
    line = _refused([*base, "--output-dir", str(tmp_path / "out2")], capsys)
    assert "argument --checkpoint-dir (default: <output-dir>/datasets): " in line
    line = _refused([*base, "--output-dir", str(tmp_path / "out"), "--reuse-checkpoints", str(tmp_path / "typo")],
                    capsys)
    assert f"argument --reuse-checkpoints: {str(tmp_path / 'typo')!r} is not a folder." in line
    line = _refused(["benchmark", "--output-dir", str(tmp_path / "file")], capsys)  # the shared datasets: not read
    assert "argument --output-dir: " in line


def test_benchmark_reference_must_be_among_the_methods(tmp_path, no_work, capsys):
    line = _refused(["benchmark", "--datasets", "pc4", "--methods", "hgb", "--reference", "hgb+threshold",
                     "--output-dir", str(tmp_path)], capsys)
    assert "argument --reference: 'hgb+threshold' is not among the methods that run (hgb)." in line


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--n-repeats", "0"], "argument --n-repeats: must be at least 1, got 0"),
        (["demo", "--max-iter", "-3"], "argument --max-iter/--max-epochs: must be at least 1, got -3"),
        (["demo", "--random-state", "-1"], "argument --random-state: must be at least 0, got -1"),
        (["demo", "--threads", "x"], "argument --threads: invalid int value: 'x'"),
        (["benchmark", "--splits", "1"], "argument --splits: must be at least 2, got 1"),
        (["benchmark", "--repeats", "0"], "argument --repeats: must be at least 1, got 0"),
        (["benchmark", "--jobs", "0"], "argument --jobs: must not be 0; use a positive count, or -1 for all cores"),
        (["train-surrogates", "--steps", "0"], "argument --steps: must be at least 1, got 0"),
    ],
)
def test_bad_counts_are_refused_by_argparse(argv, message, no_work, capsys):
    assert message in _refused(argv, capsys)


def test_threads_minus_one_uses_every_core_like_the_estimator(tmp_path, monkeypatch, capsys):
    seen = {}

    def fake_run_demo(*args, n_threads, **kwargs):
        seen["n_threads"] = n_threads

    monkeypatch.setattr(demo_module, "run_demo", fake_run_demo)
    assert main(["demo", "--output-dir", str(tmp_path), "--threads", "-1"]) == 0
    assert seen["n_threads"] == cpu_count()
    assert main(["demo", "--output-dir", str(tmp_path), "--threads", "0"]) == 0
    assert seen["n_threads"] is None  # torch's own setting
    assert main(["demo", "--output-dir", str(tmp_path), "--threads", "100000"]) == 0
    assert seen["n_threads"] == cpu_count()
    err = capsys.readouterr().err
    assert f"warning: --threads 100000 is more than the {cpu_count()} usable cores of this machine" in err


def test_run_demo_applies_negative_and_huge_thread_counts(monkeypatch):
    """run_demo reads n_threads as the estimator does (it used to call torch.set_num_threads(-1) and crash)."""
    import torch

    used = []
    monkeypatch.setattr(demo_module, "_evaluate", lambda *args: used.append(torch.get_num_threads()) or
                        ["x", 0.5, 0.5, 0.5, 1.0, 0, 0, 0, 0])
    before = torch.get_num_threads()
    run_demo(losses=("f1",), n_repeats=1, n_threads=-1, output_dir=None, verbose=False)
    with pytest.warns(UserWarning, match="n_threads=100000 is more than"):
        run_demo(losses=("f1",), n_repeats=1, n_threads=100_000, output_dir=None, verbose=False)
    assert used == [cpu_count(), cpu_count()] and torch.get_num_threads() == before


def test_run_demo_checks_its_output_folder_before_any_work(tmp_path, no_work):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"Bad output_dir: '.*file' exists and is not a folder\."):
        run_demo(output_dir=tmp_path / "file", verbose=False)


def test_a_huge_thread_count_runs_in_a_fresh_process(tmp_path):
    """End to end, as the issue saw it: --threads 100000 used to end in an ImportError."""
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_surrogate", "demo", "--threads", "100000", "--loss", "cross_entropy",
         "--n-repeats", "1", "--max-iter", "1", "--no-plot", "--output-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "warning: --threads 100000 is more than the" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "demo.csv").exists()
