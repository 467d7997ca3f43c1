"""MkDocs hook: render reference tables from src/garauth/data and from the fake's records, so no
page holds a hand-copied fact.

A page asks for a table with a marker line on its own, e.g. `<!-- garauth:hosts-table -->`. The
fake's fidelity tables come from garauth.fake.fidelity, its error table from garauth.fake.errors.
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


@_marker("formats-table")
def formats_table() -> str:
    from garauth.readers import config_readers, keyfile, text_readers

    rows = ["| Format | garauth reads |", "| --- | --- |"]
    for reader in [*config_readers(), *text_readers(), keyfile]:
        doc = " ".join((reader.__doc__ or "").strip().split("\n\n")[0].split())
        rows.append(f"| `{reader.NAME}` | {doc} |")
    return "\n".join(rows)


@_marker("location-count")
def location_count() -> str:
    return str(len(data.locations()))


def _tests_cell(tests: tuple[str, ...]) -> str:
    """`a.py::x`, `::y`, `b.py::z`: a file is named once for the tests that follow it."""
    out, previous = [], None
    for ref in tests:
        file, _, name = ref.partition("::")
        out.append(f"`{ref}`" if file != previous else f"`::{name}`")
        previous = file
    return ", ".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@_marker("fidelity-tables")
def fidelity_tables() -> str:
    from garauth.fake import fidelity

    parts = []
    for section in fidelity.SECTIONS:
        parts += [
            f"### {section.title}",
            "",
            f"| Behaviour | {section.google_header} | The fake | Shown by |",
            "|---|---|---|---|",
        ]
        for row in section.rows:
            shown = _tests_cell(row.tests) or row.shown_by or "—"
            parts.append(f"| {row.behaviour} | {row.google} | {row.fake} | {shown} |")
        parts.append("")
    return "\n".join(parts)


@_marker("fake-errors")
def fake_errors() -> str:
    from garauth.fake import errors

    titles = {
        errors.REGISTRY: 'Docker registry API (`{"errors":[{"code","message"}]}`)',
        errors.OAUTH: 'OAuth 2.0 token endpoint and STS (`{"error","error_description"}`)',
        errors.GOOGLE_API: 'IAM credentials (`{"error":{"code","message","status"}}`)',
    }
    parts = []
    for service, title in titles.items():
        parts += [
            f"#### {title}",
            "",
            "| Status | Code | Message | When | Source | Shown by |",
            "|---|---|---|---|---|---|",
        ]
        for err in errors.ALL.values():
            if err.service != service:
                continue
            source = err.source if err.confirmed else f"{err.source}: **UNCONFIRMED**"
            parts.append(
                f"| {err.status} | `{err.code}` | `{_cell(err.message)}` | {_cell(err.when)} | {_cell(source)} | "
                f"{_tests_cell(err.tests) or '—'} |"
            )
        parts.append("")
    return "\n".join(parts)


def on_page_markdown(markdown, page, config, files):
    for marker, render in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, render())
    return markdown
