"""feeds.toml: defaults shipped in the package, validation errors name file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import (
    FeedConfig,
    Settings,
    default_config_path,
    default_data_dir,
    ensure_user_config,
    load_config,
    packaged_feeds_toml,
    parse_config,
)
from tui.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_default_feed_list_is_valid_and_lists_tv_news_feeds() -> None:
    config = parse_config(packaged_feeds_toml())
    urls = [feed.url for feed in config.feeds]
    assert "https://screenrant.com/feed/tv-news/" in urls
    assert 7 <= len(urls) <= 11
    assert all(url.startswith("https://") for url in urls)
    assert (ROOT / "feeds.toml").read_text() == packaged_feeds_toml()


def test_user_config_is_created_from_the_default_under_xdg(home: Path) -> None:
    path = default_config_path()
    assert path == home / "config" / "tvnews" / "feeds.toml"
    assert default_data_dir() == home / "data" / "tvnews"
    assert ensure_user_config(path) is True
    assert path.read_text() == packaged_feeds_toml()
    path.write_text("[[feeds]]\nurl = 'https://example.com/feed'\n")
    assert ensure_user_config(path) is False
    assert load_config(path).feeds == (FeedConfig(url="https://example.com/feed"),)


def test_feed_tables_and_settings_are_read() -> None:
    config = parse_config(
        """
[settings]
timeout_seconds = 5
prefetch_full_articles = true

[[feeds]]
name = "Deadline TV"
url = "https://deadline.com/category/tv/feed/"
section = "TV News"
tags = ["tv", "industry"]
interval_minutes = 60
"""
    )
    assert config.settings.timeout_seconds == 5.0
    assert config.settings.prefetch_full_articles is True
    assert config.settings.max_per_host == Settings().max_per_host
    assert config.feeds[0] == FeedConfig(
        url="https://deadline.com/category/tv/feed/",
        name="Deadline TV",
        section="TV News",
        tags=("tv", "industry"),
        interval_minutes=60,
    )


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("[settings]\nrefresh_on_start = true\ncolour = 'red'\n", 3, "settings.colour", "unknown"),
        ("[settings]\ntimeout_seconds = 'soon'\n", 2, "settings.timeout_seconds", "number"),
        ("[settings]\nmark_read_on_open = 1\n", 2, "settings.mark_read_on_open", "true or false"),
        ("[[feeds]]\nname = 'x'\nurl = 'ftp://x/feed'\n", 3, "feeds[0].url", "http"),
        ("[[feeds]]\nurl = 'feed.xml'\n", 2, "feeds[0].url", "absolute"),
        ("[[feeds]]\nname = 'no url'\n", 1, "feeds[0].url", "missing"),
        ("[[feeds]]\nurl = 'https://a/f'\ntags = 'tv'\n", 3, "feeds[0].tags", "list"),
        ("[[feeds]]\nurl = 'https://a/f'\nhomepage = 'x'\n", 3, "feeds[0].homepage", "unknown"),
        (
            "[[feeds]]\nurl = 'https://a/f'\n\n[[feeds]]\nurl = 'https://a/f'\n",
            5,
            "feeds[1].url",
            "duplicate",
        ),
        ("[settings\nx = 1\n", 1, "", "invalid TOML"),
        ("feeds = 'x'\n", 1, "feeds", "array"),
        ("[keys]\nrefresh = 5\n", 2, "keys.refresh", "string"),
    ],
)
def test_mistakes_name_file_line_and_key(text: str, line: int, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("/home/me/feeds.toml"))
    error = caught.value
    assert error.path == "/home/me/feeds.toml"
    assert error.line == line
    assert error.key == key
    assert words in str(error)
    assert str(error).startswith(f"/home/me/feeds.toml:{line}:")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
