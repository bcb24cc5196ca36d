"""CSV in and out. Cells that a spreadsheet would run as a formula are neutralised on the
way out (OWASP CSV injection) and restored on the way back in, so exports round-trip."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(text: str) -> bool:
    # Quotes already in front count too, so that "'=x" goes out as "''=x" and comes back.
    return text.lstrip("'").startswith(_FORMULA_START)


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if _needs_quote(text) else text


def restore_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and _needs_quote(text) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file's text, formula cells neutralised; a byte-order mark first lets Excel open
    UTF-8 (accents, emoji) correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[object]], filename: str
) -> Response:
    return Response(
        csv_text(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def read_csv(data: bytes, header: Sequence[str]) -> Iterable[tuple[int, dict[str, str], list[str]]]:
    """(line number, row, cells past the last column) triples; a short row's missing cells
    are empty. Raises ValueError for a file that is not our CSV (encoding, first row, quotes)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The file is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames
        if fieldnames is None or [f.strip() for f in fieldnames] != list(header):
            raise ValueError("The first row must be: " + ",".join(header))
        for row in reader:
            extra = row.pop(None, None) or []
            yield (
                reader.line_num,
                {k.strip(): restore_cell((v or "").strip()) for k, v in row.items()},
                [str(cell) for cell in extra],
            )
    except csv.Error as error:  # e.g. an unclosed quote running into the field size limit
        raise ValueError(f"Line {reader.line_num}: not readable as CSV ({error}).") from None
