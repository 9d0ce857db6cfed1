"""The HTML report renders its charts in headless Chromium with the network unavailable.

Without chromium the rendering test is skipped on a developer's machine, and fails under CI (CI=true): there a
skip would leave the run green without the check ever running.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    # No network at all: every host resolves to nothing and every request goes to a dead proxy.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
]


def render(html_path, tmp_path, *, screenshot=None) -> str:
    """The DOM after scripts ran, from headless Chromium with no network."""
    args = [
        CHROMIUM,
        *OFFLINE_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=20000",
    ]
    if screenshot:
        args += [f"--screenshot={screenshot}", "--window-size=1200,2400"]
    else:
        args += ["--dump-dom"]
    out = subprocess.run([*args, html_path.as_uri()], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"chromium exited with {out.returncode}: {out.stderr[-2000:]}"
    return out.stdout


def require_chromium() -> None:
    """Skip without chromium, except under CI where its absence is a failure of the CI setup."""
    if CHROMIUM is not None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            "chromium is not installed under CI=true: .ci/run must install it (apt-get install chromium)"
        )
    pytest.skip("chromium is not installed (apt-get install chromium)")


def test_report_charts_render_offline(tiny, tmp_path):
    from dmpdata import report

    require_chromium()

    con = tiny.duckdb()
    path = report.write(con, tmp_path / "report.html", title="test report")
    text = path.read_text(encoding="utf-8")
    assert "cdn" not in text.lower().split("<script>", 1)[0]  # nothing fetched before the inline bundle
    assert not re.search(r"<script[^>]+src=", text)  # no external script
    expected = text.count("class='chart'")
    assert expected >= 10
    dom = render(path, tmp_path)
    rendered = len(re.findall(r"<div id=\"chart_[a-z0-9_]+\" class=\"chart[^\"]*\"[^>]*>\s*<svg", dom))
    assert rendered == expected, f"{rendered} of {expected} charts rendered offline"


def test_the_vega_bundle_is_built_once_then_read_from_the_cache(tmp_path, monkeypatch):
    import vl_convert

    from dmpdata import report

    calls = []
    real = vl_convert.javascript_bundle

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setenv("DMPDATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(vl_convert, "javascript_bundle", counting)
    report._vega_bundle.cache_clear()
    try:
        first = report._vega_bundle()
        report._vega_bundle.cache_clear()  # a new process
        second = report._vega_bundle()
        assert first == second and len(calls) == 1
        assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".js"]  # no temporary file left
        # An unwritable cache is skipped, not an error.
        monkeypatch.setenv(
            "DMPDATA_CACHE", str(tmp_path / "cache" / next((tmp_path / "cache").iterdir()).name)
        )
        report._vega_bundle.cache_clear()
        assert report._vega_bundle() == first and len(calls) == 2
    finally:
        report._vega_bundle.cache_clear()
