"""Which query parameters only say where a click came from, and which links only wrap another one.

The reference is ClearURLs' rule set (github.com/ClearURLs/Rules, `data.min.json`: its
`globalRules` and the providers named below), with the additions of miniflux's
`internal/reader/urlcleaner` (Apache-2.0). The rule set states no license that lets us ship
it, so the rules a mention scanner meets are written out here, each list citing where it comes
from. A parameter that selects content (`?id=`, `?p=`, `?v=`, `?q=`) is never on these lists.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, unquote, urlsplit

# Tracking on every site (names compared in lower case). ClearURLs globalRules; miniflux.
GLOBAL_PARAMS = frozenset(
    {
        # click identifiers: Google, Microsoft, Meta, Yandex, X, TikTok, LinkedIn, Reddit
        "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "gad_source", "gad_campaignid", "srsltid",
        "msclkid", "fbclid", "igshid", "igsh", "yclid", "ysclid", "twclid", "ttclid", "li_fat_id",
        "rdt_cid", "epik", "_branch_match_id", "_branch_referrer",
        # Facebook's share links (fb_action_ids, fb_source, ...)
        "fb_action_ids", "fb_action_types", "fb_ref", "fb_source", "fb_comment_id",
        "action_object_map", "action_type_map", "action_ref_map",
        # Google Analytics and Tag Manager
        "_ga", "_gl", "gs_l",
        # e-mail and marketing platforms: Mailchimp, HubSpot, Marketo, Olytics, Vero, Adobe, ...
        "mc_cid", "mc_eid", "mc_tc", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking",
        "mkt_tok", "oly_anon_id", "oly_enc_id", "rb_clickid", "vero_id", "vero_conv", "wickedid",
        "s_cid", "sc_cid", "ml_subscriber", "ml_subscriber_hash", "_bhlid", "os_ehash", "__s",
        "_openstat", "__twitter_impression", "tracking_source", "wtrid", "wt_mc", "wt_zmc", "spm",
        "ceneo_spo", "__readwiselocation", "cmpid", "ncid", "ocid", "sr_share", "smid",
        "guccounter", "guce_referrer", "guce_referrer_sig", "share_id", "ref_src", "ref_url",
        "source",  # Medium's ?source=rss------tag-5, and many feeds' ?source=rss
        "share", "echobox", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3",
        "at_custom4", "intcid", "ftag", "taid", "cvid",
    }
)  # fmt: skip
# Parameter name prefixes: UTM, Matomo, Piwik, Google Analytics' ga_, Humble Bundle, ...
GLOBAL_PREFIXES = (
    "utm_", "mtm_", "pk_", "piwik_", "hsa_", "itm_", "campaign_", "ga_", "otm_", "hmb_", "vn_",
)  # fmt: skip
# Upper-case names whose lower-case form may select content elsewhere: the Guardian's and
# many publishers' ?CMP=share_btn_tw.
GLOBAL_EXACT = frozenset({"CMP"})

# Tracking on one site and the sites below it: ClearURLs' providers of those names.
SITE_PARAMS: dict[str, frozenset[str]] = {
    "youtube.com": frozenset({"si", "feature", "kw", "pp"}),
    "youtu.be": frozenset({"si", "feature"}),
    "twitter.com": frozenset({"s", "t", "src", "ref_src", "cn", "ref_url"}),
    "x.com": frozenset({"s", "t", "src", "ref_src", "cn", "ref_url"}),
    "reddit.com": frozenset(
        {"ref_campaign", "ref_source", "correlation_id", "$deep_link", "$3p", "$original_url", "rdt"}
    ),
    "linkedin.com": frozenset(
        {"trk", "trkinfo", "refid", "trackingid", "lipi", "licu", "midtoken", "midsig", "trkemail"}
    ),
    "facebook.com": frozenset(
        {"__tn__", "eid", "comment_tracking", "dti", "video_source", "ftentidentifier", "padding"}
        | {"ls_ref", "action_history", "tracking", "referral_code", "referral_story_type", "mibextid"}
        | {"rdid", "ref", "fref", "hc_ref", "__cft__[0]", "__xts__[0]", "sfnsn"}
    ),
    "instagram.com": frozenset({"igshid", "igsh", "img_index"}),
    "spotify.com": frozenset({"si", "context"}),
    "tiktok.com": frozenset({"u_code", "preview_pb", "_d", "timestamp", "user_id", "share_app_name"})
    | frozenset({"share_iid", "_r", "is_from_webapp", "sender_device", "is_copy_url"}),
    "techcrunch.com": frozenset({"sr"}),
    "bilibili.com": frozenset({"spm_id_from", "vd_source", "share_source", "share_medium", "from_source"})
    | frozenset({"share_plat", "share_tag", "share_session_id", "unique_k", "seid"}),
    "bing.com": frozenset({"form", "sk", "sp", "sc", "qs", "qp"}),
    "medium.com": frozenset({"sk"}),
    "substack.com": frozenset({"r", "triedredirect", "publication_id", "post_id", "isfreemail"}),
    "amazon.com": frozenset({"tag", "linkcode", "creativeasin", "ascsubtag", "qid", "sr", "crid"})
    | frozenset({"sprefix", "pd_rd_r", "pd_rd_w", "pd_rd_wg", "pf_rd_p", "pf_rd_r", "psc", "th"}),
}
# Where `ref` selects content (a branch, a tag): ClearURLs' exceptions for it.
REF_IS_CONTENT = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")
# Ghost (and others) append `?ref=<the linking site's host>` to every outbound link.
_HOST_VALUE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)
_GOOGLE = re.compile(r"(?:^|\.)google\.(?:com?\.)?[a-z]{2,3}$")


def site_rules(host: str) -> frozenset[str]:
    """The site-specific tracking names for `host` (lower case, no `www.`), from it and its parents."""
    names: frozenset[str] = frozenset()
    domain = host
    while domain:
        names |= SITE_PARAMS.get(domain, frozenset())
        domain = domain.partition(".")[2]
    return names


def is_tracking(name: str, value: str, host: str, site: frozenset[str]) -> bool:
    """Whether the parameter `name=value` of a link to `host` only says where the click came from."""
    lowered = name.lower()
    if lowered in GLOBAL_PARAMS or lowered.startswith(GLOBAL_PREFIXES) or name in GLOBAL_EXACT:
        return True
    if lowered in site:
        return True
    if lowered == "ref" and _HOST_VALUE.match(value):
        return not any(host == d or host.endswith("." + d) for d in REF_IS_CONTENT)
    return False


# Wrappers: (host or ".suffix", path prefix, the parameters that hold the target, in order).
# ClearURLs' `redirections` of google, facebook, messenger, instagram, reddit, duckduckgo,
# youtube, linkedin, steamcommunity, vk and bing; slack's and tumblr's redirectors.
_PARAM_WRAPPERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("google", "/url", ("url", "q")),
    ("l.facebook.com", "/l.php", ("u",)),
    ("lm.facebook.com", "/l.php", ("u",)),
    ("m.facebook.com", "/l.php", ("u",)),
    ("facebook.com", "/l.php", ("u",)),
    ("l.messenger.com", "/l.php", ("u",)),
    ("l.instagram.com", "/", ("u",)),
    ("out.reddit.com", "/", ("url",)),
    ("click.redditmail.com", "/", ("url",)),
    ("duckduckgo.com", "/l/", ("uddg",)),
    ("youtube.com", "/redirect", ("q",)),
    ("linkedin.com", "/redir/redirect", ("url",)),
    ("linkedin.com", "/safety/go", ("url",)),
    ("steamcommunity.com", "/linkfilter/", ("url", "u")),
    ("vk.com", "/away.php", ("to",)),
    ("bing.com", "/news/apiclick.aspx", ("url",)),
    ("slack-redir.net", "/link", ("url",)),
    ("t.umblr.com", "/redirect", ("z",)),
)
_WRAPPER_HOSTS = frozenset(host for host, _, _ in _PARAM_WRAPPERS)
# A wrapper's link holds one of these in lower case (its host does; urlsplit lowers it). A host
# that holds another (l.facebook.com) need not be asked.
_HINTS = tuple(
    h for h in sorted({*_WRAPPER_HOSTS, "ampproject.org"}) if not any(o in h for o in _WRAPPER_HOSTS - {h})
)
# AMP caches: /c/s/example.com/page is https://example.com/page (c: content, v: viewer, ...).
_AMP_CACHE = re.compile(r"^/(?:c|v|i|wp|r)/(s/)?(.+)$")
_GOOGLE_AMP = re.compile(r"^/amp/(s/)?(.+)$")
_MAX_WRAPS = 4  # a Google link to an AMP page of a Facebook link is three deep; more is a loop


def unwrap(url: str) -> str:
    """The page a redirector or cache link leads to (Google, Facebook, AMP, ...), else `url` itself."""
    # No wrapper's host in it: most links, said without urlsplit's 10 µs (or a cache: most links
    # are new to it). urlsplit drops tabs and newlines anywhere ("goo<tab>gle.com" is google.com):
    # a link with one, or with any unprintable character, is split.
    if isinstance(url, str) and url.isprintable():
        lowered = url.lower()
        if not any(hint in lowered for hint in _HINTS):
            return url
    return _unwrapped(url)


@functools.lru_cache(maxsize=4096)  # asked of each link several times (see urls._SEEN)
def _unwrapped(url: str) -> str:
    for _ in range(_MAX_WRAPS):
        target = _target(url)
        if not target:
            return url
        url = target
    return url


def _target(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    host = host.removeprefix("www.")
    if host == "cdn.ampproject.org" or host.endswith(".cdn.ampproject.org"):
        return _amp(_AMP_CACHE, parts.path, parts.query)
    google = bool(_GOOGLE.search(host))
    if not google and host not in _WRAPPER_HOSTS:
        return ""
    if google and parts.path.startswith("/amp/"):
        return _amp(_GOOGLE_AMP, parts.path, parts.query)
    for wrapper, path, names in _PARAM_WRAPPERS:
        if not (host == wrapper or (wrapper == "google" and google)):
            continue
        if not parts.path.lower().startswith(path):
            continue
        values = dict(parse_qsl(parts.query, keep_blank_values=True))
        for name in names:
            target = values.get(name, "").strip()
            if target.lower().startswith(("http://", "https://")):
                return target
    return ""


def _amp(pattern: re.Pattern[str], path: str, query: str) -> str:
    found = pattern.match(path)
    if not found or "." not in found.group(2).split("/", 1)[0]:
        return ""
    target = ("https://" if found.group(1) else "http://") + unquote(found.group(2))
    return f"{target}?{query}" if query else target
