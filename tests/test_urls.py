import re
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentionscan import urls
from mentionscan.urlrules import unwrap
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


# Issue 11: what other tools' URL test cases (w3lib, url-normalize, courlan, miniflux, ClearURLs) expect.
ROUTES_ARE_PAGES = [
    (
        "https://groups.google.com/forum/#!topic/golang-nuts/abc123",
        "https://groups.google.com/forum/#!topic/golang-nuts/xyz789",
    ),
    ("https://app.example.com/#/posts/41", "https://app.example.com/#/posts/42"),
    ("https://example.com/caf%E9-con-leche.htm", "https://example.com/caf%E8-con-leche.htm"),
    ("https://example.com/menu?item=caf%E9", "https://example.com/menu?item=caf%E8"),
    ("https://example.com/item?id=123", "https://example.com/item?id=124"),
    ("https://example.com/?p=45", "https://example.com/?p=46"),
    ("https://www.youtube.com/watch?v=abc", "https://www.youtube.com/watch?v=abd"),
    ("https://example.com/search?s=acme", "https://example.com/search?s=other"),  # `s` is X's only
    ("https://example.com/video?t=42", "https://example.com/video?t=43"),
    ("https://github.com/acme/widgets/blob/x.py?ref=main", "https://github.com/acme/widgets/blob/x.py"),
    ("https://github.com/acme/w/tree?ref=docs.update", "https://github.com/acme/w/tree"),
    ("https://example.com/a?ref=main", "https://example.com/a"),  # not a host: may select content
    ("https://example.com/x?cmp=1", "https://example.com/x"),  # only the upper-case CMP is tracking
]


@pytest.mark.parametrize(("a", "b"), ROUTES_ARE_PAGES)
def test_pages_differing_in_a_route_an_escape_or_a_content_parameter_stay_apart(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


def test_an_in_page_anchor_is_not_part_of_the_page_but_a_route_is() -> None:
    assert canonical_url("https://example.com/post#comments") == canonical_url("https://example.com/post")
    route = "https://groups.google.com/forum/#!topic/go/abc"
    assert canonical_url(route) == "groups.google.com/forum#!topic/go/abc"


def test_bytes_that_are_not_utf8_are_kept_and_utf8_is_compared_decoded() -> None:
    assert canonical_url("https://example.com/caf%E9") == "example.com/caf%E9"
    assert canonical_url("https://example.com/caf%c3%a9") == canonical_url("https://example.com/café")


def test_dot_segments_are_removed() -> None:
    assert canonical_url("https://example.com/a/./b") == canonical_url("https://example.com/a/b")
    assert canonical_url("https://example.com/a/../b") == canonical_url("https://example.com/b")
    assert canonical_url("https://example.com/a/b/../../c/./") == "example.com/c"


# Parameters the peers (ClearURLs, miniflux, courlan) strip; each with a value a real link carries.
def words(text: str) -> list[str]:
    return text.split()


TRACKING = words(
    "srsltid=AfmBOor gbraid=0AAAAA wbraid=CjkKCQ gclsrc=aw.ds gad_source=1 fb_source=feed "
    "fb_ref=Default fb_action_ids=1 fb_action_types=og.likes fb_comment_id=1 itm_source=home "
    "itm_medium=x itm_campaign=y campaign_id=1 campaign_name=spring campaign_source=news "
    "campaign_medium=mail campaign_term=t campaign_content=c __hstc=1.2 __hssc=1.1 __hsfp=99 "
    "_hsenc=p2 _hsmi=1 hsCtaTracking=x mc_tc=1 ysclid=lk ttclid=E li_fat_id=1 _openstat=dGVz "
    "__twitter_impression=true wt_mc=rss.ho wtrid=1 spm=a2.b ml_subscriber=1 ml_subscriber_hash=x "
    "os_ehash=1 vero_conv=1 _bhlid=1 _branch_match_id=1 _branch_referrer=x sc_cid=1 "
    "__readwiseLocation=x ocid=msedgntp guccounter=1 guce_referrer=aHR0 guce_referrer_sig=AQAA "
    "share_id=xyz CMP=share_btn_tw ga_source=x ga_medium=y otm_source=x hmb_campaign=x hmb_source=y "
    "hmb_medium=z vn_source=x mtm_campaign=x pk_campaign=x piwik_kwd=x hsa_cam=1 action_object_map=1 "
    "action_type_map=1 action_ref_map=1 gs_l=x tracking_source=x Echobox=1 ref=blog.acme.example "
    "ceneo_spo=1 rdt_cid=1 epik=dj0 intcid=inline ftag=CAD taid=1 cvid=1 utm_id=1 utm_source_platform=x"
)
SITE_TRACKING = [
    ("https://www.youtube.com/watch?v=abc", "si=ZPq1 feature=shared pp=ygUE kw=x"),
    ("https://youtu.be/abc", "si=ZPq1 feature=shared"),
    ("https://x.com/acme/status/1", "s=20 t=AbCd src=x ref_src=twsrc%5Etfw cn=x ref_url=x"),
    ("https://twitter.com/acme/status/1", "s=20 t=AbCd"),
    ("https://www.reddit.com/r/a/comments/1/x/", "share_id=Ab utm_name=x ref_campaign=x ref_source=y rdt=1"),
    ("https://www.linkedin.com/posts/acme", "trk=public_post trkInfo=x refId=x trackingId=x lipi=x licu=x"),
    ("https://www.facebook.com/acme/posts/1", "__tn__=K-R mibextid=x rdid=x ref=share fref=nf"),
    ("https://www.instagram.com/p/abc/", "igsh=x img_index=1"),
    ("https://open.spotify.com/episode/1", "si=abc"),
    ("https://techcrunch.com/2024/01/01/acme/", "sr=1 ncid=x sr_share=x"),
]


def test_every_tracking_parameter_the_peers_strip_is_stripped() -> None:
    assert len(TRACKING) + sum(len(p.split()) for _, p in SITE_TRACKING) >= 95
    for pair in TRACKING:
        url = f"https://example.com/post?id=123&{pair}"
        assert canonical_url(url) == "example.com/post?id=123", pair
    for page, pairs in SITE_TRACKING:
        for pair in pairs.split():
            joined = f"{page}&{pair}" if "?" in page else f"{page}?{pair}"
            assert canonical_url(joined) == canonical_url(page), (page, pair)


def test_site_tracking_parameters_are_kept_on_other_sites() -> None:
    assert canonical_url("https://example.com/?s=acme") == "example.com?s=acme"
    assert canonical_url("https://example.com/watch?si=3") == "example.com/watch?si=3"
    assert canonical_url("https://www.youtube.com/watch?v=abc&si=x") == "youtube.com/watch?v=abc"


WRAPPED = [
    "https://www.google.com/url?rct=j&sa=t&url=https://acme.example/post&ct=ga&cd=CAIy&usg=AFQ",
    "https://www.google.co.uk/url?q=https://acme.example/post&sa=D&source=editors",
    "https://l.facebook.com/l.php?u=https%3A%2F%2Facme.example%2Fpost%3Ffbclid%3DIwAR&h=AT0",
    "https://lm.facebook.com/l.php?u=https%3A%2F%2Facme.example%2Fpost",
    "https://out.reddit.com/t3_abc?url=https%3A%2F%2Facme.example%2Fpost&token=x&app_name=web",
    "https://duckduckgo.com/l/?uddg=https%3A%2F%2Facme.example%2Fpost&rut=abc",
    "https://www.google.com/amp/s/acme.example/post",
    "https://acme-example.cdn.ampproject.org/c/s/acme.example/post",
    "https://acme-example.cdn.ampproject.org/v/s/acme.example/post?amp_js_v=0.1",
    "https://www.youtube.com/redirect?event=video_description&q=https%3A%2F%2Facme.example%2Fpost",
    "https://www.linkedin.com/redir/redirect?url=https%3A%2F%2Facme.example%2Fpost&urlhash=x",
    # a Google Alert's link to an AMP page
    "https://www.google.com/url?url=https://www.google.com/amp/s/acme.example/post&usg=x",
]


@pytest.mark.parametrize("wrapped", WRAPPED)
def test_redirect_wrappers_and_amp_caches_are_the_page_they_lead_to(wrapped: str) -> None:
    expected = "acme.example/post?amp_js_v=0.1" if "amp_js_v" in wrapped else "acme.example/post"
    assert canonical_url(wrapped) == expected
    assert host_of(unwrap(wrapped)) == "acme.example"


def test_a_link_that_only_looks_like_a_wrapper_is_itself() -> None:
    for url in (
        "https://www.google.com/search?q=https://acme.example",  # a search, not a redirect
        "https://www.google.com/url?q=javascript:alert(1)",  # only http(s) targets
        "https://example.com/l.php?u=https://acme.example",  # not Facebook's
        "https://www.google.com/amp/s/",
    ):
        assert unwrap(url) == url


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "Https", "ftp", "http:", ""]),
    host=st.text(alphabet="abcXYZ019.-_[]:@%é", max_size=12),
    port=st.one_of(st.just(""), st.from_regex(r":[0-9]{0,6}", fullmatch=True)),
    rest=st.text(alphabet="/?#ab \t%@:[]\\é", max_size=8),
)
def test_the_quick_answer_for_a_plain_link_is_the_answer_urlsplit_gives(
    scheme: str, host: str, port: str, rest: str
) -> None:
    url = f"{scheme}://{host}{port}{rest}"
    quick = is_http_url.__wrapped__(url)
    with mock.patch.object(urls, "_PLAIN_HTTP", re.compile(r"(?!)")):  # the quick pattern never matches
        assert quick == is_http_url.__wrapped__(url)  # what urlsplit says
