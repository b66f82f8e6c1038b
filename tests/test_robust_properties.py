"""Property tests (hypothesis): the sanitizer, URL handling and config parsing hold for any input.

Derandomized and without an example database, so CI runs the same cases every time.
"""

from __future__ import annotations

import string
from pathlib import Path
from urllib.parse import urlsplit

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.robust_support import FORBIDDEN, forbidden_in
from tui.config import Settings, parse_config
from tui.core.errors import ConfigError
from tui.core.sanitize import MAX_URL, clean_line, clean_text, safe_url

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Text with plenty of what hostile feeds send: controls, C1, bidi, surrogates, wide and
#: combining characters, markup brackets.
hostile_chars = st.one_of(
    st.characters(codec=None),
    st.sampled_from(
        [
            *"\x1b\x07\x08\r\n\t\x00\x7f\x9b\x9d\x9c\u202e\u2066\u200f\ufeff\u2028[]/@=\\",
            *("\ud800", "\udfff", "\u0301", "界", "🙂"),
        ]
    ),
)
hostile_text = st.text(hostile_chars, max_size=300)


# -- the sanitizer ------------------------------------------------------------------------


@PROPERTY
@given(hostile_text)
def test_clean_text_leaves_nothing_unsafe_and_is_idempotent(text: str) -> None:
    cleaned = clean_text(text)
    assert not forbidden_in(cleaned)
    assert clean_text(cleaned) == cleaned
    cleaned.encode("utf-8")


@PROPERTY
@given(hostile_text)
def test_clean_text_removes_only_what_is_unsafe(text: str) -> None:
    cleaned = clean_text(text)
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = [ch for ch in normal if not FORBIDDEN.match(ch) and ch not in "\ufeff\ufff9\ufffa\ufffb"]
    assert cleaned == "".join(kept)


@PROPERTY
@given(hostile_text, st.integers(min_value=2, max_value=400))
def test_clean_line_is_one_short_safe_line(text: str, limit: int) -> None:
    line = clean_line(text, limit)
    assert not forbidden_in(line)
    assert "\n" not in line and "\t" not in line and "\r" not in line
    assert len(line) <= limit
    assert line == line.strip()
    assert clean_line(line, limit) == line


# -- URLs ---------------------------------------------------------------------------------

schemes = st.sampled_from(
    ["http", "https", "HTTP", "HtTpS", "javascript", "JavaScript", "file", "data", "ftp",
     "vbscript", "java\tscript", "java\x00script", " javascript", "jav\u202eascript", "", "mailto"]
)  # fmt: skip
hosts = st.one_of(
    st.sampled_from(["example.com", "127.0.0.1", "[::1]", "xn--nxasmq6b.example", "a.b.c", ""]),
    st.text(st.sampled_from(string.ascii_letters + string.digits + ".-@:[]%"), max_size=20),
)
paths = st.text(
    st.one_of(st.sampled_from(list("/?#&=%;.,()'\"<> \t\n\\")), st.characters(codec="utf-8")),
    max_size=40,
)
separators = st.sampled_from(["://", ":", ":/", ":///", "//", "", ":\\\\"])


@st.composite
def urls(draw: st.DrawFn) -> str:
    return draw(schemes) + draw(separators) + draw(hosts) + draw(paths)


def _assert_safe(result: str | None) -> None:
    if result is None:
        return
    parts = urlsplit(result)
    assert parts.scheme.lower() in ("http", "https")
    assert parts.hostname
    assert len(result) <= MAX_URL
    assert not forbidden_in(result)
    assert not any(ch.isspace() for ch in result)


@PROPERTY
@given(st.one_of(urls(), hostile_text))
def test_safe_url_returns_only_absolute_http_urls(url: str) -> None:
    result = safe_url(url)
    _assert_safe(result)
    assert safe_url(result) == result if result else True


@PROPERTY
@given(st.one_of(urls(), hostile_text), st.sampled_from(
    ["https://site.example/a/b.html", "http://127.0.0.1:8000/", "file:///etc/", None]
))  # fmt: skip
def test_safe_url_against_a_base(url: str, base: str | None) -> None:
    result = safe_url(url, base)
    _assert_safe(result)
    if base and base.startswith("file:"):
        assert result is None or urlsplit(url.strip()).scheme.lower() in ("http", "https")


@PROPERTY
@given(st.sampled_from(["javascript", "file", "data", "vbscript", "ftp", "about", "chrome"]),
       st.text(max_size=30))  # fmt: skip
def test_non_http_schemes_are_always_refused(scheme: str, rest: str) -> None:
    for variant in (
        scheme,
        scheme.upper(),
        f" {scheme}",
        f"\t{scheme}",
        f"{scheme[:2]}\x00{scheme[2:]}",
    ):
        assert safe_url(f"{variant}:{rest}") is None
        assert safe_url(f"{variant}://{rest}", "https://site.example/") is None


# -- config -------------------------------------------------------------------------------

toml_values = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(hostile_chars.filter(lambda ch: not "\ud800" <= ch <= "\udfff"), max_size=20),
        st.dates(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
setting_names = st.sampled_from(
    [f.name for f in Settings.__dataclass_fields__.values()] + ["bogus"]
)
feed_keys = st.sampled_from(["url", "name", "section", "tags", "interval_minutes", "homepage"])


@st.composite
def config_documents(draw: st.DrawFn) -> str:
    document = tomlkit.document()
    if draw(st.booleans()):
        document["settings"] = draw(st.dictionaries(setting_names, toml_values, max_size=4))
    feeds = tomlkit.aot()
    for _ in range(draw(st.integers(0, 3))):
        table = draw(st.dictionaries(feed_keys, toml_values, max_size=4))
        if draw(st.booleans()):
            table["url"] = draw(st.one_of(urls(), st.just("https://ok.example/feed.xml")))
        feeds.append(tomlkit.item(table))
    if feeds:
        document["feeds"] = feeds
    if draw(st.booleans()):
        document[draw(st.sampled_from(["keys", "extra"]))] = draw(toml_values)
    return tomlkit.dumps(document)


def _check_error(error: ConfigError, text: str) -> None:
    assert error.path == "/home/me/feeds.toml"
    assert error.line is None or 1 <= error.line <= max(1, len(text.splitlines()))
    assert str(error).startswith("/home/me/feeds.toml")
    assert error.problem


@PROPERTY
@given(config_documents())
def test_any_config_is_read_or_refused_with_a_located_error(text: str) -> None:
    try:
        config = parse_config(text, Path("/home/me/feeds.toml"))
    except ConfigError as error:
        _check_error(error, text)
        return
    for feed in config.feeds:
        assert safe_url(feed.url) == feed.url
    assert len({feed.url.lower() for feed in config.feeds}) == len(config.feeds)


@PROPERTY
@given(st.text(max_size=400))
def test_any_text_is_read_or_refused_with_a_located_error(text: str) -> None:
    try:
        parse_config(text, Path("/home/me/feeds.toml"))
    except ConfigError as error:
        _check_error(error, text)


@PROPERTY
@given(
    st.integers(min_value=1, max_value=2**31 - 1),
    st.floats(min_value=0, max_value=2**31 - 1, allow_nan=False),
    st.booleans(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc",)), max_size=30),
)
def test_valid_settings_round_trip(number: int, seconds: float, flag: bool, text: str) -> None:
    document = tomlkit.document()
    document["settings"] = {
        "max_connections": number,
        "timeout_seconds": seconds,
        "show_read": flag,
        "user_agent": text,
    }
    loaded = parse_config(tomlkit.dumps(document)).settings
    assert loaded.max_connections == number and loaded.timeout_seconds == seconds
    assert loaded.show_read == flag and loaded.user_agent == text
