"""Read a file that holds a service-account key (or what became of one in a secret store).

    read(path, text=None) -> KeyFile       what the file is, layer by layer (garauth.keyfile)
    detect(path, text) -> bool             whether a file looks like one, for `garauth check`

The rules in garauth.rules.keyfiles judge it: a private key in a file that sits in a repository,
and a key that would not work as a registry password.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from garauth import data, keyfile, yamlfile
from garauth.model import Position

NAME = "keyfile"


@dataclass(frozen=True)
class KeyFile:
    position: Position  # the file (line 1)
    facts: keyfile.KeyFacts


def detect(path: str, text: str) -> bool:
    """A JSON key, a credential configuration, or one of them in base64 or quotes."""
    head = text.lstrip("\ufeff \t\r\n\"'")
    if head.startswith("{") and ('"private_key' in text or '"type"' in text or "service_account" in text):
        return True
    if "-----BEGIN" in text and "PRIVATE KEY" in text and Path(path).suffix not in (".yml", ".yaml"):
        return True
    return keyfile.looks_base64(text) and bool(keyfile.analyse(text).key)


def limit() -> int:
    return data.limits()["keyfile"]["max_bytes"]


def read_text(path: str) -> str:
    return yamlfile.read_text(path, limit(), what="key file")


def read(path: str | Path, text: str | None = None) -> KeyFile:
    path = str(path)
    if text is None:
        text = read_text(path)
    return KeyFile(Position(path, 1, 1), keyfile.analyse(text))
