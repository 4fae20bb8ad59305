import pytest

from mentionscan.urls import canonical_url, host_of, is_http_url, redact, safe_link

SAME = [
    ("http://example.com/a", "https://example.com/a"),
    ("https://www.example.com/a", "https://example.com/a"),
    ("https://EXAMPLE.com/a", "https://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "https://example.com/a"),
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/a/", "https://example.com/a"),
    ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?fbclid=x&gclid=y&mc_cid=1&mc_eid=2&ref_src=twsrc", "https://example.com/a"),
    ("https://example.com/a?id=3&utm_source=rss", "https://example.com/a?id=3"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/%7Euser", "https://example.com/~user"),
]
DIFFERENT = [
    ("https://example.com/a?id=3", "https://example.com/a?id=4"),
    ("https://example.com/a", "https://example.com/b"),
    ("https://example.com:8443/a", "https://example.com/a"),
    ("https://blog.example.com/a", "https://example.com/a"),
    ("https://example.com/A", "https://example.com/a"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_canonical_forms_of_one_page_are_equal(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_pages_stay_different(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


def test_only_http_and_https_are_links() -> None:
    assert is_http_url("https://example.com/x")
    assert not is_http_url("javascript:alert(1)")
    assert not is_http_url("file:///etc/passwd")
    assert not is_http_url("data:text/html,<script>")
    assert not is_http_url("/relative/path")
    assert safe_link("javascript:alert(1)") == ""
    assert safe_link(" https://example.com/ ") == "https://example.com/"


def test_host_and_redaction() -> None:
    assert host_of("https://WWW.Example.COM:8080/x") == "example.com"
    assert redact("https://user:secret@example.com/feed?x=1") == "https://***@example.com/feed?x=1"
    assert "secret" not in redact("https://user:secret@example.com:8443/feed")
    assert redact("https://example.com/feed") == "https://example.com/feed"
