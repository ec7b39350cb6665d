"""Test-session settings."""

import os

import torch

# The tests' networks and tensors are tiny: one intra-op thread is fastest (OpenMP hand-offs
# cost milliseconds per op on a busy machine), and under pytest-xdist two workers with two
# threads each would oversubscribe a 2-core machine. Set SKLEARN_SURROGATE_TEST_THREADS to override.
torch.set_num_threads(int(os.environ.get("SKLEARN_SURROGATE_TEST_THREADS", "1")))


import pytest

# The deprecated alias warns when imported, so pytest's doctest collection must not import it;
# tests/app/test_benchmark.py checks the warning and the names.
collect_ignore = ["sklearn_surrogate/benchmark.py"]


@pytest.fixture(autouse=True)
def _restore_loss_registry():
    """Undo registrations made by a test or a doctest (``register_loss``'s example adds a name)."""
    from sklearn_surrogate.losses import _registry

    _registry._load_plugins()  # first: a plugin loaded during the test must not be undone with its registrations
    before = dict(_registry._LOSSES)
    yield
    _registry._LOSSES.clear()
    _registry._LOSSES.update(before)


def _shared_corpus_missing():
    """Why the shared datasets cannot be read here (None when they can)."""
    from sklearn_surrogate.datasets import shared_manifest

    try:
        shared_manifest()
    except FileNotFoundError as exc:
        return str(exc)
    return None


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``shared_data`` where the shared corpus is absent or turned off (a user's clone)."""
    marked = [item for item in items if item.get_closest_marker("shared_data")]
    if not marked:
        return
    reason = _shared_corpus_missing()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=f"needs the shared OpenML corpus: {reason}")
    for item in marked:
        item.add_marker(skip)


# the ONNX module's examples run the export: without the optional packages there is nothing to check
try:
    import onnxruntime  # noqa: F401
    import skl2onnx  # noqa: F401
except ImportError:
    collect_ignore.append("sklearn_surrogate/onnx.py")
