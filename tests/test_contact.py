"""`mentionscan contact`: the author found from the feed, the page, the profile and GitHub's API,
all served on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.config.model import Settings
from mentionscan.fetching.http import HttpClient
from mentionscan.followup.contact import find_contacts
from mentionscan.store import open_store
from tests.conftest import Cli
from tests.followuptools import fetch_posts, local_base

# The article page of a typical blog: a generic mailto in the footer, the author's page in
# rel="author", their GitHub in rel="me", JSON-LD as Yoast SEO writes it, and links that must
# not be followed.
ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Why I left Acme</title>
<meta name="author" content="Sam Dev">
<link rel="author" href="/authors/sam">
<script type="application/ld+json">
{"@context":"https://schema.org","@graph":[
 {"@type":"BlogPosting","headline":"Why I left Acme",
  "author":{"@type":"Person","name":"Sam Dev","email":"mailto:sam@jsonld.example",
            "url":"BASE/authors/sam","sameAs":["https://github.com/samdev","ftp://files.example/sam"]},
  "publisher":{"@type":"Organization","name":"Small tools","email":"press@publisher.example"}}]}
</script>
</head><body>
<article><h1>Why I left Acme</h1><p>By <a href="https://github.com/samdev" rel="me nofollow">Sam</a></p>
<p>Acme widgets were slow for us.</p>
<a href="javascript:alert(1)" rel="author">bad</a>
</article>
<footer><a href="mailto:tips@blog.example?subject=Tip">Send us a tip</a></footer>
</body></html>
"""

PROFILE = """<!DOCTYPE html><html><head><title>Sam Dev</title></head><body>
<h1>Sam Dev</h1><p>I write about tools.</p>
<a rel="me" href="https://mastodon.example/@sam">Mastodon</a>
<a href="/authors/sam/about">About me</a>
<a href="/authors/sam/contact">Get in touch: contact</a>
</body></html>
"""

CONTACT_PAGE = """<!DOCTYPE html><html><body>
<p>Write to <a href="mailto:sam%2Bblog@profile.example">sam+blog@profile.example</a>.</p>
</body></html>
"""

# GET /users/{username}, in the shape docs.github.com gives for a public user.
GITHUB_USER = {
    "login": "samdev",
    "id": 583231,
    "node_id": "MDQ6VXNlcjU4MzIzMQ==",
    "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
    "html_url": "https://github.com/samdev",
    "type": "User",
    "site_admin": False,
    "name": "Sam Dev",
    "company": None,
    "blog": "samdev.example",  # replaced by the test server's address
    "location": "Lisbon",
    "email": "sam@github-public.example",
    "hireable": None,
    "bio": "Tools.",
    "twitter_username": None,
    "public_repos": 12,
    "public_gists": 1,
    "followers": 30,
    "following": 2,
    "created_at": "2011-01-25T18:44:36Z",
    "updated_at": "2026-06-22T14:21:42Z",
}


@pytest.fixture(autouse=True)
def no_name_lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A guard: any host name looked up (instead of the 127.0.0.1 literal) fails the test."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host != "127.0.0.1":
            looked_up.append(str(host))
            raise socket.gaierror(socket.EAI_NONAME, "name lookups are not allowed in tests")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield looked_up
    assert looked_up == []


def serve_site(httpserver: HTTPServer) -> None:
    base = local_base(httpserver)
    html = "text/html; charset=utf-8"
    httpserver.expect_request("/posts/contact-me").respond_with_data(
        ARTICLE.replace("BASE", base), content_type=html
    )
    httpserver.expect_request("/authors/sam").respond_with_data(PROFILE, content_type=html)
    httpserver.expect_request("/authors/sam/contact").respond_with_data(CONTACT_PAGE, content_type=html)
    user = {**GITHUB_USER, "blog": base + "/sam-site"}
    httpserver.expect_request("/github/users/samdev").respond_with_json(user)
    httpserver.expect_request("/sam-site").respond_with_data(
        '<a href="mailto:hello@sam-site.example">hello</a>', content_type=html
    )


def requested(httpserver: HTTPServer) -> list[str]:
    return [request.path for request, _response in httpserver.log]


def test_contact_finds_the_author_through_the_page_profile_and_github(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    serve_site(httpserver)
    httpserver.clear_log()
    mention_id = fetched.id("Why I left")
    base = fetched.base
    result = cli("contact", mention_id[:6], "--config", str(fetched.config), "--github-api", base + "/github")
    assert result.exit_code == 0, result.stderr

    # Page first, then the profile and its contact page, then GitHub and the site it names:
    # five requests, the most one search makes.
    assert requested(httpserver) == [
        "/posts/contact-me",
        "/authors/sam",
        "/authors/sam/contact",
        "/github/users/samdev",
        "/sam-site",
    ]
    page = f"{base}/posts/contact-me"
    profile = f"{base}/authors/sam"
    expected = [
        ("email", "sam@jsonld.example", page),
        ("url", profile, page),
        ("url", "https://github.com/samdev", page),
        ("email", "tips@blog.example", page),
        ("url", "https://mastodon.example/@sam", profile),
        ("email", "sam+blog@profile.example", profile + "/contact"),
        ("email", "sam@github-public.example", "https://github.com/samdev (GitHub API)"),
        (
            "url",
            "http://" + base.removeprefix("http://") + "/sam-site",
            "https://github.com/samdev (GitHub API)",
        ),
        ("email", "hello@sam-site.example", base + "/sam-site"),
    ]
    lines = result.stdout.splitlines()
    assert lines == [f"{kind:<6} {value}  (found at {where})" for kind, value, where in expected]
    assert result.stderr == "Author's email: sam@jsonld.example (5 requests)\n"

    record = cli.json("show", mention_id, "--format", "json", "--config", str(fetched.config))
    assert record["author_email"] == "sam@jsonld.example"
    assert [(c["kind"], c["value"], c["found_at"]) for c in record["contacts"]] == expected
    assert record["timeline"][-1]["kind"] == "contact"
    assert "press@publisher.example" not in json.dumps(record)  # the publisher is not the author
    assert "javascript" not in json.dumps(record)
    assert "ftp://" not in json.dumps(record)

    # The reply now has an address.
    reply = cli("reply", mention_id, "--config", str(fetched.config))
    assert "To: sam@jsonld.example" in reply.stdout

    # A second run adds nothing twice.
    again = cli("contact", mention_id, "--config", str(fetched.config), "--github-api", base + "/github")
    assert again.exit_code == 0
    record = cli.json("show", mention_id, "--format", "json", "--config", str(fetched.config))
    assert len(record["contacts"]) == len(expected)
    assert record["timeline"][-1]["text"] == "looked for contacts, found nothing new"


def test_the_feed_address_comes_first_and_a_missing_page_is_a_warning(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    mention_id = fetched.id("Acme broke")
    httpserver.expect_request("/posts/broke").respond_with_data("gone", status=404)
    result = cli("contact", mention_id, "--config", str(fetched.config))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "email  jane@example.org  (found at feed)\n"
    assert "Warning: " in result.stderr
    assert f"{fetched.base}/posts/broke" in result.stderr
    assert "Author's email: jane@example.org" in result.stderr


def test_nothing_found_is_said_plainly(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    httpserver.expect_request("/posts/hostile").respond_with_data(
        "<p>no one here</p>", content_type="text/html"
    )
    result = cli("contact", fetched.id("Acme <script>"), "--config", str(fetched.config))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "No email found for the author (1 request)." in result.stderr
    record = cli.json(
        "show", fetched.id("Acme <script>"), "--format", "json", "--config", str(fetched.config)
    )
    assert record["author_email"] is None
    assert record["contacts"] == []


def test_at_most_five_requests(httpserver: HTTPServer, tmp_path: Path) -> None:
    base = local_base(httpserver)
    links = "".join(f'<a rel="author" href="/p{i}">p{i}</a>' for i in range(20))
    httpserver.expect_request("/post").respond_with_data(f"<html>{links}</html>", content_type="text/html")
    for i in range(20):
        httpserver.expect_request(f"/p{i}/contact").respond_with_data("gone", status=404)
        httpserver.expect_request(f"/p{i}").respond_with_data(
            f'<a href="mailto:p{i}@example.org">x</a><a href="/p{i}/contact">contact</a>',
            content_type="text/html",
        )
    mention = _mention(base + "/post")
    with HttpClient(Settings(user_agent="test")) as client:
        found = find_contacts(mention, client)
    assert len(httpserver.log) == 5
    assert len(found.pages) == 5
    assert found.email == "p0@example.org"


def test_a_page_outside_the_sources_network_is_not_fetched(httpserver: HTTPServer) -> None:
    # The client is told 127.0.0.1 is a private address and the source a public one: the
    # mention's link then points from the internet into a private network, and is refused
    # before any request is made.
    base = local_base(httpserver)
    httpserver.expect_request("/post").respond_with_data(
        '<a href="mailto:x@example.org">x</a>', content_type="text/html"
    )

    def classify(address: str) -> str:
        return "public" if address == "198.51.100.7" else "private"

    def resolver(host: str) -> list[str]:
        return ["198.51.100.7"] if host == "feeds.example" else [host]

    with HttpClient(Settings(user_agent="test"), classify=classify, resolver=resolver) as client:
        found = find_contacts(_mention(base + "/post"), client, origin="https://feeds.example/feed")
        assert httpserver.log == []
        assert found.contacts == []
        assert found.problems == [
            f"{base}/post: not fetched: it leads into a private network that https://feeds.example/feed "
            "is not on (allow_private_redirects = true in [settings] allows it)"
        ]
        # From a feed on the same network, the page is read.
        found = find_contacts(_mention(base + "/post"), client, origin=base + "/feed")
    assert found.email == "x@example.org"


def test_contact_with_only_a_database(cli: Cli, httpserver: HTTPServer, tmp_path: Path) -> None:
    database = tmp_path / "m.json"
    with open_store(database) as store:
        store.put(_mention(local_base(httpserver) + "/post"))
        store.save()
    httpserver.expect_request("/post").respond_with_data(
        '<html><head><meta name="author" content="writer@example.org"></head></html>',
        content_type="text/html",
    )
    result = cli("contact", "abc", "--db", str(database))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"email  writer@example.org  (found at {local_base(httpserver)}/post)\n"


def _mention(url: str):  # type: ignore[no-untyped-def]
    from mentionscan.models import Mention
    from mentionscan.timeutil import utcnow

    return Mention(
        id="abc123abc123",
        url=url,
        title="t",
        snippet="s",
        author=None,
        author_url=None,
        author_email=None,
        published=None,
        found_at=utcnow(),
        source="blog",
        source_type="feed",
        queries=("acme",),
    )


def test_html_sent_as_a_generic_type_is_read_and_a_pdf_is_not(httpserver: HTTPServer) -> None:
    base = local_base(httpserver)
    # What `python -m http.server` sends for a file without an extension.
    httpserver.expect_request("/post").respond_with_data(
        '<html><link rel="author" href="/about.pdf"><a href="mailto:a@example.org">a</a></html>',
        content_type="application/octet-stream",
    )
    httpserver.expect_request("/about.pdf").respond_with_data(
        b"%PDF-1.7 <a href='mailto:b@example.org'>", content_type="application/pdf"
    )
    with HttpClient(Settings(user_agent="test")) as client:
        found = find_contacts(_mention(base + "/post"), client)
    assert [c["value"] for c in found.contacts if c["kind"] == "email"] == ["a@example.org"]
    assert found.problems == [f"{base}/about.pdf: not an HTML page (application/pdf)"]


def test_the_authors_own_address_beats_the_sites_mailto(
    cli: Cli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    base = local_base(httpserver)
    database = tmp_path / "m.json"
    with open_store(database) as store:
        store.put(_mention(base + "/post"))
        store.save()
    httpserver.expect_request("/post").respond_with_data(
        '<footer><a href="mailto:tips@blog.example">tips</a></footer><a rel="author" href="/sam">Sam</a>',
        content_type="text/html",
    )
    httpserver.expect_request("/sam").respond_with_data(
        '<a href="/sam/contact">Contact</a>', content_type="text/html"
    )
    httpserver.expect_request("/sam/contact").respond_with_data(
        '<a href="mailto:sam@site.example">write</a><a href="mailto:tips@blog.example">tips</a>',
        content_type="text/html",
    )
    result = cli("contact", "abc", "--db", str(database))
    assert result.exit_code == 0, result.stderr
    assert "Author's email: sam@site.example (3 requests)" in result.stderr
    assert result.stdout.splitlines()[1] == f"email  tips@blog.example  (found at {base}/post)"
    record = cli.json("show", "abc", "--db", str(database), "--format", "json")
    assert record["author_email"] == "sam@site.example"
