import re
import sys

import pytest

from mentionscan.text import clean, html_to_text, one_line, snippet, truncate

HOSTILE = [
    ("Hello \x1b[2J\x1b]0;pwned\x07 world", "Hello  world"),
    ("clip \x1b]52;c;ZXZpbA==\x07board", "clip board"),
    ("c1 \x9b31mred", "c1 red"),
    ("bidi \u202eevil\u202c text", "bidi evil text"),
    ("isolate \u2066x\u2069", "isolate x"),
    ("nul\x00 and del\x7f", "nul and del"),
    ("tab\tand\nnewline", "tab\tand\nnewline"),
]


@pytest.mark.parametrize(("raw", "expected"), HOSTILE)
def test_clean_removes_control_and_bidi_characters(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_html_to_text_drops_markup_and_decodes_entities() -> None:
    assert html_to_text("<p>AT&amp;T <b>rocks</b></p><script>alert(1)</script>") == "AT&T rocks"
    assert html_to_text("Reddit&amp;#39;s double escaping") == "Reddit's double escaping"
    assert html_to_text("&lt;script&gt; shown as text") == "<script> shown as text"
    assert html_to_text("entity-spelled escape &#27;[2J gone") == "entity-spelled escape [2J gone"


def test_one_line_and_truncate() -> None:
    assert one_line("a\r\nBcc: x@y\n  b") == "a Bcc: x@y b"
    assert truncate("word " * 100, 50).endswith("…")
    assert len(truncate("word " * 100, 50)) <= 50


def test_snippet_is_centred_on_the_match() -> None:
    text = "filler " * 100 + "the acme moment " + "tail " * 100
    start = text.index("acme")
    cut = snippet(text, start, start + 4)
    assert "acme" in cut
    assert len(cut) <= 242
    assert cut.startswith("…") and cut.endswith("…")


# Every code point Python's `re` calls white space (\s): one_line folds with str.split, which must agree.
WHITE = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.fullmatch(r"\s", c))


def test_every_kind_of_white_space_folds_to_one_space() -> None:
    assert len(WHITE) > 20  # tabs, newlines, NBSP, the Unicode spaces, the line and paragraph separators
    assert all(c.isspace() for c in WHITE)
    text = f"{WHITE}Acme{WHITE}widgets{WHITE}"

    assert one_line(text) == "Acme widgets"
    assert html_to_text(f"<p>{text}</p>") == "Acme widgets"


def test_what_only_looks_like_white_space_stays() -> None:
    assert one_line("Acme\u200bwidgets") == "Acmewidgets"  # a zero-width space is invisible: dropped
    assert one_line("Acme\u2800widgets") == "Acme\u2800widgets"  # braille blank
    assert one_line("Acme\u3164widgets") == "Acme\u3164widgets"  # Hangul filler
