"""The CLI as a user runs it: a real process, isolated config and data directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import write_config
from tests.server import TestServer


def tvnews(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_refresh_prints_a_summary_with_reasons(server: TestServer, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "feeds.toml",
        [
            ("Guardian", server.url("/feeds/rss20-guardian-us-news-media-content.xml")),
            ("Missing", server.url("/feeds/missing.xml")),
        ],
    )
    data = tmp_path / "data"
    result = tvnews("--config", str(config), "--data-dir", str(data), "refresh")
    assert result.returncode == 0, result.stderr
    assert "55 new articles from 2 feeds, 1 failed" in result.stdout
    assert "Missing: HTTP 404 Not Found" in result.stderr
    assert "Traceback" not in result.stderr
    assert (data / "cache.sqlite3").exists()
    again = tvnews("--config", str(config), "--data-dir", str(data), "refresh")
    assert "0 new articles" in again.stdout


def test_config_errors_exit_2_naming_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text('[[feeds]]\nname = "x"\nurl = "javascript:alert(1)"\n')
    result = tvnews("--config", str(config), "--data-dir", str(tmp_path), "refresh")
    assert result.returncode == 2
    assert f"{config}:3: feeds[0].url:" in result.stderr
    assert "Traceback" not in result.stderr
    config.write_text("[settings\n")
    result = tvnews("--config", str(config), "refresh")
    assert result.returncode == 2 and "invalid TOML" in result.stderr


def test_first_run_creates_the_user_config_from_the_default(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d")}
    result = tvnews("search", "nothing-matches-this", env=env)
    assert result.returncode in (0, 1), result.stderr
    created = tmp_path / "c" / "tvnews" / "feeds.toml"
    assert "screenrant.com/feed/tv-news" in created.read_text()
    assert (tmp_path / "d" / "tvnews" / "cache.sqlite3").exists()


def test_newer_cache_gives_a_clear_message(tmp_path: Path) -> None:
    import sqlite3

    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / "cache.sqlite3")
    db.execute("PRAGMA user_version = 999")
    db.commit()
    db.close()
    config = write_config(tmp_path / "feeds.toml", [])
    result = tvnews("--config", str(config), "--data-dir", str(data), "refresh")
    assert result.returncode == 1
    assert "newer tvnews" in result.stderr and "Traceback" not in result.stderr


def test_version() -> None:
    result = tvnews("--version")
    assert result.returncode == 0 and result.stdout.startswith("tvnews ")


def test_extract_json_from_a_file(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>T</title></head><body><article><h1>Heading One</h1>"
        + "<p>First paragraph of the article with enough words to count as text.</p>" * 5
        + "<h2>Second Part</h2><p>More words in the second part of this article body.</p>"
        + '<p><a href="/next/">Read more</a></p></article></body></html>'
    )
    result = tvnews("extract", str(page), "--json", "--base-url", "https://example.com/a/")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {
        "url",
        "title",
        "author",
        "published",
        "markdown",
        "text",
        "headings",
        "related",
    }
    assert "Second Part" in data["headings"]


def test_extract_prints_markdown_for_every_fixture_page(capsys) -> None:
    """`tvnews extract FILE` on each real page in ../shared/fixtures/pages (where CI has them)."""
    import pytest

    from tests.conftest import SHARED
    from tui.cli import main

    pages = sorted((SHARED / "fixtures" / "pages").glob("*/source.html"))
    if not pages:
        pytest.skip("../shared/fixtures/pages is not beside this checkout")
    for page in pages:
        assert main(["extract", str(page), "--base-url", "https://example.com/"]) == 0, page
        markdown = capsys.readouterr().out
        assert len(markdown.strip()) > 200, page
        assert "\x1b" not in markdown
    assert main(["extract", str(pages[0]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["text"]


def test_extract_refuses_other_schemes_clearly(capsys) -> None:
    from tui.cli import main

    assert main(["extract", "file:///etc/passwd"]) == 1
    assert "only http(s)" in capsys.readouterr().err
    assert main(["extract", "/no/such/page.html"]) == 1
    assert "no such file" in capsys.readouterr().err
