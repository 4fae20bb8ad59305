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


def test_demo_is_a_guided_tour_of_the_morning(cli: Cli) -> None:
    result = cli("demo")
    assert result.exit_code == 0, result.stderr
    steps = [line for line in result.stderr.splitlines() if line.startswith("$ mentionscan")]
    assert [line.split()[2] for line in steps] == ["fetch", "list", "show", "reply", "mark"]
    # Each step prints what the command prints: the list's table, the record, the draft, the mark.
    assert "Subject: Re: How do I keep tables when exporting from QUILLPAD to Markdown?" in result.stdout
    assert "timeline:" in result.stdout and "history:" in result.stdout
    assert "new -> todo" in result.stderr and "Marked 1 mention todo." in result.stderr
    assert "Run it again and nothing is new" not in result.stderr  # it was false: a fresh database each run
    assert "mentionscan demo --keep" in result.stderr and "mentionscan init" in result.stderr


def test_demo_keep_keeps_a_database_to_try_commands_on(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    first = cli("demo", "--keep", str(folder))
    assert first.exit_code == 0, first.stderr
    assert f"mentionscan list --all --config {folder / 'config.toml'}" in first.stderr
    listed = cli.json("list", "--all", "--config", str(folder / "config.toml"), "--format", "json")
    assert sorted(m["status"] for m in listed) == ["new", "new", "new", "todo"]


def test_demo_keep_refuses_an_existing_config_or_database(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert cli("demo", "--keep", str(folder), "--format", "json").exit_code == 0
    database = (folder / "mentions.json").read_bytes()
    again = cli("demo", "--keep", str(folder))
    assert again.exit_code == 2 and again.stdout == ""
    assert f"Error: {folder / 'config.toml'} already exists; it was left as it is" in again.stderr
    assert (folder / "mentions.json").read_bytes() == database
    # A database alone (a real one, say) is refused too: the samples are never added to it.
    other = tmp_path / "real"
    other.mkdir()
    (other / "mentions.json").write_text("{}")
    refused = cli("demo", "--keep", str(other))
    assert refused.exit_code == 2 and "mentions.json already exists" in refused.stderr
    assert not (other / "config.toml").exists()


def test_demo_keep_a_file_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    existing = tmp_path / "file.toml"
    existing.write_text("# mine\n")
    for target in (existing, tmp_path / "new.toml"):
        result = cli("demo", "--keep", str(target))
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith("Error: --keep takes a folder") and "Traceback" not in result.stderr
    assert existing.read_text() == "# mine\n" and not (tmp_path / "new.toml").exists()
