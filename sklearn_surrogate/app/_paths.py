"""Checking output folders before any work, so that hours of training are never lost to a bad path."""

import os
import tempfile

__all__ = ["check_output_dir"]


def _probe(folder, problem):
    """Raise ``ValueError(problem + reason)`` unless a file can be created (and is removed at once) in ``folder``."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ValueError(f"{problem}: {exc.strerror or exc}") from None


def check_output_dir(path):
    """Check that ``path`` is a folder that can be written into, or created; create nothing.

    An existing folder must accept a new file; a missing one must have a
    nearest existing ancestor that is a folder accepting a new entry. The
    check writes a temporary file (removed at once) rather than trusting
    permission bits, so read-only file systems and access lists count too.

    Parameters
    ----------
    path : path-like
        The output folder.

    Raises
    ------
    ValueError
        If ``path`` exists and is not a folder, is a folder that cannot be
        written into, or cannot be created; the message names the path and
        the reason.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_surrogate.app._paths import check_output_dir
    >>> folder = tempfile.mkdtemp()
    >>> check_output_dir(Path(folder) / "new" / "results")  # fine: it can be created
    >>> _ = (Path(folder) / "file.txt").write_text("x")
    >>> check_output_dir(Path(folder) / "file.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '...file.txt' exists and is not a folder.
    >>> import shutil
    >>> shutil.rmtree(folder)
    """
    path = os.fspath(path)
    if os.path.lexists(path):  # a dangling link counts as existing: it cannot become a folder either
        if not os.path.isdir(path):
            raise ValueError(f"{path!r} exists and is not a folder.")
        _probe(path, f"cannot write into the folder {path!r}")
        return
    ancestor = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(ancestor):  # the file system root always exists
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise ValueError(f"cannot create the folder {path!r}: {ancestor!r} is not a folder.")
    _probe(ancestor, f"cannot create the folder {path!r} in {ancestor!r}")
