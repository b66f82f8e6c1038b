"""``tvnews feeds add|list|remove``, ``import`` and ``export`` as a user runs them, and the
feeds.toml edits behind them (comments and layout kept)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import one_item_rss, refuse_page_saves
from tests.server import Route, TestServer
from tui import __version__
from tui.config import load_config, parse_config
from tui.core.errors import ConfigError
from tui.core.feedlist import NewFeed, add_feed, add_feeds, find_feed, remove_feed, set_setting
from tui.core.models import ListQuery
from tui.core.opml import parse_opml
from tui.core.store import Store, default_cache_path

OPML = Path(__file__).parent / "data" / "opml"

COMMENTED = """\
# My feeds -- hand written, keep these comments!

[settings]
refresh_on_start = false   # I refresh from cron
theme = "nord"             # dark and calm

# The one I read first.
[[feeds]]
name = "First"
url = "https://first.example/feed"
section = "TV News"

# Trade press.
[[feeds]]
name = "Second"
url = "https://second.example/feed"
tags = ["industry"]

[keys]
toggle_star = "S"  # star with shift
"""


def tvnews(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tvnews("--config", str(config), "--data-dir", str(config.parent / "data"), *args)


# -- feeds.toml edits ----------------------------------------------------------------------


def test_add_keeps_comments_and_layout(config: Path) -> None:
    new = add_feed(config, NewFeed("https://third.example/rss", "Third", "Reviews", ("tv",)))
    head, keys = COMMENTED.split("[keys]")
    third = (
        '[[feeds]]\nname = "Third"\nurl = "https://third.example/rss"\n'
        'section = "Reviews"\ntags = ["tv"]\n\n'
    )
    assert config.read_text() == head + third + "[keys]" + keys, "the rest stays byte for byte"
    assert [feed.name for feed in new.feeds] == ["First", "Second", "Third"]
    assert new.keys == {"toggle_star": "S"}
    assert load_config(config) == new


def test_add_to_a_file_without_feeds_and_skip_known(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('# empty\n[settings]\ntheme = "nord"\n', encoding="utf-8")
    config, _ = add_feeds(
        path, [NewFeed("https://a.example/f"), NewFeed("https://b.example/f", "B")]
    )
    assert [feed.url for feed in config.feeds] == ["https://a.example/f", "https://b.example/f"]
    _, again = add_feeds(path, [NewFeed("https://a.example/f"), NewFeed("https://c.example/f")])
    assert [feed.url for feed in again] == ["https://c.example/f"]
    assert path.read_text().startswith('# empty\n[settings]\ntheme = "nord"\n')
    with pytest.raises(ConfigError, match="already in the feed list"):
        add_feed(path, NewFeed("https://a.example/f"))
    with pytest.raises(ConfigError, match="not an http"):
        add_feed(path, NewFeed("javascript:alert(1)"))


def test_remove_takes_the_feed_and_its_comment_only(config: Path) -> None:
    new = remove_feed(config, "https://first.example/feed")
    text = config.read_text()
    assert "First" not in text and "The one I read first." not in text
    assert '# Trade press.\n[[feeds]]\nname = "Second"' in text
    assert text.startswith("# My feeds -- hand written, keep these comments!\n")
    assert "refresh_on_start = false   # I refresh from cron" in text
    assert [feed.name for feed in new.feeds] == ["Second"]
    remove_feed(config, "https://second.example/feed")
    assert parse_config(config.read_text()).feeds == ()
    assert 'toggle_star = "S"  # star with shift' in config.read_text()
    with pytest.raises(ConfigError, match="not in the feed list"):
        remove_feed(config, "https://second.example/feed")


def test_set_setting_keeps_the_comment_and_adds_a_missing_table(
    config: Path, tmp_path: Path
) -> None:
    set_setting(config, "theme", "gruvbox")
    assert 'theme = "gruvbox"             # dark and calm' in config.read_text()
    assert load_config(config).settings.theme == "gruvbox"
    bare = tmp_path / "bare.toml"
    bare.write_text('[[feeds]]\nurl = "https://a.example/f"\n', encoding="utf-8")
    set_setting(bare, "theme", "nord")
    assert bare.read_text().startswith('[settings]\ntheme = "nord"\n\n[[feeds]]')


def test_an_edit_never_leaves_a_broken_file(config: Path) -> None:
    with pytest.raises(ConfigError):
        set_setting(config, "reading_width", "wide")
    assert config.read_text() == COMMENTED
    config.write_text(COMMENTED + "\n[[feeds]]\nurl = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"feeds\[2\]\.url"):
        add_feed(config, NewFeed("https://new.example/f"))


def test_find_feed_by_url_or_exact_name(config: Path) -> None:
    loaded = load_config(config)
    assert find_feed(loaded, "https://second.example/feed").name == "Second"
    assert find_feed(loaded, "second").url == "https://second.example/feed"
    assert find_feed(loaded, "Sec") is None


# -- the commands ---------------------------------------------------------------------------


def test_version() -> None:
    result = tvnews("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"tvnews {__version__}"


def test_feeds_add_a_feed_url_and_a_site_url(server: TestServer, config: Path) -> None:
    result = run(config, "feeds", "add", server.url("/feed.xml"), "--section", "Sites")
    assert result.returncode == 0, result.stderr
    assert f"Added Screen Test ({server.url('/feed.xml')})" in result.stdout
    result = run(config, "feeds", "add", server.url("/tv-news/"), "--name", "TV section")
    assert result.returncode == 0, result.stderr
    assert server.url("/tv-news/feed.xml") in result.stdout, "found by autodiscovery"
    feeds = load_config(config).feeds
    assert [(f.name, f.url, f.section) for f in feeds[2:]] == [
        ("Screen Test", server.url("/feed.xml"), "Sites"),
        ("TV section", server.url("/tv-news/feed.xml"), ""),
    ]
    assert config.read_text().startswith(COMMENTED.split("[keys]")[0])


def test_feeds_add_refuses_what_is_no_feed(server: TestServer, config: Path) -> None:
    bare = TestServer()  # nothing at the usual feed places either
    bare.routes["/plain/"] = Route(
        body=b"<!doctype html><title>x</title><p>no feed here</p>",
        headers={"Content-Type": "text/html"},
    )
    before = config.read_text()
    for url, reason in [
        (server.url("/missing.xml"), "HTTP 404"),
        (bare.url("/plain/"), "no feed found"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("https://first.example/feed", "already in"),
    ]:
        if url.startswith("https://first"):
            result = run(config, "feeds", "add", url, "--no-check")
        else:
            result = run(config, "feeds", "add", url)
        assert result.returncode == 1, (url, result.stdout)
        assert reason in result.stderr, (url, result.stderr)
        assert "Traceback" not in result.stderr
    bare.stop()
    assert config.read_text() == before
    assert bare.count("/feed") == 1 and bare.count("/index.xml") == 1, "the usual places tried"


def test_feeds_add_no_check_adds_without_fetching(server: TestServer, config: Path) -> None:
    result = run(config, "feeds", "add", "offline.example/feed.xml", "--no-check")
    assert result.returncode == 0, result.stderr
    assert load_config(config).feeds[-1].url == "https://offline.example/feed.xml"


def test_feeds_list_shows_counts_last_refresh_and_errors(server: TestServer, config: Path) -> None:
    config.write_text(
        "[settings]\nrefresh_on_start = false\n\n"
        f'[[feeds]]\nname = "Site"\nurl = "{server.url("/feed.xml")}"\nsection = "TV"\n\n'
        f'[[feeds]]\nname = "Gone"\nurl = "{server.url("/gone.xml")}"\n',
        encoding="utf-8",
    )
    before = run(config, "feeds", "list")
    assert before.returncode == 0, before.stderr
    assert "never" in before.stdout
    assert run(config, "refresh").returncode == 0
    store = Store(default_cache_path(config.parent / "data"))
    site = next(feed for feed in store.feeds() if feed.name == "Site")
    store.set_read([store.rows(ListQuery(), 0, 1)[0].id])
    store.close()
    result = run(config, "feeds", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "NAME",
        "SECTION",
        "UNREAD",
        "TOTAL",
        "LAST",
        "REFRESH",
        "NEXT",
        "STATUS",
        "URL",
    ]
    site_line = next(line for line in lines if line.startswith("Site"))
    assert site_line.split()[1:4] == ["TV", "2", "3"]
    assert " ok " in site_line and site_line.endswith(server.url("/feed.xml"))
    assert " in 15 min " in site_line, "the default interval"
    assert site.last_fetched is not None
    gone_line = next(line for line in lines if line.startswith("Gone"))
    assert "error: HTTP 404 Not Found" in gone_line and "never" in gone_line
    assert " due " in gone_line
    assert lines[-1] == "2 feeds, 1 failing"


def test_feeds_list_says_when_a_feed_asks_for_a_longer_wait(
    server: TestServer, config: Path
) -> None:
    """A feed's <ttl> or a server's Retry-After put its next fetch later than configured."""
    server.routes["/ttl.xml"] = Route(body=one_item_rss("120"))
    server.routes["/busy.xml"] = Route(status=429, headers={"Retry-After": "3000"})
    config.write_text(
        "[settings]\nrefresh_on_start = false\n\n"
        f'[[feeds]]\nname = "Slow"\nurl = "{server.url("/ttl.xml")}"\n\n'
        f'[[feeds]]\nname = "Busy"\nurl = "{server.url("/busy.xml")}"\n\n'
        f'[[feeds]]\nname = "Site"\nurl = "{server.url("/feed.xml")}"\n',
        encoding="utf-8",
    )
    assert run(config, "refresh").returncode == 0
    lines = {line.split()[0]: line for line in run(config, "feeds", "list").stdout.splitlines()}
    assert " in 120 min (feed asks) " in lines["Slow"]
    assert " in 50 min (server asks) " in lines["Busy"]
    assert " in 15 min " in lines["Site"] and "asks" not in lines["Site"]
    refreshed = run(config, "refresh")
    assert "3 not due" in refreshed.stdout, refreshed.stdout


def test_feeds_remove_by_url_or_name(config: Path) -> None:
    result = run(config, "feeds", "remove", "First")
    assert result.returncode == 0, result.stderr
    assert "Removed First (https://first.example/feed)" in result.stdout
    result = run(config, "feeds", "remove", "https://second.example/feed")
    assert result.returncode == 0, result.stderr
    assert load_config(config).feeds == ()
    missing = run(config, "feeds", "remove", "Nope")
    assert missing.returncode == 1 and "no feed with URL or name 'Nope'" in missing.stderr
    assert "# My feeds -- hand written" in config.read_text()


def test_import_opml_and_urls_then_again_adds_nothing(config: Path) -> None:
    result = run(config, "import", str(OPML / "feedly-export.opml"))
    assert result.returncode == 0, result.stderr
    assert "Imported 6 feeds" in result.stdout
    feeds = {feed.url: feed for feed in load_config(config).feeds}
    assert feeds["https://xkcd.com/atom.xml"].section == "Comics & Fun"
    result = run(config, "import", str(OPML / "newsboat-urls"))
    assert result.returncode == 0, result.stderr
    assert "Imported 2 feeds" in result.stdout and "(4 already there)" in result.stdout
    assert "skipped line 6: query:" in result.stderr and "skipped line 7: exec:" in result.stderr
    again = run(config, "import", str(OPML / "feedly-export.opml"))
    assert "Imported 0 feeds" in again.stdout and "(6 already there)" in again.stdout
    assert config.read_text().startswith(COMMENTED.split("[keys]")[0])


def test_import_errors_are_clear(tmp_path: Path, config: Path) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline", encoding="utf-8")
    result = run(config, "import", str(bad))
    assert result.returncode == 1
    assert f"tvnews: {bad}: not valid OPML" in result.stderr
    assert "Traceback" not in result.stderr
    result = run(config, "import", str(tmp_path / "nothing.opml"))
    assert result.returncode == 1 and "nothing.opml" in result.stderr


def test_export_round_trips_into_a_fresh_config(tmp_path: Path, config: Path) -> None:
    run(config, "import", str(OPML / "inoreader-export.xml"))
    exported = run(config, "export")
    assert exported.returncode == 0, exported.stderr
    listed = parse_opml(exported.stdout.encode()).feeds
    original = load_config(config).feeds
    assert len(original) == 6
    assert sorted((f.url, f.name, f.section, f.tags) for f in listed) == sorted(
        (f.url, f.name, f.section, f.tags) for f in original
    )
    out = tmp_path / "out" / "feeds.opml"
    written = run(config, "export", "-o", str(out))
    assert written.returncode == 0 and written.stdout == ""
    assert f"Wrote 6 feeds to {out}" in written.stderr
    assert parse_opml(out.read_bytes()).feeds == listed
    fresh = tmp_path / "fresh.toml"
    fresh.write_text("[settings]\n", encoding="utf-8")
    assert run(fresh, "import", str(out)).returncode == 0
    assert sorted((f.url, f.name, f.section, f.tags) for f in load_config(fresh).feeds) == sorted(
        (f.url, f.name, f.section, f.tags) for f in original
    )
    newsboat = run(config, "export", "--format", "newsboat").stdout.splitlines()
    assert newsboat[0] == 'https://first.example/feed "TV News" "~First"'
    assert newsboat[1] == 'https://second.example/feed "industry" "~Second"'


def test_export_uses_the_site_link_from_the_cache(server: TestServer, config: Path) -> None:
    assert run(config, "feeds", "add", server.url("/tv-news/feed.xml")).returncode == 0
    assert run(config, "refresh").returncode in (0, 1)
    exported = run(config, "export").stdout
    feed = next(f for f in parse_opml(exported.encode()).feeds if "/tv-news/" in f.url)
    assert feed.html_url.startswith(server.base)


def prefetching_config(server: TestServer, tmp_path: Path) -> Path:
    """A feeds.toml of the seed feed with ``prefetch_full_articles`` on."""
    config = tmp_path / "feeds.toml"
    config.write_text(
        "[settings]\nprefetch_full_articles = true\n\n"
        f'[[feeds]]\nname = "Site"\nurl = "{server.url("/feed.xml")}"\n',
        encoding="utf-8",
    )
    return config


def test_a_refused_prefetch_is_named_and_the_refresh_still_succeeds(
    server: TestServer, tmp_path: Path
) -> None:
    config = prefetching_config(server, tmp_path)
    refuse_page_saves(default_cache_path(tmp_path / "data"))
    result = run(config, "refresh")
    assert result.returncode == 0, result.stderr
    assert "3 new articles" in result.stdout
    assert "full articles not cached: no such table" in result.stderr
    assert "Traceback" not in result.stderr


def test_refresh_prefetches_full_articles_when_the_setting_says(
    server: TestServer, tmp_path: Path
) -> None:
    config = prefetching_config(server, tmp_path)
    result = run(config, "refresh")
    assert result.returncode == 0, result.stderr
    assert "3 full articles cached for offline reading" in result.stdout
    assert server.count("/that-70s-show-theory-eric-coma/") == 1
    store = Store(default_cache_path(config.parent / "data"))
    rows = store.rows(ListQuery(), 0, 10)
    assert all(store.article(row.id).full_fetched for row in rows)
    store.close()
    again = run(config, "refresh", "--force")
    assert "full article" not in again.stdout, "cached pages are not fetched again"
    assert server.count("/that-70s-show-theory-eric-coma/") == 1
