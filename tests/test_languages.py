"""`lang:` queries: the language a feed or site declares, else the one detected, kept on the mention."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.errors import QuerySyntaxError
from mentionscan.matching.matcher import Document, Matcher
from mentionscan.matching.query import format_query, parse_query
from tests.conftest import Cli

# A short post and a long one in each language, none declaring what it is in.
POSTS = {
    "en": [
        "Acme is down again",
        "We moved our whole team to Acme last spring and the onboarding was smoother than any tool we "
        "tried before; the reports are clear and support answers within the hour.",
    ],
    "de": [
        "Acme ist wieder kaputt",
        "Wir haben letztes Jahr das ganze Team auf Acme umgestellt, und die Einarbeitung war einfacher "
        "als bei jedem anderen Werkzeug; der Support antwortet innerhalb einer Stunde.",
    ],
    "fr": [
        "Acme ne marche plus",
        "Nous avons migré toute l’équipe vers Acme au printemps dernier et la prise en main a été plus "
        "simple qu’avec tous les outils essayés avant ; le support répond en une heure.",
    ],
    "es": [
        "Acme no funciona otra vez",
        "El año pasado pasamos todo el equipo a Acme y la incorporación fue más sencilla que con "
        "cualquier otra herramienta; el soporte responde en menos de una hora.",
    ],
    "pt": [
        "Acme caiu de novo hoje",
        "No ano passado mudamos toda a equipe para o Acme e a adaptação foi mais simples do que com "
        "qualquer outra ferramenta; o suporte responde em menos de uma hora.",
    ],
    "it": [
        "Acme non funziona di nuovo",
        "L’anno scorso abbiamo spostato tutto il gruppo su Acme e l’inserimento è stato più semplice "
        "che con qualsiasi altro strumento; l’assistenza risponde entro un’ora.",
    ],
    "nl": [
        "Acme doet het weer niet",
        "Vorig jaar hebben we het hele team naar Acme overgezet en de inwerkperiode was eenvoudiger dan "
        "met elk ander hulpmiddel; de ondersteuning antwoordt binnen een uur.",
    ],
    "ru": [
        "Acme снова не работает",
        "В прошлом году мы перевели всю команду на Acme, и освоение оказалось проще, чем с любым другим "
        "инструментом; поддержка отвечает в течение часа.",
    ],
    "ja": [
        "Acmeがまた落ちている",
        "昨年チーム全体をAcmeに移行しましたが、これまで試したどのツールよりも導入が簡単で、"
        "サポートは一時間以内に返信してくれます。",
    ],
}


@pytest.mark.parametrize("language", sorted(POSTS))
@pytest.mark.parametrize("length", ["short", "long"])
def test_lang_takes_only_entries_in_that_language(language: str, length: str) -> None:
    matcher = Matcher([(code, f"acme lang:{code}") for code in POSTS] + [("not-de", "acme -lang:de")])
    text = POSTS[language][length == "long"]
    hits = matcher.match(Document(title=text))
    expected = [language] + (["not-de"] if language != "de" else [])
    assert sorted(hit.query for hit in hits) == sorted(expected)
    assert {hit.language for hit in hits} == {language}


def test_the_declared_language_wins_and_a_region_is_within_its_language() -> None:
    matcher = Matcher([("de", "acme lang:de"), ("en", "acme lang:en"), ("gb", "acme lang:en-GB")])
    english = POSTS["en"][1]
    assert [h.query for h in matcher.match(Document(title=english, language="de"))] == ["de"]
    assert [h.query for h in matcher.match(Document(title=english, language="en-GB"))] == ["en", "gb"]
    assert [h.query for h in matcher.match(Document(title=english, language="en-US"))] == ["en"]


def test_an_entry_is_detected_only_for_a_query_about_to_accept_it() -> None:
    matcher = Matcher([("plain", "acme"), ("en", "widgets lang:en")])
    (hit,) = matcher.match(Document(title=POSTS["fr"][1]))  # "widgets" is not there: nobody asks
    assert (hit.query, hit.language) == ("plain", "")
    hits = matcher.match(Document(title="Acme widgets are great, and the team loves them"))
    assert [(h.query, h.language) for h in hits] == [("plain", "en"), ("en", "en")]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("lang:en", "lang: only narrows"),
        ("-lang:de", "a query needs a term that is not excluded"),
        ("acme OR lang:en", "lang: only narrows"),
        ("(lang:en -lang:de) OR acme", "lang: only narrows"),
        ("acme lang:english1", "lang: takes a language code like en, de or pt-BR"),
        ("acme lang:", "lang: needs a value"),
    ],
)
def test_a_query_that_lang_alone_could_match_is_refused(expr: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse_query(expr)


def test_lang_reads_back_as_written() -> None:
    node = parse_query("acme lang:PT_br -lang:de")
    assert format_query(node) == "acme lang:pt-BR -lang:de"
    assert parse_query(format_query(node)) == node


RSS_DE = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Blog</title><link>https://blog.example/</link>
<language>de-DE</language>
<item><title>Acme news</title><description>The Acme team shipped a release.</description>
<link>https://blog.example/1</link><guid>b1</guid></item>
</channel></rss>"""

ATOM_MIXED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr"><title>Forum</title><id>urn:f</id>
<updated>2026-11-20T10:00:00Z</updated>
<entry xml:lang="es"><title>Acme</title><id>urn:f:1</id><updated>2026-11-20T10:00:00Z</updated>
<link href="https://forum.example/1"/><summary>Short.</summary></entry>
<entry><title>Acme encore</title><id>urn:f:2</id><updated>2026-11-20T10:00:00Z</updated>
<link href="https://forum.example/2"/><summary>Texte.</summary></entry>
</feed>"""

UNDECLARED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Mixed</title><link>https://mixed.example/</link>
<item><title>{POSTS["en"][0]}</title><description>{POSTS["en"][1]}</description>
<link>https://mixed.example/en</link><guid>en</guid></item>
<item><title>{POSTS["de"][0]}</title><description>{POSTS["de"][1]}</description>
<link>https://mixed.example/de</link><guid>de</guid></item>
<item><title>{POSTS["it"][0]}</title><description>{POSTS["it"][1]}</description>
<link>https://mixed.example/it</link><guid>it</guid></item>
</channel></rss>"""


@pytest.fixture
def language_feeds(httpserver: HTTPServer, write_config) -> Path:
    sources = []
    for path, body in (("/de.rss", RSS_DE), ("/mixed.atom", ATOM_MIXED), ("/mixed.rss", UNDECLARED)):
        httpserver.expect_request(path).respond_with_data(body, content_type="application/xml")
        sources.append(
            {"name": path.strip("/").replace(".", "-"), "type": "feed", "url": httpserver.url_for(path)}
        )
    queries = {
        "german": "acme lang:de",
        "romance": "acme (lang:fr OR lang:es OR lang:it)",
        "no-de": "acme -lang:de",
    }
    return write_config(queries, sources)


def test_fetch_keeps_the_declared_or_detected_language_on_the_mention(cli: Cli, language_feeds: Path) -> None:
    found = cli.json("fetch", "--config", str(language_feeds), "--format", "json")
    by_url = {r["url"]: r["queries"] for r in found}
    assert by_url == {
        "https://blog.example/1": ["german"],  # declared by the channel, though the text is English
        "https://forum.example/1": ["romance", "no-de"],  # the entry's own xml:lang
        "https://forum.example/2": ["romance", "no-de"],  # the feed's xml:lang
        "https://mixed.example/en": ["no-de"],
        "https://mixed.example/de": ["german"],
        "https://mixed.example/it": ["romance", "no-de"],
    }
    languages = {}
    for record in found:
        shown = cli.json("show", record["id"], "--config", str(language_feeds), "--format", "json")
        languages[record["url"]] = shown["language"]
    assert languages == {
        "https://blog.example/1": "de-DE",
        "https://forum.example/1": "es",
        "https://forum.example/2": "fr",
        "https://mixed.example/en": "en",
        "https://mixed.example/de": "de",
        "https://mixed.example/it": "it",
    }
    text = cli("show", found[0]["id"], "--config", str(language_feeds))
    assert text.exit_code == 0 and "language:" in text.stdout


def test_test_query_points_at_a_lang_only_query(cli: Cli, language_feeds: Path) -> None:
    result = cli("test-query", "lang:en", "--config", str(language_feeds))
    assert result.exit_code == 2
    assert "lang: only narrows: a query needs a word, phrase, site: or tag: too" in result.stderr
    assert (
        json.loads(
            cli("test-query", "acme lang:de", "--config", str(language_feeds), "--format", "json").stdout
        )
        == []
    )


@pytest.mark.shared
def test_a_google_news_edition_declares_its_language() -> None:
    from mentionscan.sources.feedparse import parse_feed
    from mentionscan.sources.google_news import GoogleNewsSource
    from tests.conftest import fixture_bytes

    body = fixture_bytes("google_news/google_news_search_Chemnitz_de_2023_feeddeck.xml")
    parsed = parse_feed(
        body, {}, url="https://news.google.com/rss/search", source="g", adapt=GoogleNewsSource.adapt
    )
    assert parsed.entries and {e.language for e in parsed.entries} == {"de"}
