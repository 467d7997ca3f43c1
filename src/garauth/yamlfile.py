"""The one YAML loader: YAML 1.2 values with the line and column of every node, within limits.

libyaml turns the text into events (through PyYAML's C binding, `yaml.cyaml.CParser`: only its
parser is used, never its YAML 1.1 loader); this module builds the values itself, under YAML
1.2's core schema, so that:

- `on:` stays the string "on" (YAML 1.1 loaders, PyYAML among them, make it True);
- every mapping and sequence remembers where each of its entries was written (`position`);
- the limits in `garauth.data.limits()` hold while the document is read: its size in bytes,
  its longest line, its nesting depth, and the number of values it holds once aliases are
  expanded (an alias bomb of a few hundred bytes stops here, not in the schema check);
- a file that cannot be used raises UserError naming the file, line and column, in words that
  never repeat a value from the file.

Values are dicts (`YamlMap`), lists (`YamlSeq`), str, int, float, bool and None. An alias is
the same object as its anchor (never a copy). Merge keys (`<<: *base`) are applied as CircleCI
and GitLab read them. The core schema's tags (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
`!!map`, `!!seq`) are applied. A local tag (`!name`, such as GitLab's `!reference`) is not applied: the
node is read as if untagged; on a mapping or a sequence the tag stays as `.tag`, for a reader
whose platform defines it, and on a scalar it is dropped (the text is kept as a string: a str
subclass would not pass the schema validator). Any other tag is refused with its position.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from yaml import events as ev
from yaml.cyaml import CParser
from yaml.error import MarkedYAMLError, YAMLError

from garauth import boundary, data
from garauth.boundary import Safe, fmt, own
from garauth.errors import UserError

CORE = "tag:yaml.org,2002:"


class YamlMap(dict):
    """A mapping that remembers where it, its keys and its values were written (1-based)."""

    __slots__ = ("pos", "where", "tag")

    def __init__(self, pos: tuple[int, int], tag: str | None = None) -> None:
        self.pos = pos
        self.tag = tag  # a local tag written on it (`!name`), else None
        self.where: dict[Any, tuple[int, int, int, int]] = {}  # key -> key line, column, value line, column

    def key_pos(self, key: Any) -> tuple[int, int]:
        return self.where[key][:2]

    def value_pos(self, key: Any) -> tuple[int, int]:
        return self.where[key][2:]


class YamlSeq(list):
    """A sequence that remembers where it and each item were written (1-based)."""

    __slots__ = ("pos", "item_pos", "tag")

    def __init__(self, pos: tuple[int, int], tag: str | None = None) -> None:
        self.pos = pos
        self.item_pos: list[tuple[int, int]] = []
        self.tag = tag  # a local tag written on it (`!name`), else None


def _local(tag: str) -> bool:
    """A local tag (`!name`), which a platform may define; `!!name` arrives expanded to CORE."""
    return tag.startswith("!") and len(tag) > 1


# -- reading the text ------------------------------------------------------------------------------


def read_text(path: str | Path, limit: int, what: str = "file") -> str:
    """A file's text, read no further than `limit` bytes (so /dev/zero cannot fill memory)."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except IsADirectoryError:
        raise UserError(own("is a directory, not a file"), file=name) from None
    except OSError as err:
        raise UserError(
            fmt("cannot read the file: {}. Check the path.", own(err.strerror or "error")), file=name
        ) from None
    if len(raw) > limit:
        raise UserError(
            fmt(
                "the {} is larger than {} bytes, garauth's limit for it (see `garauth check --help`).",
                own(what),
                boundary.number(limit),
            ),
            file=name,
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise UserError(own("the file is not UTF-8 text."), file=name, line=line) from None


def _check_lines(text: str, path: str, max_line: int) -> None:
    if len(text) <= max_line:
        return
    for number, line in enumerate(text.split("\n"), 1):
        if len(line) > max_line:
            raise UserError(
                fmt(
                    "line {} is {} characters long; garauth reads lines of up to {} characters.",
                    boundary.number(number),
                    boundary.number(len(line)),
                    boundary.number(max_line),
                ),
                file=path,
                line=number,
            )


def load(path: str | Path, text: str | None = None) -> Any:
    """Load the one YAML document of a file (None when the file holds none)."""
    docs = load_all(path, text)
    if len(docs) > 1:
        raise UserError(
            own("the file holds more than one YAML document (---); this format has one."), file=str(path)
        )
    return docs[0] if docs else None


def load_all(path: str | Path, text: str | None = None) -> list[Any]:
    """Load every YAML document of a file (Kubernetes manifests hold several)."""
    path = str(path)
    limits = data.limits()["yaml"]
    if text is None:
        text = read_text(path, limits["max_bytes"])
    elif len(text) > limits["max_bytes"]:
        raise UserError(
            fmt("the file is larger than {} bytes, garauth's limit.", boundary.number(limits["max_bytes"])),
            file=path,
        )
    _check_lines(text, path, limits["max_line_length"])
    return _Builder(path, limits).build(text)


# -- building values from events -----------------------------------------------------------------------

_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_MAX_DIGITS = 4000
# A plain scalar starting with none of these characters resolves to a string under the core schema.
_PLAIN_STRING_FIRST = frozenset(
    "abcdeghijklmopqrsuvwxyzABCDEGHIJKLMOPQRSUVWXYZ_/$<>\"'!@#%^&*()[]{}|;:,?=`"
)  # Python refuses to turn more than 4,300 digits into an int


class _Frame:
    __slots__ = ("node", "pending_key", "key_pos", "anchor", "size", "merges")

    def __init__(self, node: Any, anchor: str | None) -> None:
        self.node = node
        self.pending_key: Any = _NO_KEY
        self.key_pos: tuple[int, int] = (0, 0)
        self.anchor = anchor
        self.size = 1
        self.merges: list[tuple[Any, tuple[int, int]]] = []


_NO_KEY = object()
_MERGE = object()


class _Builder:
    def __init__(self, path: str, limits: dict) -> None:
        self.path = path
        self.max_depth = limits["max_depth"]
        self.max_values = limits["max_values"]
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.total = 0

    def fail(self, message: Safe, pos: tuple[int, int] | None = None) -> UserError:
        line, col = pos or (None, None)
        return UserError(message, file=self.path, line=line, column=col)

    def build(self, text: str) -> list[Any]:
        parser = CParser(text)
        docs: list[Any] = []
        try:
            self._events(parser, docs)
        except MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            pos = (mark.line + 1, mark.column + 1) if mark else None
            if (err.problem or "").startswith("exceeded maximum nesting depth"):  # libyaml's own limit
                raise self.fail(
                    fmt(
                        "the document is nested more than {} levels deep, garauth's limit.",
                        boundary.number(self.max_depth),
                    ),
                    pos,
                ) from None
            what = _yaml_problem(err.problem or err.context)
            raise self.fail(
                fmt("this is not valid YAML: {}. Fix the YAML syntax at that position.", what), pos
            ) from None
        except YAMLError as err:
            raise self.fail(fmt("this is not valid YAML ({}).", own(type(err).__name__))) from None
        finally:
            parser.dispose()
        return docs

    def _events(self, parser: CParser, docs: list[Any]) -> None:
        # One loop with the common cases written out: a 5 MB file is about half a million events.
        stack: list[_Frame] = []
        root: list[Any] = []
        get = parser.get_event
        scalar_event, alias_event = ev.ScalarEvent, ev.AliasEvent
        map_start, seq_start = ev.MappingStartEvent, ev.SequenceStartEvent
        map_end, seq_end = ev.MappingEndEvent, ev.SequenceEndEvent
        plain_first = _PLAIN_STRING_FIRST
        max_values = self.max_values
        no_key = _NO_KEY
        while True:
            event = get()
            kind = type(event)
            if kind is scalar_event:
                mark = event.start_mark
                pos = (mark.line + 1, mark.column + 1)
                text = event.value
                if event.tag is None and not event.style and text[:1] in plain_first:
                    value: Any = text  # a plain scalar that can only be a string
                else:
                    value = self._scalar(event, pos)
                self.total += 1
                if self.total > max_values:
                    self._count(0, pos)
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                size = 1
            elif kind is map_start or kind is seq_start:
                mark = event.start_mark
                pos = (mark.line + 1, mark.column + 1)
                self._start(stack, kind is map_start, event, pos)
                continue
            elif kind is map_end or kind is seq_end:
                frame = stack.pop()
                value = frame.node
                if frame.merges:
                    self._merge(value, frame.merges)
                size = frame.size
                if frame.anchor:
                    self.anchors[frame.anchor] = (value, size)
                pos = value.pos
            elif kind is alias_event:
                mark = event.start_mark
                pos = (mark.line + 1, mark.column + 1)
                found = self.anchors.get(event.anchor)
                if found is None:
                    raise self.fail(
                        own(
                            "an alias (*) refers to an anchor (&) that is not defined before it, or to the node that holds it."
                        ),
                        pos,
                    )
                value, size = found
                self._count(size, pos)
                if stack:
                    self._add(stack[-1], value, size, pos, alias=True)
                else:
                    root.append(value)
                continue
            elif kind is ev.DocumentStartEvent:
                version = getattr(event, "version", None)
                if version is not None and tuple(version)[:1] != (1,):
                    raise self.fail(
                        own("the %YAML directive names a version garauth does not read; remove it.")
                    )
                root = []
                self.anchors = {}
                continue
            elif kind is ev.DocumentEndEvent:
                docs.append(root[0] if root else None)
                continue
            elif kind is ev.StreamEndEvent:
                return
            else:
                continue
            if not stack:
                root.append(value)
                continue
            frame = stack[-1]
            frame.size += size
            node = frame.node
            if type(node) is YamlSeq:
                node.append(value)
                node.item_pos.append(pos)
            elif frame.pending_key is no_key:
                if type(value) is str and value != "<<":  # the common key: a plain string
                    frame.pending_key = value
                    frame.key_pos = pos
                else:
                    self._add(frame, value, size, pos)
            else:
                key = frame.pending_key
                if key is _MERGE or key in node:
                    self._add(frame, value, size, pos)
                else:
                    frame.pending_key = no_key
                    node[key] = value
                    node.where[key] = frame.key_pos + pos

    def _start(self, stack: list[_Frame], is_map: bool, event: Any, pos: tuple[int, int]) -> None:
        tag = event.tag
        local = tag if tag is not None and _local(tag) else None
        if tag is not None and local is None and tag != CORE + ("map" if is_map else "seq"):
            raise self.fail(
                fmt("the YAML tag {} is not one garauth reads (YAML 1.2 core schema); remove it.", _tag(tag)),
                pos,
            )
        if len(stack) >= self.max_depth:
            raise self.fail(
                fmt(
                    "the document is nested more than {} levels deep, garauth's limit.",
                    boundary.number(self.max_depth),
                ),
                pos,
            )
        self._count(1, pos)
        stack.append(_Frame(YamlMap(pos, local) if is_map else YamlSeq(pos, local), event.anchor))

    def _count(self, n: int, pos: tuple[int, int]) -> None:
        self.total += n
        if self.total > self.max_values:
            raise self.fail(
                fmt(
                    "the document holds more than {} values once its aliases (*) are expanded, garauth's limit.",
                    boundary.number(self.max_values),
                ),
                pos,
            )

    def _add(self, frame: _Frame, value: Any, size: int, pos: tuple[int, int], alias: bool = False) -> None:
        node = frame.node
        if type(node) is YamlSeq:
            frame.size += size
            node.append(value)
            node.item_pos.append(pos)
            return
        if frame.pending_key is _NO_KEY:
            if value == "<<" and not alias and type(value) is str:
                frame.pending_key = _MERGE
            elif isinstance(value, (dict, list)):
                raise self.fail(own("a mapping or list is used as a key; keys must be plain values."), pos)
            else:
                frame.pending_key = value
            frame.key_pos = pos
            return
        if alias:
            frame.size += size
        key = frame.pending_key
        frame.pending_key = _NO_KEY
        if key is _MERGE:
            frame.merges.append((value, pos))
            return
        if key in node:
            line = node.where[key][0]
            raise self.fail(
                fmt(
                    "the key {} appears twice in this mapping (first on line {}).",
                    boundary.name(key),
                    boundary.number(line),
                ),
                frame.key_pos,
            )
        node[key] = value
        node.where[key] = frame.key_pos + pos

    def _merge(self, node: YamlMap, merges: list[tuple[Any, tuple[int, int]]]) -> None:
        """`<<: *a` or `<<: [*a, *b]`: keys not written in the mapping itself come from the merged ones."""
        sources: list[tuple[Any, tuple[int, int]]] = []
        for value, pos in merges:
            if isinstance(value, YamlSeq):
                sources += list(zip(value, value.item_pos, strict=True))
            else:
                sources.append((value, pos))
        for value, pos in sources:
            if not isinstance(value, YamlMap):
                raise self.fail(own("a merge key (<<) takes a mapping or a list of mappings."), pos)
            for key, item in value.items():
                if key not in node:
                    node[key] = item
                    node.where[key] = value.where[key]

    def _scalar(self, event: Any, pos: tuple[int, int]) -> Any:
        text: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if event.style or tag == "!" or not event.implicit[0]:
                value: Any = text
            else:
                value = self._resolve(text, pos)
        elif tag == CORE + "str":
            value = text
        elif tag in (CORE + "int", CORE + "float", CORE + "bool", CORE + "null"):
            value = self._resolve(text, pos)
            want = {CORE + "int": int, CORE + "float": float, CORE + "bool": bool, CORE + "null": type(None)}[
                tag
            ]
            if type(value) is not want and not (want is float and type(value) is int):
                raise self.fail(fmt("a value tagged {} is not one.", _tag(tag)), pos)
            if want is float:
                value = float(value)
        elif _local(tag):
            value = text  # a platform's own tag on a scalar: the text, unresolved
        else:
            raise self.fail(
                fmt("the YAML tag {} is not one garauth reads (YAML 1.2 core schema); remove it.", _tag(tag)),
                pos,
            )
        if isinstance(value, str) and event.style == '"' and not _encodable(value):
            raise self.fail(
                own(
                    "a double-quoted string holds an escaped surrogate (\\uD800 to \\uDFFF), which is not a character."
                ),
                pos,
            )
        return value

    def _resolve(self, text: str, pos: tuple[int, int]) -> Any:
        """A plain scalar under YAML 1.2's core schema."""
        if _NULL.fullmatch(text):
            return None
        if text in _BOOL:
            return _BOOL[text]
        if _INT.fullmatch(text):
            if len(text) > _MAX_DIGITS:
                raise self.fail(
                    fmt(
                        "a number has more than {} digits; garauth does not read it.",
                        boundary.number(_MAX_DIGITS),
                    ),
                    pos,
                )
            return int(text)
        if _OCT.fullmatch(text):
            return int(text[2:], 8) if len(text) <= _MAX_DIGITS else text
        if _HEX.fullmatch(text):
            return int(text[2:], 16) if len(text) <= _MAX_DIGITS else text
        if _FLOAT.fullmatch(text):
            return float(text)
        if _INF.fullmatch(text):
            return -math.inf if text.startswith("-") else math.inf
        if _NAN.fullmatch(text):
            return math.nan
        return text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _tag(tag: str) -> Safe:
    if tag.startswith(CORE):
        return boundary.fmt("!!{}", boundary.name(tag[len(CORE) :]))
    return own("(a local tag)") if tag.startswith("!") else own("(a tag)")


# libyaml's own problem texts, which never quote the document; anything else is named generically.
_PROBLEMS = (
    "found character that cannot start any token",
    "mapping values are not allowed here",
    "could not find expected ':'",
    "did not find expected key",
    "did not find expected node content",
    "did not find expected ',' or ']'",
    "did not find expected ',' or '}'",
    "did not find expected '-' indicator",
    "found unexpected end of stream",
    "found undefined tag handle",
    "found unknown escape character",
    "found incompatible YAML document",
    "found duplicate %YAML directive",
    "found unexpected document indicator",
    "block sequence entries are not allowed in this context",
    "found a tab character that violates indentation",
    "found a tab character where an indentation space is expected",
    "found unexpected ':'",
    "found a character that cannot start a plain scalar",
    "found an anchor (&) with no name",
    "did not find expected alphabetic or numeric character",
    "did not find expected comment or line break",
    "found a document separator",
    "control characters are not allowed",
    "invalid Unicode character escape code",
    "did not find URI escaped octet",
    "found unknown directive name",
    "while scanning a simple key",
)


def _yaml_problem(problem: str | None) -> Safe:
    text = (problem or "").strip()
    for known in _PROBLEMS:
        if text.startswith(known):
            return own(known)
    return own("the parser stopped here")


# -- positions -------------------------------------------------------------------------------------------


def position(node: Any, key: Any = None) -> tuple[int, int]:
    """1-based (line, column) of `node[key]`, or of `node` itself when key is None.

    For a mapping entry whose value is a mapping or list, the position of its key; for a plain
    value, the position of the value."""
    if key is None:
        return getattr(node, "pos", (1, 1))
    if isinstance(node, YamlMap):
        where = node.where.get(key)
        if where is None:
            return node.pos
        return where[:2] if isinstance(node[key], (dict, list)) else where[2:]
    if isinstance(node, YamlSeq) and isinstance(key, int) and -len(node.item_pos) <= key < len(node.item_pos):
        return node.item_pos[key]
    return getattr(node, "pos", (1, 1))


def key_position(node: Any, key: Any) -> tuple[int, int]:
    """1-based (line, column) of a mapping's key."""
    if isinstance(node, YamlMap) and key in node.where:
        return node.where[key][:2]
    return getattr(node, "pos", (1, 1))


def position_of_path(root: Any, path: list[str | int]) -> tuple[int, int]:
    """Position of the node at a JSON path (as a schema validator reports it), or of its nearest parent."""
    node, where = root, position(root)
    for part in path:
        try:
            child = node[part]
        except (KeyError, IndexError, TypeError):
            break
        where = position(node, part)
        node = child
    return where
