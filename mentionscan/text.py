"""Turning text from strangers into safe plain text: no markup, no control characters."""

from __future__ import annotations

import html
import itertools
import re
import unicodedata

# Terminal escape sequences first (so their parameters go too), then any lone control
# character: C0 but tab and newline, DEL, C1, and the bidirectional overrides and isolates
# that can make displayed text read backwards.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clear screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, clipboard, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[@-_]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Characters that take no room and show nothing: they hide inside words, links and names, and
# shift every column after them. Tag characters (U+E0000 to U+E007F) run together.
_INVISIBLE = re.compile(
    "[\u180e\u200b\u200c\u200d\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb]|[\U000e0000-\U000e007f]+"
)
# Where a joiner carries meaning: ZWNJ and ZWJ between the letters of the scripts that shape
# with them (Arabic and Persian, Syriac, Thaana, the Indic scripts, Myanmar, Khmer; Arabic
# presentation forms), and ZWJ between emoji (👩‍💻: woman, ZWJ, laptop).
_JOINING_SCRIPTS = ((0x0600, 0x08FF), (0x0900, 0x0DFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0xFB50, 0xFEFC))
_EMOJI = ((0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x3299), (0xFE0F, 0xFE0F), (0x1F000, 0x1FAFF))
_BLACK_FLAG, _CANCEL_TAG = "\U0001f3f4", "\U000e007f"  # 🏴 + tags + cancel: a region's flag
# Only real tags: "5 < 6 and 7 > 3" in text is not markup.
_TAG = re.compile(r"<(?:/?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*|!--.*?--|![^>]*)>", re.DOTALL)
# Tags that separate words; any other tag (b, em, a, span) sits inside a word's run of text.
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption"}
    | {"figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li", "main"}
    | {"nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
)
# A tag (or comment) cut off at the end of a fragment that was shortened before we saw it:
# `…#golang <a href="https:` must not leak into a title.
_CUT_TAG = re.compile(r"<(?:/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?|!--(?:(?!-->).)*|![^<>]*)$", re.DOTALL)
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
_INVISIBLE_BLOCK = re.compile(r"<(script|style|template|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def clean(value: object) -> str:
    """Any value as a string with escape sequences, control and invisible characters removed.

    Joiners stay where they shape a script or an emoji; a region flag's tag characters stay.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) > 64 and text.isascii():
        # isprintable looks each character up in Unicode's tables: over a post's text, asking
        # whether its bytes are all 0x20 to 0x7e is three times faster, and the same answer
        if not text.encode("ascii").translate(None, _PRINTABLE_ASCII):
            return text
    elif text.isprintable():
        return text
    return _INVISIBLE.sub(_visible_or_meant, _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text)))


def _visible_or_meant(match: re.Match[str]) -> str:
    """ "" for an invisible character, unless it belongs where it is (a joiner, a flag's tags)."""
    found, text, start, end = match.group(), match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if (
        found in ("\u200c", "\u200d")
        and _within(before, _JOINING_SCRIPTS)
        and _within(after, _JOINING_SCRIPTS)
    ):
        return found
    if found == "\u200d" and _within(before, _EMOJI) and _within(after, _EMOJI):
        return found
    if before == _BLACK_FLAG and found.endswith(_CANCEL_TAG) and len(found) > 1:
        return found
    return ""


def _within(char: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    return bool(char) and any(low <= ord(char) <= high for low, high in ranges)


def one_line(value: object) -> str:
    """`clean`, with every run of white space (newlines included) folded to one space."""
    return _one_spaced(clean(value))


def _one_spaced(text: str) -> str:
    """`text` (clean: its only ASCII white space is spaces, tabs and newlines) with every run of
    white space one space, and none at either end."""
    if text.isascii() and "\t" not in text and "\n" not in text:
        # Only spaces: their runs fold at C speed (str.split would make an object of each word)
        if "  " in text:
            text = text.replace("  ", " ")
            while "  " in text:
                text = text.replace("  ", " ")
        return text.strip(" ")
    return " ".join(text.split())  # str.split and re's \s agree on white space; split is 10x faster


def html_to_text(value: object) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, white space folded.

    Entities are decoded twice where a feed escaped them twice (Reddit does: `&amp;#39;`).
    """
    text = clean(value)
    if "<" in text:
        text = _without_tags(_INVISIBLE_BLOCK.sub(" ", _without_cut_end(text.rstrip())))
    if "&" in text:
        text = html.unescape(text)
        if "&" in text and re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", text):
            text = html.unescape(text)
        text = clean(text)  # entities may have spelled out control characters
        if "<" in text:  # markup escaped once more than it should be: cut off the same way
            text = _without_cut_end(text.rstrip())
    return _one_spaced(text)


def _without_cut_end(text: str) -> str:
    """`text` less a tag or comment cut off at its end (`_CUT_TAG`)."""
    # Such a tag is the last "<" with no ">" after it, unless it is a comment: most HTML ends
    # with a whole tag, and this says so without trying the pattern at each "<"
    if "<!--" in text or text.rfind("<") > text.rfind(">"):
        return _CUT_TAG.sub("", text)
    return text


# In plain text only a tag with an attribute counts: "a<b" is text, `<a href="https:` is not.
_CUT_TAG_IN_TEXT = re.compile(r"\s*<[a-zA-Z][a-zA-Z0-9-]*\s+[a-zA-Z-]+\s*=[^<>]*$")


def without_cut_tag(text: str) -> str:
    """Plain text less a start tag cut off at its end (a publisher shortened the HTML, then escaped it)."""
    return _CUT_TAG_IN_TEXT.sub("", text) if "<" in text else text


def _without_tags(text: str) -> str:
    """`text` with each tag a space where it separates words (a block, a comment), else nothing."""
    # re.split leaves each tag's name (None for a comment) between the texts: no call per tag
    parts = _TAG.split(text)
    parts[1::2] = [" " if not name or name.lower() in _BLOCK_TAGS else "" for name in parts[1::2]]
    return "".join(parts)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word where one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.7:
        cut = cut[:space]
    return cut.rstrip() + "…"


def snippet(text: str, start: int = 0, end: int = 0, width: int = 240) -> str:
    """About `width` characters of `text` around `text[start:end]`, cut at words."""
    text = one_line(text) if ("\n" in text or "  " in text) else text
    if len(text) <= width:
        return text
    middle = (start + end) // 2 if end > start else 0
    left = max(0, min(middle - width // 2, len(text) - width))
    right = left + width
    if left > 0:
        space = text.find(" ", left, left + 30)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", right - 30, right)
        right = space if space != -1 else right
    return ("…" if left > 0 else "") + text[left:right].strip() + ("…" if right < len(text) else "")


# What `fold` removes or unifies before decomposing: characters that are invisible inside a
# word (soft hyphen, zero-width space and joiners, word joiner, BOM, variation selectors) and the
# typographic apostrophes, which are the ASCII one ("Acme’s" is "acme's").
_IN_WORD = "\u00ad\u034f\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
_FOLD_FIRST = str.maketrans(
    {**{c: None for c in _IN_WORD}, **{chr(c): None for c in range(0xFE00, 0xFE10)}}
    | {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\uff07": "'"}
)


def fold(text: str) -> str:
    """Compatibility-decompose, casefold and drop combining marks: 'Ácme ﬁx Straße 𝐀𝐜𝐦𝐞' -> 'acme fix
    strasse acme'; invisible characters go and typographic apostrophes become "'".

    It works character by character (the fold of a text is the folds of its characters, joined),
    which the matcher relies on to fold only the non-ASCII runs of a text.
    """
    if text.isascii():
        return text.lower()
    # NFKD first: mathematical letters (𝐀) have no lower case of their own, their decompositions do
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_FIRST))
    decomposed = unicodedata.normalize("NFKD", decomposed.casefold())
    if decomposed.isascii():
        return decomposed
    return "".join(itertools.filterfalse(unicodedata.combining, decomposed))
