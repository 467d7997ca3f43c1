"""The one YAML loader: YAML 1.2 through ruamel.yaml, keeping line and column of every node.

PyYAML (YAML 1.1) reads a GitHub workflow's `on:` as True, so it is not used anywhere. A file
that does not parse raises UserError naming the file, line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from garauth.errors import UserError


def load(path: str | Path, text: str | None = None) -> Any:
    """Load one YAML document, keeping positions (see `position`)."""
    path = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise UserError(f"cannot read the file: {err.strerror}. Check the path.", file=path) from None
        except UnicodeDecodeError:
            raise UserError("the file is not UTF-8 text", file=path) from None
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        what = err.problem or err.context or "invalid YAML"
        if " with value " in what:
            # ruamel's duplicate-key message quotes both values, which may be secrets.
            what = what.split(" with value ", 1)[0]
        start = err.context_mark
        if err.problem and err.context and start and mark and start.line != mark.line:
            what += f" ({err.context} that starts at line {start.line + 1}, column {start.column + 1})"
        raise UserError(
            f"this is not valid YAML: {what}. Fix the YAML syntax at that position.",
            file=path,
            line=line,
            column=column,
        ) from None
    except YAMLError as err:  # no position; its text may quote the document, so name its kind only
        raise UserError(f"this is not valid YAML ({type(err).__name__})", file=path) from None


def position(node: Any, key: str | int | None = None) -> tuple[int, int]:
    """1-based (line, column) of `node[key]` (or of `node` itself when key is None)."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return (1, 1)
    try:
        if key is None:
            line, col = lc.line, lc.col
        elif isinstance(node, CommentedMap):
            line, col = (
                lc.value(key) if not isinstance(node.get(key), (CommentedMap, CommentedSeq)) else lc.key(key)
            )
        elif isinstance(node, CommentedSeq):
            line, col = lc.item(key)
        else:
            line, col = lc.line, lc.col
    except (KeyError, IndexError, TypeError):
        line, col = lc.line, lc.col
    return (line + 1, col + 1)


def position_of_path(root: Any, path: list[str | int]) -> tuple[int, int]:
    """Position of the node at a JSON path (as jsonschema reports it), or of its nearest parent."""
    node, where = root, position(root)
    for part in path:
        try:
            child = node[part]
        except (KeyError, IndexError, TypeError):
            break
        where = position(node, part)
        node = child
    return where
