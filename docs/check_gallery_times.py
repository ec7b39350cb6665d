"""Print how long each gallery example ran in the docs build; fail if one took a minute or more.

Usage: ``python docs/check_gallery_times.py docs/auto_examples [--require-times]`` (``make docs``
runs it, with ``--require-times`` unless the gallery was skipped).

sphinx-gallery records each example's running time at the end of its generated page
(``**Total running time of the script:** (M minutes S.SSS seconds)``); this reads those lines.
Every example is meant to run in under a minute on two CPU cores, so the gallery can be executed
on every build. An example that was not executed (``-D plot_gallery=0``) has no time; with
``--require-times`` that is a failure too, so a change in sphinx-gallery's wording cannot turn the
check into one that always passes.
"""

import re
import sys
from pathlib import Path

LIMIT_SECONDS = 60.0
TIME = re.compile(r"\*\*Total running time of the script:\*\* \(\s*(\d+) minutes\s+([\d.]+) seconds\)")


def example_times(gallery_dir):
    """``{example: seconds or None}`` for every generated example page under ``gallery_dir``."""
    times = {}
    for page in sorted(Path(gallery_dir).rglob("plot_*.rst")):
        match = TIME.search(page.read_text(encoding="utf-8"))
        name = page.relative_to(gallery_dir).with_suffix(".py").as_posix()
        times[name] = None if match is None else 60 * int(match[1]) + float(match[2])
    return times


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gallery_dir", nargs="?", type=Path, default=Path("docs/auto_examples"))
    parser.add_argument("--require-times", action="store_true", help="fail when an example has no running time")
    args = parser.parse_args(argv)
    gallery_dir = args.gallery_dir
    times = example_times(gallery_dir)
    if not times:
        print(f"check_gallery_times: no generated examples under {gallery_dir}", file=sys.stderr)
        return 1
    slow, untimed = [], []
    print(f"{'example':60s} seconds")
    for name, seconds in times.items():
        shown = "not run" if seconds is None else f"{seconds:7.1f}"
        print(f"{name:60s} {shown}")
        if seconds is None:
            untimed.append(name)
        elif seconds >= LIMIT_SECONDS:
            slow.append(name)
    ran = [seconds for seconds in times.values() if seconds is not None]
    print(f"{len(ran)} of {len(times)} examples ran, {sum(ran):.0f} s in all")
    failed = False
    if slow:
        print(f"check_gallery_times: over {LIMIT_SECONDS:.0f} s: {', '.join(slow)}", file=sys.stderr)
        failed = True
    if untimed and args.require_times:
        print(f"check_gallery_times: no running time found for {', '.join(untimed)}", file=sys.stderr)
        failed = True
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
