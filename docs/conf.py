"""Sphinx configuration for the sklearn_surrogate documentation.

Build with ``make docs`` (warnings are errors). The gallery under
``examples/<topic>/plot_*.py`` is executed on every build by sphinx-gallery.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the checkout's package, also when it is not installed
sys.path.insert(0, str(ROOT / "docs"))  # gallery_reset

import sklearn_surrogate

# The gallery's plots render off-screen.
os.environ.setdefault("MPLBACKEND", "Agg")

project = "sklearn-surrogate"
author = "the sklearn_surrogate developers"
copyright = "2026, the sklearn_surrogate developers"
release = sklearn_surrogate.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/sg_execution_times.rst"]
templates_path = ["_templates"]

# --- MyST (the user guide is Markdown) -------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# --- API reference ----------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {
    "members": True,
    # scikit-learn generates these metadata-routing setters; their docstrings link into
    # scikit-learn's own glossary.
    "exclude-members": "set_fit_request,set_score_request,set_predict_request,"
    "set_predict_proba_request,set_partial_fit_request,set_transform_request",
}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Docstring checks that fail the build (warnings are errors): every documented object
# has a docstring, and every parameter is documented and exists.
numpydoc_validation_checks = {"GL08", "PR01", "PR02"}
numpydoc_validation_exclude = {
    r"\.__init__$",
    r"\.forward$",  # torch's call protocol, documented on the class
    r"\.extra_repr$",
}

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
}
# Offline builds (this machine, CI) cannot reach the inventories: ``make docs`` sets
# SPHINX_OFFLINE=1, which drops intersphinx instead of failing on its fetch warnings.
if os.environ.get("SPHINX_OFFLINE", "") not in ("", "0"):
    intersphinx_mapping = {}

# --- Gallery ----------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    # each example starts with matplotlib's defaults and the build's torch thread count
    "reset_modules": ("matplotlib", "gallery_reset.reset_torch_threads"),
    "doc_module": ("sklearn_surrogate",),
    "backreferences_dir": None,
    "image_scrapers": ("matplotlib",),
}

# --- HTML -------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-surrogate {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = True
