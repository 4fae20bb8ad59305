"""Finding a way to reach the author of a mention, in the order the issue gives.

1. the feed's author email and author link;
2. the page itself: `mailto:` links, `rel="author"` and `rel="me"` links, the JSON-LD author
   and `<meta name="author">`;
3. the author's profile or site (from the feed or the page): its `mailto:` links, `rel="me"`
   links, and a contact or about page linked from it; a github.com profile is asked through
   the GitHub API for the user's public email and site.

At most `max_pages` requests are made, through the same `HttpClient` (timeouts, size cap,
checked redirects) as `fetch`. Only http and https links are followed, and a link found on the
web may not lead into a private, loopback or link-local network the page itself is not on.
HTML is read with the standard library's `html.parser`: it never fails on broken markup and
needs no dependency, and only a few attributes are wanted here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from mentionscan.errors import FetchError, NotFound
from mentionscan.followup.reply import valid_address
from mentionscan.models import Mention
from mentionscan.text import one_line
from mentionscan.timeutil import utcnow
from mentionscan.urls import host_of, is_http_url, redact

if TYPE_CHECKING:
    from mentionscan.config.model import Config
    from mentionscan.fetching.http import HttpClient

GITHUB_API = "https://api.github.com"
MAX_PAGES = 5
MAX_CONTACTS = 10  # of each kind
_CONTACT_PAGE = re.compile(r"\b(contact|about|impressum|kontakt)\b", re.IGNORECASE)
_LOOKS_LIKE_HTML = re.compile(rb"<(!doctype html|html|head|body|a\s|link\s|meta\s)", re.IGNORECASE)
_GITHUB_LOGIN = re.compile(r"^/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/?$")


@dataclass(slots=True)
class Found:
    """What a search found: contacts in the order found, the pages asked, what went wrong."""

    contacts: list[dict[str, str]] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Addresses only seen as a `mailto:` somewhere on the article's page: often the site's
    # (tips@, press@), so the author's own address found anywhere else comes first.
    weak: set[str] = field(default_factory=set)

    @property
    def email(self) -> str | None:
        """The address most likely to be the author's: the first one tied to the author, else the first."""
        emails = [c["value"] for c in self.contacts if c["kind"] == "email"]
        return next((e for e in emails if e.lower() not in self.weak), emails[0] if emails else None)

    def add(
        self, kind: str, value: str | None, found_at: str, *, weak: bool = False, sure: bool = False
    ) -> None:
        """Record a contact once. `weak`: a mailto: on the article's page; `sure`: named as the
        author's (feed, JSON-LD, GitHub), which clears an address of being weak."""
        value = one_line(value or "")
        if kind == "email":
            value = valid_address(unquote(value.removeprefix("mailto:").split("?", 1)[0])) or ""
        elif not is_http_url(value):
            value = ""
        if not value:
            return
        key = value.lower() if kind == "email" else value
        known = any(
            c["kind"] == kind and (c["value"].lower() if kind == "email" else c["value"]) == key
            for c in self.contacts
        )
        if sure:
            self.weak.discard(key)
        # A cap per kind: a page with a hundred links must not crowd out the one address.
        if known or sum(c["kind"] == kind for c in self.contacts) >= MAX_CONTACTS:
            return
        if weak:
            self.weak.add(key)
        self.contacts.append({"kind": kind, "value": value, "found_at": found_at})


class _Page(HTMLParser):
    """The few things a page says about its author."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = url
        self.mailtos: list[str] = []
        self.rel_links: list[tuple[str, str]] = []  # (rel, absolute url), rel "author" or "me"
        self.meta_author: list[str] = []
        self.jsonld: list[str] = []
        self.links: list[tuple[str, str]] = []  # (absolute url, link text)
        self._script: list[str] | None = None
        self._anchor: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and values.get("href"):
            self.base = urljoin(self.base, values["href"])
        elif tag in ("a", "link") and values.get("href"):
            href = values["href"].strip()
            if href.lower().startswith("mailto:"):
                self.mailtos.append(href)
                return
            url = urljoin(self.base, href)
            for rel in values.get("rel", "").lower().split():
                if rel in ("author", "me"):
                    self.rel_links.append((rel, url))
            if tag == "a":
                self._anchor = (url, [values.get("title", "")])
        elif tag == "meta" and values.get("name", "").lower() == "author":
            self.meta_author.append(values.get("content", ""))
        elif tag == "script" and values.get("type", "").lower().startswith("application/ld+json"):
            self._script = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.jsonld.append("".join(self._script))
            self._script = None
        elif tag == "a" and self._anchor is not None:
            url, text = self._anchor
            self.links.append((url, " ".join(text)))
            self._anchor = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
        elif self._anchor is not None:
            self._anchor[1].append(data)

    def jsonld_authors(self) -> Iterator[Any]:
        for text in self.jsonld:
            try:
                data = json.loads(text)
            except ValueError:
                continue
            yield from _authors_in(data, depth=0)

    def contact_pages(self) -> list[str]:
        """Links that look like a contact or about page (by path or text), contact pages first."""
        found = [
            (m.group(1).lower(), url)
            for url, text in self.links
            if (m := _CONTACT_PAGE.search(urlsplit(url).path + " " + text))
        ]
        return [url for _word, url in sorted(found, key=lambda pair: pair[0] == "about")]


def _authors_in(data: Any, depth: int) -> Iterator[Any]:
    """Every `author` or `creator` value anywhere in a JSON-LD document."""
    if depth > 8:
        return
    if isinstance(data, list):
        for item in data:
            yield from _authors_in(item, depth + 1)
    elif isinstance(data, dict):
        for key, value in data.items():
            if key in ("author", "creator"):
                yield from value if isinstance(value, list) else [value]
            elif isinstance(value, dict | list):
                yield from _authors_in(value, depth + 1)


class _Search:
    def __init__(self, client: HttpClient, origin: str, max_pages: int, github_api: str) -> None:
        self.client = client
        self.origin = origin
        self.budget = max_pages
        self.github_api = github_api.rstrip("/")
        self.found = Found()
        self.profiles: list[str] = []

    def page(self, url: str) -> _Page | None:
        """The parsed page at `url`, or None (budget spent, refused, failed or not HTML)."""
        if self.budget <= 0 or not is_http_url(url) or url in self.found.pages:
            return None
        try:
            # The same rule as a redirect: a link from the web may not lead into a network
            # the page it came from is not on.
            self.client.may_follow(self.origin, url)
        except FetchError:
            self.found.problems.append(
                f"{redact(url)}: not fetched: it leads into a private network that "
                f"{redact(self.origin)} is not on (allow_private_redirects = true in [settings] allows it)"
            )
            return None
        self.budget -= 1
        self.found.pages.append(url)
        try:
            response = self.client.get(url, headers={"Accept": "text/html,application/xhtml+xml"})
        except FetchError as exc:
            self.found.problems.append(str(exc))
            return None
        kind = response.headers.get("content-type", "").lower()
        # A server that sends no type, or a generic one, may still send HTML: look at it.
        sniffed = kind.split(";")[0].strip() in ("", "text/plain", "application/octet-stream") and bool(
            _LOOKS_LIKE_HTML.search(response.body[:2048])
        )
        if "html" not in kind and "xml" not in kind and not sniffed:
            self.found.problems.append(f"{redact(url)}: not an HTML page ({kind.split(';')[0]})")
            return None
        page = _Page(response.url)
        page.feed(_decode(response.body, kind))
        page.close()
        return page

    def scan_article(self, url: str) -> None:
        page = self.page(url)
        if page is None:
            return
        for author in page.jsonld_authors():
            if isinstance(author, str):
                self.person_link(author, url)
            elif isinstance(author, dict):
                self.found.add("email", str(author.get("email") or ""), url, sure=True)
                for link in [author.get("url"), *_as_list(author.get("sameAs"))]:
                    self.person_link(link, url)
        for _rel, link in page.rel_links:
            self.person_link(link, url)
        for content in page.meta_author:
            self.person_link(content, url)
        for mailto in page.mailtos:
            self.found.add("email", mailto, url, weak=True)

    def person_link(self, value: Any, found_at: str) -> None:
        """An author reference: an address, or a profile URL to record and visit later."""
        if not isinstance(value, str):
            return
        value = value.strip()
        if "@" in value and not is_http_url(value):
            self.found.add("email", value, found_at, sure=True)
        elif is_http_url(value):
            self.found.add("url", value, found_at)
            if value not in self.profiles:
                self.profiles.append(value)

    def scan_profile(self, url: str) -> None:
        login = _github_login(url)
        if login:
            self.github(login, url)
            return
        page = self.page(url)
        if page is None:
            return
        for mailto in page.mailtos:
            self.found.add("email", mailto, url)
        for rel, link in page.rel_links:
            if rel == "me":
                self.found.add("url", link, url)
        for contact_url in page.contact_pages()[:1]:
            contact = self.page(contact_url)
            if contact is not None:
                for mailto in contact.mailtos:
                    self.found.add("email", mailto, contact_url)

    def github(self, login: str, profile: str) -> None:
        if self.budget <= 0:
            return
        self.budget -= 1
        api = f"{self.github_api}/users/{login}"
        self.found.pages.append(api)
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        try:
            user = self.client.get(api, headers=headers).json()
        except FetchError as exc:
            self.found.problems.append(str(exc))
            return
        if not isinstance(user, dict):
            return
        where = f"{profile} (GitHub API)"
        self.found.add("email", str(user.get("email") or ""), where, sure=True)
        blog = str(user.get("blog") or "").strip()
        if blog and "://" not in blog:
            blog = "https://" + blog
        if is_http_url(blog):
            self.found.add("url", blog, where)
            if blog not in self.profiles:
                self.profiles.append(blog)


def find_contacts(
    mention: Mention,
    client: HttpClient,
    *,
    origin: str | None = None,
    max_pages: int = MAX_PAGES,
    github_api: str = GITHUB_API,
) -> Found:
    """Every way to reach the author of `mention` found in at most `max_pages` requests.

    `origin` is where the mention came from (the source's URL): the mention's page may be on
    that network; any other link must be on the public internet or on the page's network.
    """
    search = _Search(client, origin or mention.url, max_pages, github_api)
    search.found.add("email", mention.author_email, "feed", sure=True)
    if mention.author_url:
        search.person_link(mention.author_url, "feed")
    search.scan_article(mention.url)
    search.origin = mention.url if is_http_url(mention.url) else search.origin
    # A site found on a GitHub profile joins the list while it is walked.
    at = 0
    while at < len(search.profiles) and search.budget > 0:
        profile = search.profiles[at]
        at += 1
        if not _same_page(profile, mention.url):
            search.scan_profile(profile)
    return search.found


def apply_contacts(mention: Mention, found: Found, now: datetime | None = None) -> Mention:
    """A copy of `mention` holding what was found (merged with what it had), logged on the timeline."""
    known = Found(contacts=[dict(c) for c in mention.contacts])
    for contact in found.contacts:
        known.add(contact["kind"], contact["value"], contact["found_at"])
    email = mention.author_email or found.email
    new = [c for c in known.contacts if c not in [dict(x) for x in mention.contacts]]
    text = "found " + ", ".join(c["value"] for c in new) if new else "looked for contacts, found nothing new"
    return mention.with_event(
        "contact", text, at=now or utcnow(), author_email=email, contacts=tuple(known.contacts)
    )


def _github_login(url: str) -> str | None:
    parts = urlsplit(url)
    if host_of(url) != "github.com":
        return None
    match = _GITHUB_LOGIN.match(parts.path)
    return match.group(1) if match else None


def _same_page(a: str, b: str) -> bool:
    return urlsplit(a)._replace(fragment="") == urlsplit(b)._replace(fragment="")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _decode(body: bytes, content_type: str) -> str:
    """The page as text: the charset of the Content-Type header, else of a <meta>, else UTF-8."""
    header = re.search(r"charset=[\"']?([\w.:-]+)", content_type)
    meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", body[:4096], re.IGNORECASE)
    name = header.group(1) if header else meta.group(1).decode("ascii") if meta else "utf-8"
    try:
        return body.decode(name, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def discover(
    config: Config | None,
    location: str,
    prefix: str,
    *,
    github_api: str = GITHUB_API,
    max_pages: int = MAX_PAGES,
) -> tuple[Mention, Found]:
    """Look for the author of the mention `prefix` names, and store what was found on it.

    The database is not locked while pages are fetched: it is read first, then opened for
    writing only to store the result.
    """
    from mentionscan.fetching.http import HttpClient
    from mentionscan.store import open_store

    with open_store(location, write=False) as store:
        mention = store.resolve(prefix)
    origin = None
    if config is not None:
        spec = next((s for s in config.sources if s.name == mention.source), None)
        if spec is not None:
            origin = spec.get("url") or spec.base_url
    client = HttpClient(config.settings if config is not None else None)
    with client:
        found = find_contacts(mention, client, origin=origin, max_pages=max_pages, github_api=github_api)
    lock_timeout = config.settings.lock_timeout if config is not None else 60
    with open_store(location, write=True, lock_timeout=lock_timeout) as store:
        current = store.get(mention.id)
        if current is None:
            raise NotFound(f"mention {mention.id} was deleted while its author was looked for")
        updated = apply_contacts(current, found)
        store.put(updated, rebase=lambda now: apply_contacts(now, found))  # on what is there now
        store.save()
    return updated, found
