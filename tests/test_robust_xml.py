"""Hostile XML: entity bombs, external entities (XXE), remote DTDs and XInclude.

Nothing expands, no local file is read and no request is made, in the parser alone and
through a whole refresh (worker process, cache); the feed's items are still read.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from tests.robust_support import fast_settings, feed, hostile_file, serve
from tests.server import Route, TestServer
from tui.core.errors import ParseError
from tui.core.models import ListQuery, ParsedFeed
from tui.core.parse import parse_feed
from tui.core.refresh import refresh
from tui.core.store import Store

SECRET = "tvnews-secret-7f3a9c"


def _fields(parsed: ParsedFeed) -> str:
    parts = [parsed.title, parsed.link]
    for entry in parsed.entries:
        parts += [entry.guid, entry.url, entry.title, entry.author, entry.summary, entry.content]
    return "\n".join(parts)


def _parse_bounded(body: bytes, url: str) -> tuple[ParsedFeed | None, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        parsed: ParsedFeed | None = parse_feed(body, url)
    except ParseError:
        parsed = None
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return parsed, seconds, peak


def test_billion_laughs_does_not_expand(server: TestServer) -> None:
    body = hostile_file("billion-laughs.xml", server)
    parsed, seconds, peak = _parse_bounded(body, server.url("/laughs.xml"))
    assert parsed is not None and len(parsed.entries) == 1, "the item is still read"
    assert "lollol" not in _fields(parsed)
    assert peak < 50_000_000, f"{peak} bytes: entities were expanded"
    assert seconds < 10


def test_quadratic_blowup_does_not_expand(server: TestServer) -> None:
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + "x" * 50_000 + '">]>\n'
        '<rss version="2.0"><channel><title>Quadratic</title><item><title>q</title>'
        "<guid>q-1</guid><description>" + "&a;" * 20_000 + "</description></item></channel></rss>"
    ).encode()
    parsed, _, peak = _parse_bounded(body, server.url("/quadratic.xml"))
    assert parsed is not None
    assert "x" * 100 not in _fields(parsed)
    assert peak < 100_000_000, f"{peak} bytes: entities were expanded (1 GB if they were)"


def _xxe_body(server: TestServer, secret_file: Path) -> bytes:
    return hostile_file("xxe.xml", server).replace(
        b"file://SECRET", f"file://{secret_file}".encode()
    )


def test_external_entities_read_no_file_and_make_no_request(
    server: TestServer, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    server.routes["/xxe/entity.txt"] = Route(body=SECRET.encode())
    server.routes["/xxe/param.dtd"] = Route(body=f'<!ENTITY leak "{SECRET}">'.encode())
    parsed = parse_feed(_xxe_body(server, secret_file), server.url("/xxe.xml"))
    text = _fields(parsed)
    assert parsed.entries, "the item is still read"
    assert SECRET not in text
    assert "root:" not in text, "/etc/passwd was read"
    assert server.count("/xxe/entity.txt") == 0 and server.count("/xxe/param.dtd") == 0


def test_remote_dtd_is_never_fetched(server: TestServer) -> None:
    server.routes["/xxe/external.dtd"] = Route(body=f'<!ENTITY ext "{SECRET}">'.encode())
    parsed = parse_feed(hostile_file("remote-dtd.xml", server), server.url("/remote.xml"))
    assert [entry.title for entry in parsed.entries] == ["Remote item &ext;"]
    assert SECRET not in _fields(parsed)
    assert server.count("/xxe/external.dtd") == 0


def test_hostile_xml_through_a_whole_refresh(server: TestServer, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    for path in ("/xxe/entity.txt", "/xxe/param.dtd", "/xxe/external.dtd"):
        server.routes[path] = Route(body=f'<!ENTITY ext "{SECRET}">'.encode())
    urls = [
        serve(
            server, "/laughs.xml", hostile_file("billion-laughs.xml", server), "application/rss+xml"
        ),
        serve(server, "/xxe.xml", _xxe_body(server, secret_file), "application/rss+xml"),
        serve(server, "/remote.xml", hostile_file("remote-dtd.xml", server), "application/rss+xml"),
    ]
    cache = tmp_path / "cache.sqlite3"
    summary = refresh(cache, [feed(url) for url in urls], fast_settings())
    assert not summary.failures, summary.failures
    assert summary.new == 3
    store = Store(cache)
    for row in store.rows(ListQuery(), 0, 10):
        article = store.article(row.id)
        assert article is not None
        blob = f"{article.title}{article.summary}{article.content}"
        assert SECRET not in blob and "root:" not in blob and "lollol" not in blob
    store.close()
    assert all(
        server.count(path) == 0
        for path in ("/xxe/entity.txt", "/xxe/param.dtd", "/xxe/external.dtd")
    )


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE html SYSTEM "http://HOST/xxe/external.dtd">',
        '<!DOCTYPE html [<!ENTITY ext SYSTEM "http://HOST/xxe/external.dtd">]>',
        '<!DOCTYPE html [<!ENTITY ext SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_article_pages_resolve_no_entities_either(server: TestServer, doctype: str) -> None:
    from tui.core.extract import extract_article
    from tui.core.markdown import html_to_markdown
    from tui.core.related import find_related

    server.routes["/xxe/external.dtd"] = Route(body=f'<!ENTITY ext "{SECRET}">'.encode())
    page = (
        doctype.replace("http://HOST", server.base)
        + "<html><body><article><h1>Title</h1><p>"
        + "Words of an article that is long enough to be extracted. " * 20
        + "&ext;</p></article></body></html>"
    )
    body = extract_article(page, server.url("/page"))
    markdown, _ = html_to_markdown(page, server.url("/page"))
    find_related(page, server.url("/page"))
    assert "Words of an article" in body.markdown
    for text in (body.markdown, body.text, markdown):
        assert SECRET not in text and "root:" not in text
    assert server.count("/xxe/external.dtd") == 0
