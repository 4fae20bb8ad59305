"""`mentionscan demo` works offline, through the same path as `fetch`."""

from pathlib import Path

from tests.conftest import Cli


def test_demo_fetches_sample_feeds_and_prints_the_matches(cli: Cli) -> None:
    result = cli("demo", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "Serving sample feeds on http://127.0.0.1:" in result.stderr
    import json

    records = json.loads(result.stdout)
    titles = {r["title"] for r in records}
    assert "Why we moved our team notes to Quillpad" in titles
    assert "How do I keep tables when exporting from QUILLPAD to Markdown?" in titles
    assert "Sync conflicts between two laptops" in titles  # the support tag
    assert not any("careers" in t or "calligraphy" in t.lower() for t in titles)
    # The same article came from the blog and the JSON feed: stored once.
    assert sum(t == "Why we moved our team notes to Quillpad" for t in titles) == 1
    assert "small-tools-blog: 3 entries" in result.stderr


def test_demo_keep_keeps_a_database_a_second_run_finds_nothing_new(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    first = cli("demo", "--keep", str(folder), "--format", "json")
    assert first.exit_code == 0
    assert (folder / "mentions.json").exists() and (folder / "config.toml").exists()
    second = cli("demo", "--keep", str(folder), "--format", "json")
    assert second.stdout.strip() == "[]"
    assert "0 new mentions" in second.stderr
