"""A small subset of CEL, enough for Workload Identity attribute mappings and conditions.

Supported: string literals ('...' or "..."), true/false, integers, names (`assertion`,
`attribute`, `google`), member access (`assertion.sub`), index (`assertion['oidc.circleci.com/project-id']`),
`+` (string concatenation), `==`, `!=`, `&&`, `||`, `!`, `in` (list membership), list literals, parentheses,
and the methods `.extract('prefix{name}suffix')`, `.startsWith(s)`, `.endsWith(s)`,
`.contains(s)`. Google's description of mappings and conditions:
https://cloud.google.com/iam/docs/workload-identity-federation#mapping and
https://cloud.google.com/iam/docs/workload-identity-federation#conditions
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<num>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|&&|\|\||[-+.\[\](),!]))"
)


class CelError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise CelError(f"cannot read the expression at character {pos + 1}: {text[pos : pos + 10]!r}")
        kind = m.lastgroup
        value = m[kind]
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value))
        pos = m.end()
    out.append(("end", ""))
    return out


def extract(value: str, template: str) -> str:
    """CEL's extract(): the part of value that {name} matches in template; '' if no match."""
    m = re.fullmatch(r"(.*?)\{[A-Za-z_][A-Za-z0-9_]*\}(.*)", template, re.S)
    if not m:
        raise CelError("extract() needs a template with one {name}")
    prefix, suffix = m.groups()
    start = value.find(prefix)
    if start < 0:
        return ""
    start += len(prefix)
    if not suffix:
        return value[start:]
    end = value.find(suffix, start)
    return value[start:end] if end >= 0 else ""


class _Parser:
    def __init__(self, text: str, env: dict[str, Any]) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.env = env

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if value is not None and tok[1] != value:
            raise CelError(f"expected {value!r}, found {tok[1] or 'the end'!r}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.or_()
        if self.peek()[0] != "end":
            raise CelError(f"unexpected {self.peek()[1]!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = bool(value) or bool(right)
        return value

    def and_(self) -> Any:
        value = self.cmp()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.cmp()
            value = bool(value) and bool(right)
        return value

    def cmp(self) -> Any:
        left = self.add()
        tok = self.peek()
        if tok in (("op", "=="), ("op", "!=")):
            self.take()
            right = self.add()
            return (left == right) if tok[1] == "==" else (left != right)
        if tok == ("name", "in"):
            self.take()
            right = self.add()
            return isinstance(right, (list, tuple, dict, str)) and left in right
        return left

    def add(self) -> Any:
        value = self.unary()
        while self.peek() == ("op", "+"):
            self.take()
            right = self.unary()
            if not isinstance(value, str) or not isinstance(right, str):
                raise CelError("'+' joins strings only (a claim may be missing)")
            value = value + right
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not self.unary()
        return self.postfix()

    def postfix(self) -> Any:
        value = self.primary()
        while True:
            tok = self.peek()
            if tok == ("op", "."):
                self.take()
                name = self.take()[1]
                if self.peek() == ("op", "("):
                    value = self.call(value, name)
                else:
                    value = value.get(name) if isinstance(value, dict) else None
            elif tok == ("op", "["):
                self.take()
                key = self.or_()
                self.take("]")
                if isinstance(value, dict):
                    value = value.get(key)
                elif isinstance(value, list) and isinstance(key, int) and key < len(value):
                    value = value[key]
                else:
                    value = None
            else:
                return value

    def call(self, target: Any, name: str) -> Any:
        self.take("(")
        args = []
        while self.peek() != ("op", ")"):
            args.append(self.or_())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        if not isinstance(target, str) or len(args) != 1 or not isinstance(args[0], str):
            raise CelError(f"{name}() applies to a string with one string argument")
        if name == "extract":
            return extract(target, args[0])
        if name == "startsWith":
            return target.startswith(args[0])
        if name == "endsWith":
            return target.endswith(args[0])
        if name == "contains":
            return args[0] in target
        raise CelError(f"unsupported function {name}()")

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return value
        if kind == "num":
            return int(value)
        if kind == "name":
            if value in ("true", "false"):
                return value == "true"
            if value in self.env:
                return self.env[value]
            raise CelError(f"unknown name {value!r}")
        if (kind, value) == ("op", "("):
            inner = self.or_()
            self.take(")")
            return inner
        if (kind, value) == ("op", "["):
            items = []
            while self.peek() != ("op", "]"):
                items.append(self.or_())
                if self.peek() == ("op", ","):
                    self.take()
            self.take("]")
            return items
        raise CelError(f"unexpected {value or 'end of expression'!r}")


def evaluate(expression: str, env: dict[str, Any]) -> Any:
    return _Parser(expression, env).parse()


def map_attributes(mapping: dict[str, str], assertion: dict) -> dict[str, Any]:
    """Apply a provider's attribute mapping to the token's claims; missing results are left out."""
    out = {}
    for target, expression in mapping.items():
        value = evaluate(expression, {"assertion": assertion})
        if value is not None:
            out[target] = value
    return out


def condition_holds(condition: str | None, assertion: dict, attributes: dict) -> bool:
    if not condition:
        return True
    attr = {k.split(".", 1)[1]: v for k, v in attributes.items() if k.startswith("attribute.")}
    google = {k.split(".", 1)[1]: v for k, v in attributes.items() if k.startswith("google.")}
    return evaluate(condition, {"assertion": assertion, "attribute": attr, "google": google}) is True
