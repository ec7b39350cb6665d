"""Screenshot the built documentation in headless Chromium and check that it is not broken.

Usage: ``python docs/check_site.py docs/_build/html`` (``make docs-check``).

The built site is served on 127.0.0.1 and Chromium (Debian's ``chromium`` package, or the
browser named by ``$CHROMIUM``) renders the home page and one gallery page. For each page the
check fails when

* a page, stylesheet, script or image it loads is missing (any HTTP 404 while rendering),
* the rendered DOM lacks the PyData theme's header and sidebar, or the page's own content
  (the home page's title; the gallery page's code, printed output and figure),
* the screenshot is (nearly) blank: fewer than 2 % of its pixels differ from the dominant
  colour, or it has fewer than 64 distinct colours (a page without its theme, or an empty page).

Screenshots are written next to the site, in ``<html>/../screenshots/``, to be looked at.
"""

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np

WIDTH, HEIGHT = 1280, 1000
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often give /dev/shm only 64 MB
    "--hide-scrollbars",
    f"--window-size={WIDTH},{HEIGHT}",
    "--virtual-time-budget=5000",
]

# page -> strings the rendered DOM must contain
PAGES = {
    "index.html": [
        'class="bd-header',  # the theme's navigation bar
        "bd-sidebar",
        "<h1>sklearn-surrogate",
        "Train neural networks on tabular data",
    ],
    "auto_examples/f1/plot_f1_vs_cross_entropy.html": [
        'class="bd-header',
        "bd-sidebar",
        "sphx-glr-script-out",  # printed output of an executed cell
        "sphx-glr-single-img",  # a figure the example drew
        'class="highlight-Python',  # highlighted code
    ],
}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site quietly and records every path that was not found."""

    missing: ClassVar[list] = []

    def log_message(self, format, *args):
        pass

    def send_error(self, code, message=None, explain=None):
        if code == 404 and self.path != "/favicon.ico":  # browsers ask for it unprompted
            self.missing.append(self.path)
        super().send_error(code, message, explain)


def find_chromium():
    """The Chromium executable: ``$CHROMIUM``, else the first of the usual names on PATH."""
    for candidate in [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]:
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    raise SystemExit(
        "check_site: no Chromium found. Install Debian's package (apt-get install chromium) "
        "or point $CHROMIUM at a Chromium or Chrome executable."
    )


def render(chromium, url, screenshot):
    """Render ``url``: save a screenshot and return the DOM after scripts ran."""
    with tempfile.TemporaryDirectory() as profile:
        base = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        subprocess.run([*base, f"--screenshot={screenshot}", url], check=True, capture_output=True, timeout=120)
    with tempfile.TemporaryDirectory() as profile:
        base = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        dom = subprocess.run([*base, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120)
    return dom.stdout


def blank_reasons(png):
    """Why the screenshot looks blank (an empty list when it does not)."""
    from matplotlib.image import imread

    pixels = imread(png)[..., :3]
    if pixels.shape[:2] != (HEIGHT, WIDTH):
        return [f"screenshot is {pixels.shape[1]}x{pixels.shape[0]}, expected {WIDTH}x{HEIGHT}"]
    flat = np.round(pixels.reshape(-1, 3) * 255).astype(np.uint8)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    reasons = []
    share_other = 1 - counts.max() / counts.sum()
    if share_other < 0.02:
        reasons.append(f"only {share_other:.1%} of the pixels differ from the dominant colour")
    if len(colours) < 64:
        reasons.append(f"only {len(colours)} distinct colours")
    return reasons


def check(html_dir, out_dir):
    chromium = find_chromium()
    handler = functools.partial(_Handler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = []
    try:
        for page, needles in PAGES.items():
            if not (html_dir / page).is_file():
                failures.append(f"{page}: not built")
                continue
            _Handler.missing.clear()
            png = out_dir / (page.replace("/", "_").removesuffix(".html") + ".png")
            try:
                dom = render(chromium, f"http://127.0.0.1:{port}/{page}", png)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
                failures.append(f"{page}: Chromium failed ({exc}); its last output: {stderr[-1500:]}")
                continue
            problems = [f"missing resource {path}" for path in sorted(set(_Handler.missing))]
            problems += [f"rendered page lacks {needle!r}" for needle in needles if needle not in dom]
            problems += blank_reasons(png)
            status = "ok" if not problems else "FAILED"
            print(f"{page}: {status} ({len(dom):,} characters of DOM; screenshot {png})")
            failures += [f"{page}: {problem}" for problem in problems]
    finally:
        server.shutdown()
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", type=Path, help="the built site (docs/_build/html)")
    parser.add_argument("--output", type=Path, default=None, help="screenshot folder (default: <html_dir>/../screenshots)")
    args = parser.parse_args(argv)
    html_dir = args.html_dir.resolve()
    failures = check(html_dir, args.output or html_dir.parent / "screenshots")
    for failure in failures:
        print(f"  {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
