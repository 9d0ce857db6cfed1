"""No network at run time (issue #9, part 5): generate -> validate -> load -> report with every socket blocked.

The socket entry points that any client library ends up calling are replaced by functions that count the attempt
and raise; the whole pipeline must succeed anyway and the count must stay at zero (an attempt that a library
swallowed and recovered from would still be counted).
"""

from __future__ import annotations

import re
import socket

import pytest

import dmpdata
import dmpdata.report


class NetworkAttempt(RuntimeError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[str] = []

    def blocked(name):
        def refuse(*args, **kwargs):
            attempts.append(f"{name}{args[1:] if name.startswith('socket.socket') else args}")
            raise NetworkAttempt(f"network access attempted: {name}")

        return refuse

    for attr in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, attr, blocked(f"socket.socket.{attr}"))
    for attr in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, attr, blocked(f"socket.{attr}"))
    return attempts


def test_the_blocker_blocks(no_network):
    with pytest.raises(NetworkAttempt):
        socket.create_connection(("example.org", 80), timeout=1)
    with pytest.raises(NetworkAttempt):
        socket.getaddrinfo("example.org", 443)
    with socket.socket() as s, pytest.raises(NetworkAttempt):
        s.connect(("192.0.2.1", 80))
    assert len(no_network) == 3
    no_network.clear()


def test_generate_validate_load_report_without_network(no_network, tmp_path):
    ds = dmpdata.generate("tiny", out=tmp_path / "ds", patients=300)
    assert ds.row_counts["patients"] == 300

    report = ds.validate()
    assert report.ok, report.to_frame()

    con = ds.duckdb(tmp_path / "w.duckdb")
    try:
        tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE NOT internal").fetchall()[0][0]
        assert tables >= 8
        assert con.execute("SELECT count(*) FROM patients").fetchall()[0][0] == 300
        # DuckDB's own (C++) HTTP client is out of reach of the Python socket patch: it must be told never to fetch
        # an extension. (A fresh handle from cursor() so as not to leave an unfinished result on `con`.)
        settings = (
            con.cursor()
            .execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('autoinstall_known_extensions', 'autoload_known_extensions')"
            )
            .fetchall()
        )
        assert dict(settings) == {
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
        }
        html = dmpdata.report.write(con, tmp_path / "r.html")
    finally:
        con.close()

    text = html.read_text(encoding="utf-8")
    assert len(text) > 10_000 and "<html" in text.lower()
    # Readable offline: no script, stylesheet or image fetched from elsewhere (links to sources are fine).
    assert not re.search(
        r"<(script|link|img)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", text, re.IGNORECASE
    )
    assert no_network == [], f"network calls attempted: {no_network}"
