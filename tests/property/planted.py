"""Planted secrets for the property tests, and the check that none of them leaks.

A secret is planted whole; the check looks for it and for every 20-character piece of its
sensitive part (the PEM body of a key, the whole of a base64 key, token or password) in
everything garauth printed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache

from hypothesis import strategies as st

from garauth import keyfile

PIECE = 20


@dataclass(frozen=True)
class Secret:
    kind: str
    text: str  # what is planted
    core: str  # the part that must never appear, nor any 20-character piece of it

    def pieces(self) -> set[str]:
        core = self.core
        if len(core) <= PIECE:
            return {core}
        return {core[i : i + PIECE] for i in range(0, len(core) - PIECE + 1)}


@cache
def _keys() -> tuple[dict, ...]:
    return tuple(
        keyfile.new_key_file(
            "demo-project", f"k{i}@demo-project.iam.gserviceaccount.com", str(10**20 + i)
        ).key_file
        for i in range(2)
    )


def _pem_body(key: dict) -> str:
    return "".join(key["private_key"].splitlines()[1:-1])


def key_secrets() -> list[Secret]:
    out = []
    for key in _keys():
        raw = keyfile.dumps(key)
        body = _pem_body(key)
        b64 = base64.b64encode(raw.encode()).decode()
        out += [
            Secret("raw key", raw, body),
            Secret("minified key", json.dumps(key), body),
            Secret("base64 key", b64, b64),
            Secret(
                "base64 twice",
                base64.b64encode(b64.encode()).decode(),
                base64.b64encode(b64.encode()).decode(),
            ),
            Secret("pem", key["private_key"], body),
            Secret("escaped key", json.dumps(raw)[1:-1], body),
        ]
    return out


_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@st.composite
def password(draw) -> Secret:
    """A password literal or a token: random, mixed case and digits, as real ones are."""
    body = draw(st.text(alphabet=_ALNUM, min_size=24, max_size=48))
    body = "Q7x" + body  # always upper, lower and digit
    kind = draw(st.sampled_from(["password", "dollar", "token", "jwt"]))
    if kind == "dollar":
        text = f"pw${body}"
    elif kind == "token":
        text = f"ya29.{body}"
    elif kind == "jwt":
        text = f"eyJhbGciOiJSUzI1NiJ9.{body}.{body[::-1]}"
    else:
        text = body
    return Secret(kind, text, body)


def secrets() -> st.SearchStrategy[Secret]:
    return st.one_of(st.sampled_from(key_secrets()), password())


def leaks(secret: Secret, output: str) -> list[str]:
    """The pieces of the secret that appear in the output (empty: nothing leaked)."""
    if secret.core in output:
        return [secret.core[:8] + "…"]
    return [p[:8] + "…" for p in secret.pieces() if p in output][:3]
