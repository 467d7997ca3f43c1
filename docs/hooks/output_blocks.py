"""MkDocs hook: mark program output so the stylesheet can wrap it.

Program output (a client's error, a `garauth` report, a `--help` text) is stored as a .txt file
under examples/ and included in a `text` fence, or marked with a title starting "Output". Its
reason is usually at the end of a long line, so output blocks wrap instead of scrolling
sideways (docs/stylesheets/garauth.css, `.output`). Config and shell blocks keep their lines
as they are: a wrapped command would read as two.
"""

from __future__ import annotations

import re

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[A-Za-z0-9_+-]+)(?P<rest>[ \t][^\n]*)?$"
)
_INCLUDE = re.compile(r'^\s*-{2}8<-{2}\s+"(?P<path>[^":]+)(?::[^"]*)?"\s*$')


def _is_output(rest: str, body: list[str]) -> bool:
    if 'title="Output' in rest:
        return True
    return any((m := _INCLUDE.match(line)) and m["path"].endswith(".txt") for line in body)


CONFIG = ("yaml", "yml", "sh", "bash", "shell", "json")


def _is_help(body: list[str]) -> bool:
    """--help texts, and registry answers (their message is also in the client's output above
    them), stay out of the search index."""
    return any(
        (m := _INCLUDE.match(line)) and m["path"].endswith((".help.txt", ".registry.txt")) for line in body
    )


def mark(markdown: str) -> str:
    lines = markdown.split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        close = re.compile(rf"^\s*{re.escape(m['fence'][0])}{{{len(m['fence'])},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        body = lines[i + 1 : j]
        rest = (m["rest"] or "").strip()
        if _is_output(rest, body):
            skip = ' data-search-exclude=""' if _is_help(body) else ""
            out.append(f"{m['indent']}{m['fence']} {{ .{m['lang']} .output {rest}{skip} }}")
        elif m["lang"] in CONFIG:
            out.append(f'{m["indent"]}{m["fence"]} {{ .{m["lang"]} {rest} data-search-exclude="" }}')
        else:
            out.append(lines[i])
        out += lines[i + 1 : j + 1]
        i = j + 1
    return "\n".join(out)


def on_page_markdown(markdown, page, config, files):
    return mark(markdown)
