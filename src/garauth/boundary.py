"""The one way out: everything `garauth pulls`, `check` and `key` print passes through here.

Teams run garauth in CI over their own configs and key files, and CI logs are read by many
people. So a value that came from the user's input is printed only when it is known to be safe:

- a parsed image reference (`image`), a variable name (`var`), a name from the file such as a job
  or a key (`name`), a file path given on the command line (`path`), a rule ID, a position, a
  number;
- anything else, or any of those that looks like a key, a token or a password, is described
  instead (`describe`): "a mapping", "a 2,310-character string that looks like a service-account
  JSON key".

Text is built with `fmt(template, *parts)`: the template is garauth's own words, each part must be
`Safe`, and a part that is not is described, never echoed. `Safe` is a `str` subclass that only
this module makes; concatenating it with a plain `str` gives a plain `str`, so a stray f-string
cannot pass for safe text. `emit`/`emit_json` take only `Safe` text and, as a last line of
defence, `scrub` it: anything shaped like a PEM block, a JSON key, an access token, a JWT or a
long random run is replaced by "[redacted]".
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from garauth.model import ImageRef, Position


class Safe(str):
    """Text that may be printed: garauth's own words, or a value that passed a check here."""

    __slots__ = ()

    def __add__(self, other: str) -> str:  # type: ignore[override]
        joined = str.__add__(self, other)
        return Safe(joined) if isinstance(other, Safe) else joined


def own(text: str) -> Safe:
    """garauth's own words: a constant written in garauth's code, never a value from the input."""
    return Safe(text)


EMPTY = Safe("")

# A run of 20 or more characters from the alphabets keys and tokens are written in (without the
# "/" and "." that also separate path parts), holding
# upper case, lower case and digits: how passwords, base64 and tokens look, and names rarely do.
_RUN = re.compile(r"[A-Za-z0-9+=_~-]{20,}")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@/:+-]{0,127}")
_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_RULE = re.compile(r"GA\d{3}")


def _token_like(text: str) -> bool:
    for run in _RUN.findall(text):
        classes = (
            any(c.isupper() for c in run) + any(c.islower() for c in run) + any(c.isdigit() for c in run)
        )
        if classes == 3:
            return True
    return False


def _printable(text: str) -> bool:
    return text.isprintable() and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def describe(value: Any) -> Safe:
    """What a value is, without any of its content."""
    if value is None:
        return Safe("an empty value")
    if isinstance(value, bool):
        return Safe("a boolean")
    if isinstance(value, (int, float)):
        return Safe("a number")
    if isinstance(value, Mapping):
        return Safe("a mapping")
    if isinstance(value, (list, tuple)):
        return Safe("a list")
    if isinstance(value, str):
        kind = _kind(value)
        size = f"a {len(value):,}-character string"
        if not value:
            return Safe("an empty string")
        return Safe(f"{size} that looks like {kind}" if kind else size)
    return Safe(f"a value of type {type(value).__name__}")


def _kind(text: str) -> str | None:
    # Imported here: secretlike reads keys with keyfile, which builds its messages with this module.
    from garauth.secretlike import kind_of_secret

    try:
        kind = kind_of_secret(text)
    except (RecursionError, ValueError):
        return "a secret"
    if kind == "a literal password":
        return "a token or password" if _token_like(text) else None
    return kind


def name(value: Any) -> Safe:
    """A name written in the file (a job, an executor, a key, a username): shown when it is short,
    plain and does not look like a secret; otherwise described."""
    if isinstance(value, str) and _NAME.fullmatch(value) and not _token_like(value) and not _kind(value):
        return Safe(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**12:
        return Safe(str(value))
    return describe(value)


def var(value: Any) -> Safe:
    """A variable name, such as GCLOUD_SERVICE_KEY (without the $)."""
    if isinstance(value, str) and _VAR.fullmatch(value) and not _token_like(value):
        return Safe(value)
    return describe(value)


def image(ref: ImageRef) -> Safe:
    """A parsed image reference. Its grammar allows no secret but a tag: a tag that looks like a
    token is described."""
    if ref.tag is not None and (_token_like(ref.tag) or _kind(ref.tag)):
        out = f"{ref.host}/{ref.path}" + (f"@{ref.digest}" if ref.digest else "")
        return Safe(f"{out} (its tag is {describe(ref.tag)})")
    return Safe(str(ref))


def reference(value: Any) -> Safe:
    """Image-reference text that may not parse (or a host, or a piece of a path): shown when it is
    plain and no part of it looks like a secret; otherwise described."""
    if (
        isinstance(value, str)
        and 0 < len(value) <= 512
        and _printable(value)
        and not any(c.isspace() for c in value)
        and not _token_like(value)
        and not _kind(value)
    ):
        return Safe(value)
    return describe(value)


_EXPRESSION = re.compile(r"<<\s*([^<>]*?)\s*>>")


def written(value: Any) -> Safe:
    """A value as written with `<< parameters.x >>` expressions in it: shown when the text
    around the expressions is plain and each expression names a plain parameter."""
    if not isinstance(value, str) or len(value) > 512:
        return describe(value)
    parts, last = [], 0
    for m in _EXPRESSION.finditer(value):
        parts.append(value[last : m.start()])
        last = m.end()
        if str(name(m.group(1))) != m.group(1):
            return describe(value)
    parts.append(value[last:])
    if all(not part or str(reference(part)) == part for part in parts):
        return Safe(value)
    return describe(value)


def path(value: Any) -> Safe:
    """A file path named on the command line or found in a folder."""
    if isinstance(value, str) and 0 < len(value) <= 1024 and _printable(value) and not _kind(value):
        if not any(_token_like(part) for part in value.split("/")):
            return Safe(value)
    return Safe(f"the file given ({describe(value)})")


def position(pos: Position) -> Safe:
    where = path(pos.file)
    if pos.line:
        return Safe(f"{where}:{pos.line}" + (f":{pos.column}" if pos.column else ""))
    return where


def rule(rule_id: str) -> Safe:
    if _RULE.fullmatch(rule_id):
        return Safe(rule_id)
    raise ValueError("not a rule ID")


def number(value: int) -> Safe:
    return Safe(f"{int(value):,}")


def fmt(template: str, *parts: Any) -> Safe:
    """Fill `{}` fields of garauth's own `template` with `parts`; a part that is not Safe is
    described, never echoed."""
    return Safe(template.format(*(p if isinstance(p, Safe) else describe(p) for p in parts)))


def join(parts: Iterable[Any], sep: str = ", ") -> Safe:
    return Safe(sep.join(p if isinstance(p, Safe) else describe(p) for p in parts))


# -- the last line of defence --------------------------------------------------------------------

_PEM = re.compile(r"-----BEGIN[^\n]*?-----.*?(?:-----END[^\n]*?-----|\Z)", re.S)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_ACCESS_TOKEN = re.compile(r"ya29\.[A-Za-z0-9_.~+/=-]+")
_KEY_JSON = re.compile(r'"private_key"\s*:\s*"[^"]*"?')
REDACTED = "[redacted]"


def scrub(text: str) -> str:
    """Replace anything shaped like a secret with [redacted]. Whatever reaches the output went
    through the checks above; this catches what a careless message might still carry."""
    text = _PEM.sub(REDACTED, text)
    text = _KEY_JSON.sub(REDACTED, text)
    text = _ACCESS_TOKEN.sub(REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    return _RUN.sub(lambda m: REDACTED if _token_like(m.group(0)) else m.group(0), text)


def _safe_text(text: Any) -> str:
    if not isinstance(text, Safe):
        text = describe(text)
    return scrub(text)


def emit(text: Safe, stream: TextIO | None = None) -> None:
    """Print one block of Safe text (a plain str is described, never printed)."""
    out = stream if stream is not None else sys.stdout
    out.write(_safe_text(text) + "\n")


def error(text: Safe) -> None:
    """Print a message on standard error."""
    emit(text, sys.stderr)


def _json_value(value: Any) -> Any:
    if isinstance(value, Safe):
        return scrub(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, Mapping):
        return {_key(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return str(describe(value))


def _key(key: Any) -> str:
    """JSON object keys are garauth's own field names (Safe), or names that pass `name`."""
    return str(key) if isinstance(key, Safe) else str(name(key))


def to_json(document: Mapping[str, Any]) -> str:
    """A JSON document whose strings are all Safe (others are described)."""
    return json.dumps(_json_value(document), indent=2, ensure_ascii=False)


def emit_json(document: Mapping[str, Any], stream: TextIO | None = None) -> None:
    (stream if stream is not None else sys.stdout).write(to_json(document) + "\n")
