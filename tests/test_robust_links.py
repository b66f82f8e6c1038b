"""Links: only absolute http(s) URLs are followed or opened; the browser starts without a shell."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.robust_support import prepared, serve
from tests.server import TestServer
from tui.core.models import RelatedLink
from tui.core.sanitize import safe_url

BASE = "https://site.example/news/story.html"
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("javascript:alert(1)", BASE, None),
        ("JaVaScRiPt:alert(1)", BASE, None),
        ("  javascript:alert(1)", BASE, None),
        ("java\tscript:alert(1)", BASE, None),
        ("java\x00script:alert(1)", BASE, None),
        ("\x1bjavascript:alert(1)", BASE, None),
        ("file:///etc/passwd", BASE, None),
        ("FILE:///etc/passwd", None, None),
        ("data:text/html,<script>alert(1)</script>", BASE, None),
        ("vbscript:msgbox", BASE, None),
        ("ftp://site.example/x", BASE, None),
        ("mailto:a@b.example", BASE, None),
        ("//other.example/x", BASE, "https://other.example/x"),
        ("//other.example/x", None, None),
        ("/x/y", BASE, "https://site.example/x/y"),
        ("../up", BASE, "https://site.example/up"),
        ("next.html", BASE, "https://site.example/news/next.html"),
        ("next.html", None, None),
        ("?page=2", BASE, "https://site.example/news/story.html?page=2"),
        ("#section", BASE, "https://site.example/news/story.html#section"),
        ("/x", "file:///etc/", None),
        ("http://", None, None),
        ("http:///path-only", None, None),
        ("https://[::1", None, None),
        ("https://site.example/a b", None, None),
        ("https://site.example/\u202eevil", None, "https://site.example/evil"),
        ("  https://site.example/ok  ", None, "https://site.example/ok"),
        ("https://site.example/" + "a" * 10_000, None, None),
    ],
)
def test_only_absolute_http_urls_are_accepted(
    url: str, base: str | None, expected: str | None
) -> None:
    assert safe_url(url, base) == expected


async def test_the_app_follows_and_opens_only_http_links(
    server: TestServer, tmp_path: Path
) -> None:
    from tests.apphelpers import wait_for
    from tui.app import TvnewsApp
    from tui.widgets.reading_pane import ReadingPane

    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Links</title>'
        f"<item><title>Links item</title><link>{server.base}/links/page</link><guid>l1</guid>"
        "<description>text</description></item></channel></rss>"
    ).encode()
    url = serve(server, "/links/feed.xml", feed, "application/rss+xml")
    serve(server, "/links/page", b"<html><body><p>page</p></body></html>", "text/html")
    serve(server, "/links/ok", b"<html><body><p>followed</p></body></html>", "text/html")
    config, cache = prepared(tmp_path, [url])
    app = TvnewsApp(config, cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.screen.pending)
        pane = app.screen.query_one(ReadingPane)
        before = len(server.requests)
        refused = [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,x",
            "ftp://127.0.0.1/x",
            "relative/path",
        ]
        for href in refused:
            pane.follow_link(href)
            await pilot.pause()
        for link in (
            RelatedLink("next", "x", "file:///etc/passwd"),
            RelatedLink("source", "y", "javascript:x"),
        ):
            app.screen.follow(link)
            await pilot.pause()
        app.screen.open_in_browser("file:///etc/passwd")
        await pilot.pause()
        assert len(server.requests) == before, "nothing refused was fetched"
        warnings = [n.message for n in app._notifications]
        assert warnings.count("Only http(s) links are followed.") == len(refused) + 2
        assert "Only http(s) links are opened." in warnings
        pane.follow_link(f"{server.base}/links/ok")
        await wait_for(pilot, lambda: server.count("/links/ok") == 1)
        await wait_for(pilot, lambda: "followed" in pane.markdown)
        await pilot.press("q", "q")


BROWSER_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from tui.app import TvnewsApp
    from tui.config import load_config

    async def main() -> None:
        app = TvnewsApp(load_config(Path(sys.argv[1])), Path(sys.argv[2]))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause(0.5)
            await pilot.press("o")
            deadline = time.monotonic() + 10
            while not Path(sys.argv[3]).exists() and time.monotonic() < deadline:
                await pilot.pause(0.1)
            await pilot.press("q", "q")

    asyncio.run(main())
    """
)


def test_the_browser_gets_the_url_as_one_argument_and_no_shell(
    server: TestServer, tmp_path: Path
) -> None:
    # Shell metacharacters a URL may legally carry: ; $() ` ' | & * and spaces escaped.
    link = f"{server.base}/shell;touch${{IFS}}PWNED1$(touch%20PWNED2)`touch%20PWNED3`'|&*"
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Shell</title>'
        f"<item><title>Shell item</title><link>{link.replace('&', '&amp;')}</link>"
        "<guid>s1</guid></item></channel></rss>"
    ).encode()
    url = serve(server, "/shell/feed.xml", feed, "application/rss+xml")
    config, cache = prepared(tmp_path, [url])
    record = tmp_path / "argv.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(
        f"#!{sys.executable}\nimport sys, pathlib\n"
        f"pathlib.Path({str(record)!r}).write_text('\\n'.join(sys.argv[1:]))\n"
    )
    browser.chmod(0o755)
    work = tmp_path / "cwd"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", BROWSER_SCRIPT, str(config.path), str(cache), str(record)],
        capture_output=True, text=True, timeout=60, cwd=work,
        env={**os.environ, "BROWSER": str(browser), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert record.exists(), "the browser was started"
    assert record.read_text().split("\n") == [link], "exactly one argument: the URL, unchanged"
    assert not [p.name for p in work.iterdir()], "no shell ran the metacharacters"
    assert not list(tmp_path.glob("PWNED*"))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://www.example.com/feed.xml", "example.com/feed.xml"),
        ("http://127.0.0.1:8080/rss", "127.0.0.1:8080/rss"),
        ("Daring Fireball", "Daring Fireball"),
        ("ftp://example.com/x", "ftp://example.com/x"),
    ],
)
def test_a_feed_known_only_by_its_url_is_shown_without_the_scheme(url: str, shown: str) -> None:
    from tui.core.models import FeedState
    from tui.core.sanitize import short_url

    assert short_url(url) == shown
    assert FeedState(1, url, "").display_name == shown
    assert FeedState(1, url, "Its title").display_name == "Its title"
