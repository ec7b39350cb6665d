"""Test-session settings."""

import os

import torch

# Under pytest-xdist each worker gets one core: tiny networks train fastest on one
# thread, and two workers with two threads each would oversubscribe a 2-core machine.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
