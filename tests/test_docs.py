"""The documentation site builds offline with --strict, and its analyses catalogue lists every analysis."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

from dmpdata import analyses

ROOT = Path(__file__).resolve().parents[1]
# Any HTTP(S) request made during the build goes to a closed port and fails: the build must need no network.
NO_NETWORK = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
# What a page would load from elsewhere when opened (links to other sites are fine).
REMOTE_ASSET = re.compile(
    r"<(?:script|img|iframe)[^>]*\ssrc=\"https?:|<link[^>]*\shref=\"https?:[^\"]*\"[^>]*stylesheet"
)


def _hooks():
    """docs/hooks.py, the site's build hooks (not a package module)."""
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def test_site_builds_strict_offline_with_every_analysis(tmp_path):
    site = tmp_path / "site"
    # NO_MKDOCS_2_WARNING: Material's notice about MkDocs 2.0, printed on every build, is not about this site.
    env = {**os.environ, **NO_NETWORK, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]

    catalogue = (site / "guide" / "analyses" / "index.html").read_text(encoding="utf-8")
    listed = set(re.findall(r'<h3 id="([a-z0-9_]+)"', catalogue))
    missing = [q.name for q in analyses.questions() if q.name not in listed]
    assert not missing, f"analyses missing from the catalogue page: {missing}"

    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<!-- dmpdata:" not in text, f"{page}: a generated block was left unfilled"
        assert not REMOTE_ASSET.search(text), f"{page}: loads an asset from the network"
    assert "1.2.250.1.213.1.4.10" in (site / "index.html").read_text(encoding="utf-8")


def test_included_texts_link_into_the_site_or_name_the_path():
    hooks = _hooks()
    line = (
        "See [the dictionary](../schemas/DATA_DICTIONARY.md#patients), [`views.sql`](../warehouse/views.sql), "
        "[a site](https://example.org) and [a section](#adding-one)."
    )
    rewritten = hooks.LINK.sub(
        lambda m: hooks._relink(m, "dmpdata/analyses/README.md", "extend/analyses.md"), line
    )
    assert rewritten == (
        "See [the dictionary](../guide/dictionary.md#patients), `views.sql` (`dmpdata/warehouse/views.sql`), "
        "[a site](https://example.org) and [a section](#adding-one)."
    )


def test_docstrings_made_at_import_render_their_sections():
    hooks = _hooks()
    doc = "The question?\n\nArgs:\n    con: a connection\n    months: INTEGER, default 6\n\nReturns:\n    A frame."
    assert hooks._sections(doc).splitlines() == [
        "The question?",
        "",
        "",
        "**Args:**",
        "",
        "- `con`: a connection",
        "- `months`: INTEGER, default 6",
        "",
        "",
        "**Returns:**",
        "",
        "A frame.",
    ]
