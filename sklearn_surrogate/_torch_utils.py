"""The one place where arrays become tensors and device strings become devices."""

import contextlib
import re
import threading
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from joblib import cpu_count

__all__ = [
    "SparseRows",
    "as_float_tensor",
    "global_rng_state",
    "resolve_device",
    "resolve_n_threads",
    "seeded_global_rng",
    "to_numpy",
    "torch_threads",
]

_DEVICE_PATTERN = re.compile(r"^(cpu|cuda|mps|xpu)(:\d+)?$")


def _accelerator_available(kind):
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if kind == "xpu":
        return hasattr(torch, "xpu") and torch.xpu.is_available()
    return kind == "cpu"


def _device_count(kind):
    if kind == "cuda":
        return torch.cuda.device_count()
    if kind == "xpu":
        return torch.xpu.device_count() if hasattr(torch, "xpu") else 0
    return 1


def resolve_device(device):
    """Turn the estimator's ``device`` parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``, ``"xpu"`` (with an
        optional index), or ``"auto"``: the first available accelerator
        (CUDA, then MPS, then XPU), else the CPU.

    Returns
    -------
    device : torch.device

    Raises
    ------
    ValueError
        If the string is not a device name or the device is not available on
        this machine.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu', 'cuda:0' or 'auto', got {type(device).__name__}.")
    if device == "auto":
        for kind in ("cuda", "mps", "xpu"):
            if _accelerator_available(kind):
                return torch.device(kind)
        return torch.device("cpu")
    match = _DEVICE_PATTERN.match(device)
    if match is None:
        raise ValueError(
            f"device={device!r} is not a valid device; use 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'."
        )
    kind, index = match.group(1), match.group(2)
    if not _accelerator_available(kind):
        raise ValueError(
            f"device={device!r} is not available on this machine (torch {torch.__version__} sees no {kind} "
            "device); use device='cpu', or device='auto' to take an accelerator only when there is one."
        )
    if index is not None:
        count = _device_count(kind)
        if int(index[1:]) >= count:
            raise ValueError(f"device={device!r} is not available: this machine has {count} {kind} device(s).")
    return torch.device(device)


def as_float_tensor(X, device, dtype=torch.float32):
    """A dense float tensor on ``device`` from a numpy array (no copy when possible).

    An array with negative strides (a flipped view such as ``X[::-1]``) is
    copied, since torch cannot share its memory. A SciPy sparse matrix is densified whole, so callers pass a bounded block
    of rows (a batch, a prediction chunk), never a full sparse data set.
    """
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    if sp.issparse(X):
        # convert the stored values first (small), then densify once, already in the target dtype
        return torch.from_numpy(X.astype(np_dtype, copy=False).toarray()).to(device=device, dtype=dtype)
    X = np.asarray(X)
    if X.dtype != np_dtype:
        X = X.astype(np_dtype)
    if not X.flags.writeable:  # torch warns on read-only memory (memmaps)
        X = X.copy()
    elif any(stride < 0 for stride in X.strides):  # a flipped view (X[::-1], np.fliplr): torch takes no such strides
        X = X.copy()  # (not ascontiguousarray: numpy calls a flipped single column contiguous and keeps its stride)
    return torch.as_tensor(X, dtype=dtype).to(device)


class SparseRows:
    """A CSR matrix that hands out dense float32 tensors of row blocks.

    It stands in for the feature tensor of a
    :class:`~sklearn_surrogate._net.TensorDataset` when ``X`` is sparse:
    indexing it with a batch's row indices (an int64 tensor or a slice)
    gathers those rows from the CSR matrix, densifies them and moves them to
    ``device``. Only one batch is ever dense; the matrix itself stays on the
    CPU, as it came (no copy).

    Parameters
    ----------
    matrix : scipy.sparse CSR matrix or array of float32
        All rows of the data.
    device : torch.device
        Where the dense batches go.
    """

    def __init__(self, matrix, device):
        self.matrix = matrix
        self.device = device
        self.shape = matrix.shape

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        if isinstance(rows, torch.Tensor):
            rows = rows.cpu().numpy()
        if not isinstance(rows, slice) and np.ndim(rows) == 0:  # a single row (a Dataset item): one dimension
            return as_float_tensor(self.matrix[[int(rows)]], self.device)[0]
        return as_float_tensor(self.matrix[rows], self.device)


def to_numpy(tensor):
    """A numpy array from a tensor on any device."""
    return tensor.detach().to("cpu").numpy()


def resolve_n_threads(n_threads):
    """The thread count an ``n_threads`` parameter asks for (joblib's convention for negatives).

    Parameters
    ----------
    n_threads : int
        A positive count, or a negative one counting from the number of
        usable cores (``-1``: all of them, ``-2``: all but one...). A count
        above the number of usable cores is lowered to it, with a
        ``UserWarning``: torch gains nothing from more compute threads than
        cores, and a huge count makes it start threads until memory runs out.

    Returns
    -------
    n : int
        At least 1, at most the number of usable cores.
    """
    if n_threads == 0:
        raise ValueError("n_threads == 0 is not valid; use a positive count, a negative one (-1: all cores) or None.")
    cores = cpu_count()
    if n_threads < 0:
        return max(cores + 1 + int(n_threads), 1)
    if n_threads > cores:
        warnings.warn(
            f"n_threads={int(n_threads)} is more than the {cores} usable cores of this machine; using {cores} "
            "threads. Pass n_threads=-1 to use all cores.",
            UserWarning,
            stacklevel=2,
        )
        return cores
    return int(n_threads)


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run a block with torch using ``n_threads`` CPU threads (None: leave torch's setting alone).

    The previous count is restored on exit. In torch's OpenMP builds (the
    CPU wheels) the intra-op count is kept per thread: this sets it for the
    calling thread only, and threads that have not set one yet start from
    the count set last by any thread.
    """
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(resolve_n_threads(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# torch's global random generators are one per process, shared by its threads: two fits in threads of one process
# (joblib's threading backend, a Dask worker's threads) that seed and draw from them at once interleave their draws,
# and a fit's weights then depend on the other's timing. Every seeding, the draws that must follow it, and every
# restore happen under this lock.
_GLOBAL_RNG_LOCK = threading.RLock()


def _rng_states(devices):
    return torch.get_rng_state(), [torch.cuda.get_rng_state(device) for device in devices]


def _set_rng_states(states, devices):
    cpu, accelerators = states
    torch.set_rng_state(cpu)
    for device, state in zip(devices, accelerators):
        torch.cuda.set_rng_state(state, device)


@contextlib.contextmanager
def seeded_global_rng(seed, devices=()):
    """Seed torch's global generators for a block that draws from them, atomically with respect to other threads.

    The block runs under a process-wide lock, so another thread's fit can
    neither reseed nor draw from the generators between the seeding and the
    block's draws (a network's initialisation): the draws are those of
    ``seed`` alone. The previous states are restored on exit. Yields the
    generators' states at the end of the block, for :func:`global_rng_state`
    to continue from (a dict filled on exit).

    Parameters
    ----------
    seed : int
    devices : sequence of torch.device, default=()
        CUDA devices whose generators are seeded and restored too.
    """
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=list(devices)):
        torch.manual_seed(seed)
        after = {}
        yield after
        after["states"] = _rng_states(devices)


@contextlib.contextmanager
def global_rng_state(states, devices=()):
    """Run a block from given global generator states (set, then restored on exit, each under the lock).

    For the long part of a fit (training), which must not hold the lock: a
    model whose training draws from the global generators (dropout) draws
    the same numbers as when it ran alone unless another thread draws at the
    same moment, and one that does not draw (the default network) is not
    affected by other threads at all.
    """
    with _GLOBAL_RNG_LOCK:
        saved = _rng_states(devices)
        _set_rng_states(states, devices)
    try:
        yield
    finally:
        with _GLOBAL_RNG_LOCK:
            _set_rng_states(saved, devices)
