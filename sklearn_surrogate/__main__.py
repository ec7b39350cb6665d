"""``python -m sklearn_surrogate``: the command line (runs the demo by default)."""

import sys

from .app._cli import main

if __name__ == "__main__":
    sys.exit(main())
