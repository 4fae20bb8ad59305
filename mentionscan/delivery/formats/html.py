"""`html`: one standalone page; a Content-Security-Policy forbids scripts and remote loads."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TextIO

from mentionscan.delivery.formats import Context
from mentionscan.models import Mention
from mentionscan.text import one_line
from mentionscan.timeutil import to_iso, utcnow
from mentionscan.urls import safe_link

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}article{border-top:1px solid #ddd;padding:.8rem 0}
h2{font-size:1.05rem;margin:0 0 .2rem}a{color:#0645ad}.meta{color:#666;font-size:.85rem}
.status{display:inline-block;padding:0 .4rem;border-radius:.3rem;background:#eef;color:#224}
blockquote{margin:.4rem 0 0;padding-left:.8rem;border-left:3px solid #ddd;color:#444}
"""


def write(mentions: Sequence[Mention], out: TextIO, context: Context) -> None:
    """One standalone page; a Content-Security-Policy forbids scripts and remote loads besides."""
    e = html.escape
    out.write(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Mentions ({len(mentions)})</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>Mentions ({len(mentions)})</h1>\n"
        f'<p class="meta">Exported {e(to_iso(context.now or utcnow()) or "")} by mentionscan.</p>\n'
    )
    for mention in mentions:
        link = safe_link(mention.url)
        title = e(one_line(mention.title) or "(no title)")
        if link:
            title = f'<a href="{e(link)}" rel="noopener noreferrer nofollow">{title}</a>'
        when = to_iso(mention.published or mention.found_at)
        meta = [
            f'<span class="status">{e(mention.status)}</span>',
            e(mention.source),
            e(", ".join(mention.queries)),
            f'<time datetime="{when}">{when}</time>',
        ]
        if mention.author:
            meta.append("by " + e(one_line(mention.author)))
        meta.append(f"<code>{e(mention.id)}</code>")
        out.write(f'<article>\n<h2>{title}</h2>\n<div class="meta">{" · ".join(meta)}</div>\n')
        if mention.snippet:
            out.write(f"<blockquote>{e(one_line(mention.snippet))}</blockquote>\n")
        out.write("</article>\n")
    out.write("</body>\n</html>\n")
