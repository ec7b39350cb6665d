"""The speed and memory machinery: threads, bf16, compile (the lean loop and shared tensors: test_net.py).

Speed itself is measured by ``benchmarks/bench_speed.py``, not here: these
tests check that the fast paths give the same results as the slow ones and
that the switches do what they say.
"""

import pickle

import numpy as np
import pytest
import torch
from joblib import cpu_count
from sklearn.datasets import make_classification
from sklearn.model_selection import cross_validate
from skorch.callbacks import Callback

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate._torch_utils import resolve_n_threads, torch_threads


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=600, n_features=10, n_informative=6, weights=[0.75], random_state=0)
    return X.astype(np.float32), y


def fast(**params):
    return SurrogateClassifier(**{"max_iter": 4, "random_state": 0, "hidden_layer_sizes": (16,), **params})


class ThreadRecorder(Callback):
    """Records torch's thread count during training in the history."""

    def on_epoch_end(self, net, **kwargs):
        net.history.record("torch_threads", torch.get_num_threads())


# -- threads ------------------------------------------------------------------------
def test_n_threads_applies_during_fit_and_is_restored(data):
    X, y = data
    before = torch.get_num_threads()
    clf = fast(n_threads=1, callbacks=[ThreadRecorder()]).fit(X, y)
    assert {row["torch_threads"] for row in clf.history_} == {1}
    assert torch.get_num_threads() == before
    clf.predict(X)
    assert torch.get_num_threads() == before


def test_resolve_n_threads():
    assert resolve_n_threads(1) == 1
    assert resolve_n_threads(-1) == cpu_count()
    assert resolve_n_threads(-10_000) == 1
    with pytest.raises(ValueError, match="n_threads == 0"):
        resolve_n_threads(0)
    with torch_threads(None):
        pass


def test_n_threads_above_the_cores_is_lowered_with_a_warning(data):
    """A huge count used to start threads until memory ran out (an ImportError in a later import)."""
    with pytest.warns(UserWarning, match=f"n_threads=100000 is more than the {cpu_count()} usable cores"):
        assert resolve_n_threads(100_000) == cpu_count()
    X, y = data
    before = torch.get_num_threads()
    with pytest.warns(UserWarning, match="n_threads=100000"):
        clf = fast(n_threads=100_000, callbacks=[ThreadRecorder()]).fit(X, y)
    assert {row["torch_threads"] for row in clf.history_} == {cpu_count()}
    assert torch.get_num_threads() == before


def test_n_threads_zero_and_bad_type_raise(data):
    X, y = data
    with pytest.raises(ValueError, match="n_threads"):
        fast(n_threads=0).fit(X, y)
    with pytest.raises(ValueError, match="n_threads"):
        fast(n_threads=1.5).fit(X, y)


def test_parallel_model_selection_does_not_oversubscribe(data):
    """Inside joblib workers torch uses the worker's share of the cores, not all of them."""
    X, y = data
    result = cross_validate(
        fast(callbacks=[ThreadRecorder()]), X, y, cv=2, n_jobs=2, return_estimator=True
    )
    share = max(cpu_count() // 2, 1)
    for estimator in result["estimator"]:
        assert {row["torch_threads"] for row in estimator.history_} == {share}


# -- mixed precision and compilation -------------------------------------------
def test_bf16_mixed_precision_trains_and_predicts(data):
    X, y = data
    plain = fast(max_iter=20).fit(X, y)
    bf16 = fast(max_iter=20, mixed_precision="bf16").fit(X, y)
    assert next(bf16.net_.module_.parameters()).dtype == torch.float32  # weights stay float32
    proba = bf16.predict_proba(X)
    assert np.all(np.isfinite(proba))
    assert not np.array_equal(bf16.decision_function(X), plain.decision_function(X))  # it did change the maths
    assert abs(bf16.score(X, y) - plain.score(X, y)) < 0.05
    with pytest.raises(ValueError, match="mixed_precision"):
        fast(mixed_precision="fp8").fit(X, y)


def test_compile_switch_uses_a_compiled_batch_loss_and_pickles(data):
    X, y = data
    # the "eager" backend exercises the plumbing without a C++ toolchain
    clf = fast(compile={"backend": "eager"}).fit(X, y)
    reference = fast().fit(X, y)
    function = clf.net_.__dict__["_batch_loss_cache"][1]
    assert hasattr(function, "_torchdynamo_orig_callable")  # what torch.compile returns
    assert not hasattr(reference.net_.__dict__["_batch_loss_cache"][1], "_torchdynamo_orig_callable")
    np.testing.assert_allclose(clf.decision_function(X), reference.decision_function(X), rtol=1e-5, atol=1e-6)
    restored = pickle.loads(pickle.dumps(clf))
    assert "_batch_loss_cache" not in restored.net_.__dict__
    np.testing.assert_array_equal(restored.decision_function(X), clf.decision_function(X))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's inductor imports torch.jit.script_method
@pytest.mark.parametrize("loss", ["f1", "auc_square"])
def test_compile_with_inductor_matches_eager(data, loss):
    """The default backend compiles network and loss together and trains to the same model."""
    X, y = data
    compiled = fast(loss=loss, compile=True, max_iter=2).fit(X, y)
    eager = fast(loss=loss, max_iter=2).fit(X, y)
    np.testing.assert_allclose(compiled.decision_function(X), eager.decision_function(X), rtol=1e-4, atol=1e-5)
    for a, b in zip(compiled.history_, eager.history_):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4, abs=1e-6)


# -- GPU (skipped without one) ---------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("params", [{}, {"mixed_precision": "bf16"}])
def test_cuda_data_moved_once_and_batches_stay_on_device(data, params):
    X, y = data
    seen = []

    class DeviceRecorder(Callback):
        listens_to_training_batches = True

        def on_batch_begin(self, net, batch=None, training=False, **kwargs):
            seen.append((batch[0].device.type, batch[1]["y"].device.type))

    clf = fast(device="cuda", callbacks=[DeviceRecorder()], **params).fit(X, y)
    assert seen and set(seen) == {("cuda", "cuda")}
    assert np.all(np.isfinite(clf.predict_proba(X)))
    clf_cpu = pickle.loads(pickle.dumps(clf))
    assert clf_cpu.predict(X).shape == (len(X),)


def test_compile_keeps_compiling_beyond_torchs_recompile_limit(data):
    """A grid search compiles every fit: the ninth fit in a process is compiled too, not silently eager."""
    from torch._dynamo.utils import counters

    X, y = data
    limit = torch._dynamo.config.cache_size_limit
    for _ in range(limit + 1):
        before = counters["stats"]["unique_graphs"]
        fast(compile={"backend": "eager"}, max_iter=1).fit(X, y)
    assert counters["stats"]["unique_graphs"] > before  # the last fit made graphs of its own


def test_compiled_learned_loss_stays_compiled_across_configurations(data):
    """Nine fits of differently configured learned losses in one process: the ninth is compiled, in one graph.

    The learned loss's table cache cannot be traced; were the compiled batch loss to reach it, the graph would
    break there and its second part, a frame shared by every fit, would stop being compiled after dynamo's
    recompile limit (8). The epoch hook builds the table before the compiled region instead.
    """
    from torch._dynamo.utils import counters

    X, y = data
    limit = torch._dynamo.config.cache_size_limit
    for i in range(limit + 1):
        breaks, before = counters["graph_break"].total(), counters["stats"]["unique_graphs"]
        fast(loss="reloss_f1", loss__ce_weight=0.1 * (i + 1), compile={"backend": "eager"}, max_iter=1).fit(X, y)
        assert counters["graph_break"].total() == breaks
    assert counters["stats"]["unique_graphs"] > before  # the last fit made graphs of its own


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("loss", ["aldr_kl", "auc_square", "auc_squared_hinge", "f1", "mcc"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_training_losses_trace_without_host_reads(loss, n_classes):
    """In training mode (checks off, state sized by setup) a loss is one graph: no value read back to the host.

    A read-back (``.item()``, ``bool(tensor)``) costs a device synchronisation per batch on a GPU and
    breaks a compiled graph in two.
    """
    from sklearn_surrogate.losses import get_loss

    criterion = get_loss(loss)
    criterion.check_input = False
    criterion.setup(n_classes, 64)
    logits = torch.randn(64) if n_classes == 2 else torch.randn(64, n_classes)
    targets = torch.arange(64) % n_classes
    kwargs = {"index": torch.arange(64)} if criterion.needs_sample_index else {}
    explanation = torch._dynamo.explain(criterion)(logits, targets, **kwargs)
    assert explanation.graph_break_count == 0, [str(b.reason)[:200] for b in explanation.break_reasons]
