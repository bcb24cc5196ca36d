"""Charts as inline SVG markup, drawn on the server: no chart library, no script.

Accessible by construction: ``role="img"`` named by the chart's ``<title>`` and described by its
``<desc>``; the page shows the same numbers in a table beside the chart. Only presentation
attributes (``fill=``, ``font-size=``) are used: the CSP allows no ``style=``. Every piece of
text goes through ``escape`` before it joins the markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from markupsafe import Markup, escape

BAR = "#0b5394"
INK = "#1b1f24"
AXIS = "#6b7785"
WIDTH = 640
MAX_LABEL = 60
_ID = re.compile(r"^[a-z][a-z0-9-]*$")


class Datum(NamedTuple):
    label: str
    value: float
    text: str  # the value as the table shows it


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> list[str]:
    if not _ID.match(chart_id):
        raise ValueError(f"not a chart id: {chart_id!r}")
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}"'
        f' role="img" aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _scale(data: Sequence[Datum], length: float) -> float:
    top = max((d.value for d in data), default=0)
    return length / top if top > 0 else 0


def bar_chart(chart_id: str, title: str, description: str, data: Sequence[Datum]) -> Markup:
    """Horizontal bars, one per row: the label above its bar, the value at the bar's end."""
    row = 46
    height = max(row * len(data), row) + 8
    parts = _open(chart_id, WIDTH, height, title, description)
    scale = _scale(data, WIDTH - 100)
    for i, d in enumerate(data):
        y = 4 + i * row
        length = round(d.value * scale, 1)
        parts += [
            f'<text x="0" y="{y + 14}" font-size="14" fill="{INK}">'
            f"{escape(_short(d.label))}</text>",
            f'<rect x="0" y="{y + 20}" width="{length}" height="18" fill="{BAR}"/>',
            f'<text x="{length + 6}" y="{y + 34}" font-size="14" font-weight="600" '
            f'fill="{INK}" class="value">{escape(d.text)}</text>',
        ]
    parts.append(f'<line x1="0" y1="4" x2="0" y2="{height - 4}" stroke="{AXIS}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above went through escape)


def column_chart(chart_id: str, title: str, description: str, data: Sequence[Datum]) -> Markup:
    """Vertical columns, one per period left to right: the value on top, the period below."""
    step, plot_top, plot_bottom = 64, 24, 190
    width = max(WIDTH, step * len(data) + 16)
    height = plot_bottom + 30
    parts = _open(chart_id, width, height, title, description)
    scale = _scale(data, plot_bottom - plot_top)
    for i, d in enumerate(data):
        x = 16 + i * step
        length = round(d.value * scale, 1)
        middle = x + 22
        parts += [
            f'<rect x="{x}" y="{plot_bottom - length}" width="44" height="{length}" fill="{BAR}"/>',
            f'<text x="{middle}" y="{plot_bottom - length - 6}" font-size="14" font-weight="600" '
            f'text-anchor="middle" fill="{INK}" class="value">{escape(d.text)}</text>',
            f'<text x="{middle}" y="{plot_bottom + 20}" font-size="13" text-anchor="middle" '
            f'fill="{INK}">{escape(_short(d.label))}</text>',
        ]
    parts.append(
        f'<line x1="8" y1="{plot_bottom}" x2="{width - 8}" y2="{plot_bottom}" stroke="{AXIS}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704
