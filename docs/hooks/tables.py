"""MkDocs hook: tables a phone can show whole.

On a narrow screen each row of a table becomes a card, one cell per line, each cell labelled
with its column's header (the stylesheet shows `data-label` before the cell: see
docs/stylesheets/garauth.css). This adds the labels, and ARIA table roles so that screen
readers still read a table once the stylesheet changes how its parts are displayed, and
break points (<wbr>) after dots and slashes in code, so a host name wraps between its parts.
"""

from __future__ import annotations

import html
import re

_TABLE = re.compile(r"<table>(.*?)</table>", re.DOTALL)
_TH = re.compile(r"<th(\s[^>]*)?>(.*?)</th>", re.DOTALL)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.DOTALL)
_TD = re.compile(r"<td(\s[^>]*)?>")
_TAG = re.compile(r"<[^>]+>")
_CODE = re.compile(r"(<code>)(.*?)(</code>)", re.DOTALL)


def _break_points(code_html: str) -> str:
    """A line may break after a dot or a slash in code (it already may after a hyphen)."""
    return re.sub(r"([./])(?=[^<>]*(?:<|$))(?!$)", r"\1<wbr>", code_html)


def _label(cell_html: str) -> str:
    return html.escape(" ".join(html.unescape(_TAG.sub("", cell_html)).split()), quote=True)


def label(table_html: str) -> str:
    head, _, body = table_html.partition("</thead>")
    labels = [_label(text) for _, text in _TH.findall(head)]
    head = _TH.sub(lambda m: f'<th role="columnheader"{m[1] or ""}>{m[2]}</th>', head)
    head = head.replace("<thead>", '<thead role="rowgroup">').replace("<tr>", '<tr role="row">')

    def row(m: re.Match) -> str:
        cells = iter(labels)
        inner = _TD.sub(lambda c: f'<td role="cell" data-label="{next(cells, "")}"{c[1] or ""}>', m[1])
        return f'<tr role="row">{inner}</tr>'

    body = _ROW.sub(row, body).replace("<tbody>", '<tbody role="rowgroup">')
    body = _CODE.sub(lambda m: m[1] + _break_points(m[2]) + m[3], body)
    return f'<table role="table" data-stacking>{head}</thead>{body}</table>' if _ else table_html


def on_page_content(html_text, page, config, files):
    return _TABLE.sub(lambda m: label(m[1]), html_text)
