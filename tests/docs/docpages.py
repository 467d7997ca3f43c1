"""Read the guide's Markdown the way the tests need it: fenced blocks and snippet includes.

Used by the docs tests only. A fence is ``` or ~~~ (three or more), possibly indented (inside
tabs and admonitions); an include is a `--8<-- "path[:section]"` line inside one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_INCLUDE = re.compile(r'^\s*-{2}8<-{2}\s+"(?P<target>[^"]+)"\s*$')


@dataclass(frozen=True)
class Fence:
    page: Path
    line: int  # 1-based line of the opening fence
    info: str  # everything after the fence characters, e.g. 'yaml title="x.yml"'
    body: tuple[str, ...]

    @property
    def language(self) -> str:
        return self.info.split()[0].strip("{}.").lower() if self.info.strip() else ""

    @property
    def includes(self) -> list[str]:
        return [m["target"] for line in self.body if (m := _INCLUDE.match(line))]

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if not {"hooks", "includes"} & set(p.parts))


def fences(page: Path) -> list[Fence]:
    out = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start = m["fence"], i
        body = []
        i += 1
        while i < len(lines) and not re.match(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        out.append(Fence(page, start + 1, m["info"].strip(), tuple(body)))
        i += 1
    return out


def split_target(target: str) -> tuple[str, str | None]:
    """'circleci/x.yml:docker' -> ('circleci/x.yml', 'docker'); no section -> None."""
    path, _, section = target.partition(":")
    return path, section or None


def sections(example: Path) -> set[str]:
    text = example.read_text(encoding="utf-8")
    return set(re.findall(r"--8<-- \[start:([a-z][-_0-9a-z]*)\]", text))
