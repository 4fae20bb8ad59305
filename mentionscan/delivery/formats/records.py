"""`json`, `jsonl`, `csv`: the public record of each mention (`Mention.to_record`), for programs."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import TextIO

import orjson

from mentionscan.delivery.formats import Context
from mentionscan.models import RECORD_FIELDS, Mention

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else ";".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_json(mentions: Sequence[Mention], out: TextIO, context: Context | None = None) -> None:
    records = [m.to_record() for m in mentions]
    try:
        # The same text as json's indent=2 (records hold no floats, where the two differ), made
        # 30x faster: json's indented form is its pure-Python encoder.
        out.write(orjson.dumps(records, option=orjson.OPT_INDENT_2).decode("utf-8"))
    except orjson.JSONEncodeError:  # a lone surrogate, which orjson refuses: json's way, as before
        json.dump(records, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_jsonl(mentions: Sequence[Mention], out: TextIO, context: Context | None = None) -> None:
    for mention in mentions:
        out.write(json.dumps(mention.to_record(), ensure_ascii=False) + "\n")


def write_csv(mentions: Sequence[Mention], out: TextIO, context: Context | None = None) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RECORD_FIELDS)
    for mention in mentions:
        record = mention.to_record()
        writer.writerow([csv_cell(record[name]) for name in RECORD_FIELDS])
