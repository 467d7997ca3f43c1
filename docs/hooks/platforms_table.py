"""MkDocs hook: the platform comparison table, rendered from src/garauth/data/platforms.toml.

A page asks for it with the line `<!-- garauth:platforms-table -->`. A fact not established yet
shows as "to be filled", naming who completes the row.
"""

from __future__ import annotations

from garauth import data

MARKER = "<!-- garauth:platforms-table -->"
ANSWERS = {"yes": "**Yes.**", "no": "**No.**", "step": "**No job image; in a step, yes.**", "": ""}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fact(fact: data.PlatformFact, platform: data.Platform, lead: str = "") -> str:
    if not fact.known:
        who = platform.filled_by or "its helper"
        return f"*To be filled by {_cell(who)}.*"
    return _cell(f"{lead} {fact.text} ([source]({fact.source}))".strip())


def _usernames(platform: data.Platform) -> str:
    fact = platform.usernames
    if not fact.known:
        return _fact(fact, platform)
    names = ", ".join(f"`{n}`" for n in fact.names)
    return _cell(f"{names}: {fact.text} ([source]({fact.source}))")


def _links(platform: data.Platform) -> str:
    parts = []
    if platform.docs:
        parts.append(f"[docs]({platform.docs})")
    if platform.guide:
        parts.append(f"[this guide](../{platform.guide})")
    return "; ".join(parts) or f"*To be filled by {_cell(platform.filled_by or 'its helper')}.*"


def platforms_table() -> str:
    rows = [
        "| Platform | Job image without a stored key | Where the credential lives | Username forms | Docs |",
        "| --- | --- | --- | --- | --- |",
    ]
    for p in data.platforms():
        rows.append(
            f"| **{_cell(p.name)}** | {_fact(p.job_image, p, ANSWERS[p.job_image.answer])} | "
            f"{_fact(p.credential, p)} | {_usernames(p)} | {_links(p)} |"
        )
    return "\n".join(rows)


def on_page_markdown(markdown, page, config, files):
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, platforms_table())
    return markdown
