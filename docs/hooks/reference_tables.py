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


@_marker("usernames-table")
def usernames_table() -> str:
    words = {
        "key": "the JSON key file, exactly as downloaded",
        "key_base64": "the base64 of the whole key file, on one line",
        "token": "an OAuth 2.0 access token (an hour by default)",
    }
    rows = ["| Username | Password | Documented by Google | Source |", "| --- | --- | --- | --- |"]
    for u in data.usernames():
        documented = "yes" if u.documented else "no: sent by a Google tool"
        rows.append(f"| `{u.name}` | {words[u.password]} | {documented} | [source]({u.source}) |")
    return "\n".join(rows)


@_marker("rules-table")
def rules_table() -> str:
    from garauth.rules import rules

    rows = ["| Rule | Name | Severity | What it flags |", "| --- | --- | --- | --- |"]
    for rule in rules().values():
        rows.append(f"| [{rule.id}]({rule.id}.md) | {rule.name} | {rule.severity.value} | {rule.summary} |")
    return "\n".join(rows)


@_marker("limits-table")
def limits_table() -> str:
    limits = data.limits()
    rows = ["| Limit | garauth reads up to |", "| --- | --- |"]
    for key, words in limits["describe"].items():
        section, name = key.split(".")
        rows.append(f"| {words} | {limits[section][name]:,} |")
    return "\n".join(rows)


@_marker("location-count")
def location_count() -> str:
    return str(len(data.locations()))


def on_page_markdown(markdown, page, config, files):
    for marker, render in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, render())
    return markdown
