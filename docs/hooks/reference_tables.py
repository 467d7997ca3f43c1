"""MkDocs hook: render reference tables from src/garauth/data, so no page holds a hand-copied fact.

A page asks for a table with a marker line on its own, e.g. `<!-- garauth:hosts-table -->`.
"""

from __future__ import annotations

from garauth import data

MARKERS = {}


def _marker(name):
    def register(fn):
        MARKERS[f"<!-- garauth:{name} -->"] = fn
        return fn

    return register


@_marker("hosts-table")
def hosts_table() -> str:
    rows = [
        "| Location | Group | Docker host | REP host |",
        "| --- | --- | --- | --- |",
    ]
    for loc in data.locations():
        rep = f"`{loc.rep_host}`" if loc.rep_host else "none"
        note = " (listed by gcloud only)" if loc.listed_by == ("gcloud",) else ""
        rows.append(f"| `{loc.name}`{note} | {loc.group} | `{loc.host}` | {rep} |")
    return "\n".join(rows)


@_marker("gcr-table")
def gcr_table() -> str:
    rows = [
        "| gcr.io host | Artifact Registry location | Repository name |",
        "| --- | --- | --- |",
    ]
    for gcr in data.gcr_hosts():
        rows.append(f"| `{gcr.host}` | `{gcr.location}` | `{gcr.repository}` |")
    return "\n".join(rows)


@_marker("location-count")
def location_count() -> str:
    return str(len(data.locations()))


def on_page_markdown(markdown, page, config, files):
    for marker, render in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, render())
    return markdown
