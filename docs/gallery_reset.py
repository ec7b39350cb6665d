"""Per-example resets for sphinx-gallery, which runs every example in the build's own process."""

import torch

_INITIAL_THREADS = torch.get_num_threads()


def reset_torch_threads(gallery_conf, fname):
    """Give every example the thread count the build started with, whatever the previous one set."""
    torch.set_num_threads(_INITIAL_THREADS)
