"""Bad config files, through the real command line: file, line and key named, exit status 2.

Every case runs ``tvnews --config F refresh`` (and the app start for one), so the whole
path is covered: reading the file, validation, the message, the exit status.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.cli import EXIT_CONFIG, main

HEAD = "[settings]\nrefresh_on_start = false\n\n"
GOOD_FEED = '[[feeds]]\nname = "ok"\nurl = "https://good.example/feed.xml"\n\n'

#: (id, file text, line, key, words in the message)
CASES = [
    ("invalid-toml", HEAD + "[[feeds]\nurl = 'x'\n", 4, "", "invalid TOML"),
    ("unclosed-string", HEAD + 'theme = "dark\n', 4, "", "invalid TOML"),
    ("duplicate-key", HEAD + "theme = 'a'\ntheme = 'b'\n", 5, "", "invalid TOML"),
    ("unknown-top-level", "colours = 1\n" + HEAD, 1, "colours", "unknown key"),
    ("unknown-setting", HEAD + "refresh_every = 5\n", 4, "settings.refresh_every",
     "unknown setting"),
    ("unknown-feed-key", GOOD_FEED + '[[feeds]]\nurl = "https://b.example/f"\nhome = "x"\n', 7,
     "feeds[1].home", "unknown key"),
    ("string-for-number", HEAD + 'timeout_seconds = "20"\n', 4, "settings.timeout_seconds",
     "expected a number"),
    ("number-for-bool", HEAD + "show_read = 1\n", 4, "settings.show_read", "true or false"),
    ("float-for-int", HEAD + "max_connections = 2.5\n", 4, "settings.max_connections",
     "expected an integer"),
    ("negative", HEAD + "keep_days = -1\n", 4, "settings.keep_days", "from 0 to"),
    ("nan", HEAD + "timeout_seconds = nan\n", 4, "settings.timeout_seconds", "from 0 to"),
    ("inf", HEAD + "timeout_seconds = inf\n", 4, "settings.timeout_seconds", "from 0 to"),
    ("huge", HEAD + "auto_refresh_minutes = 99999999999999\n", 4, "settings.auto_refresh_minutes",
     "from 0 to"),
    ("zero-connections", HEAD + "max_connections = 0\n", 4, "settings.max_connections", ">= 1"),
    ("header-injection", HEAD + 'user_agent = "x\\r\\nCookie: y"\n', 4, "settings.user_agent",
     "control characters"),
    ("tags-not-list", '[[feeds]]\nurl = "https://a.example/f"\ntags = "tv"\n', 3, "feeds[0].tags",
     "list of strings"),
    ("missing-url", GOOD_FEED + '[[feeds]]\nname = "no url"\n', 5, "feeds[1].url", "missing"),
    ("javascript-url", '[[feeds]]\nurl = "javascript:alert(1)"\n', 2, "feeds[0].url", "http"),
    ("file-url", '[[feeds]]\nurl = "file:///etc/passwd"\n', 2, "feeds[0].url", "http"),
    ("ftp-url", '[[feeds]]\nurl = "ftp://a.example/f"\n', 2, "feeds[0].url", "http"),
    ("relative-url", '[[feeds]]\nurl = "/feed.xml"\n', 2, "feeds[0].url", "absolute"),
    ("protocol-relative", '[[feeds]]\nurl = "//a.example/f"\n', 2, "feeds[0].url", "absolute"),
    ("no-host", '[[feeds]]\nurl = "https://"\n', 2, "feeds[0].url", "absolute"),
    ("space-in-url", '[[feeds]]\nurl = "https://a.example/a b"\n', 2, "feeds[0].url", "absolute"),
    ("duplicate-url", GOOD_FEED + '[[feeds]]\nurl = "https://good.example/feed.xml"\n', 6,
     "feeds[1].url", "duplicate URL"),
    ("duplicate-url-other-case", GOOD_FEED + '[[feeds]]\nurl = "HTTPS://GOOD.example/feed.xml"\n',
     6, "feeds[1].url", "duplicate URL"),
    ("inline-array", 'feeds = [{ url = "ftp://a.example/f" }]\n', 1, "feeds[0].url", "http"),
    ("dotted-key", '\nsettings.timeout_seconds = "x"\n', 2, "settings.timeout_seconds",
     "expected a number"),
    ("feeds-not-array", "feeds = 'x'\n", 1, "feeds", "array of tables"),
    ("keys-not-strings", "[keys]\nrefresh = 5\n", 2, "keys.refresh", "string of keys"),
    ("interval-negative", '[[feeds]]\nurl = "https://a.example/f"\ninterval_minutes = -5\n', 3,
     "feeds[0].interval_minutes", "from 0 to"),
]  # fmt: skip


def _run(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], *command: str) -> str:
    code = main(["--config", str(config), "--data-dir", str(tmp_path / "data"), *command])
    out, err = capsys.readouterr()
    assert code == EXIT_CONFIG, (code, out, err)
    assert out == ""
    assert "Traceback" not in err
    assert not (tmp_path / "data").exists(), "nothing is written before the config is valid"
    return err


@pytest.mark.parametrize(
    ("text", "line", "key", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_config_mistakes_exit_2_naming_file_line_and_key(
    text: str, line: int, key: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(text, encoding="utf-8")
    err = _run(config, tmp_path, capsys, "refresh")
    where = f"{config}:{line}: " + (f"{key}: " if key else "")
    assert err.startswith(f"tvnews: config error: {where}"), err
    assert words in err, err
    assert err.count("\n") == 1, "one line"


def test_the_app_does_not_start_with_a_bad_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(HEAD + "colour = 'red'\n", encoding="utf-8")
    err = _run(config, tmp_path, capsys)
    assert err.startswith(f"tvnews: config error: {config}:4: settings.colour: unknown setting")


def test_a_file_that_is_not_utf8_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "feeds.toml"
    config.write_bytes(b'[settings]\nrefresh_on_start = false\ntheme = "caf\xe9"\n')
    err = _run(config, tmp_path, capsys, "refresh")
    assert err.startswith(f"tvnews: config error: {config}:3: not UTF-8 text"), err


def test_a_missing_file_or_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _run(tmp_path / "nope.toml", tmp_path, capsys, "refresh")
    assert err.startswith(f"tvnews: config error: {tmp_path / 'nope.toml'}: file not found")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    err = _run(folder, tmp_path, capsys, "refresh")
    assert err.startswith(f"tvnews: config error: {folder}: "), err


def test_a_byte_order_mark_and_crlf_line_ends_are_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.config import load_config

    config = tmp_path / "feeds.toml"
    text = HEAD + GOOD_FEED
    config.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    loaded = load_config(config)
    assert [feed.url for feed in loaded.feeds] == ["https://good.example/feed.xml"]
    config.write_bytes(b"\xef\xbb\xbf" + (HEAD + "colour = 1\n").replace("\n", "\r\n").encode())
    err = _run(config, tmp_path, capsys, "refresh")
    assert err.startswith(f"tvnews: config error: {config}:4: settings.colour"), err
