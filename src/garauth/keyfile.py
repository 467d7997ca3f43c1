"""Service-account JSON key files: the one builder, and the checks a key file must pass.

A key file has the fields Google's key files have (reference §6.1): `type`, `project_id`,
`private_key_id`, `private_key` (an RSA 2048 key, PKCS#8 PEM), `client_email`, `client_id`,
`auth_uri`, `token_uri`, `auth_provider_x509_cert_url`, `client_x509_cert_url` and
`universe_domain`. Field list: https://cloud.google.com/iam/docs/keys-create-delete

`new_key_file` is used by the fake (when it creates a key) and by `garauth key generate`.
`problems` says, in words, why a text is not a usable key file; it never echoes key material.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from garauth import data

REQUIRED_FIELDS = (
    "type",
    "project_id",
    "private_key_id",
    "private_key",
    "client_email",
    "client_id",
    "auth_uri",
    "token_uri",
    "auth_provider_x509_cert_url",
    "client_x509_cert_url",
)


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: the key file (with the private key) and the public key to register."""

    key_file: dict
    key_id: str
    public_key_pem: str


def token_uri() -> str:
    return f"https://{data.endpoints()['oauth2']}/token"


def new_key_file(project_id: str, client_email: str, client_id: str, key_id: str | None = None) -> NewKey:
    """Make an RSA 2048 key and the key file Google would hand out for it."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_id = key_id or secrets.token_hex(20)
    key_file = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": key_id,
        "private_key": private_pem,
        "client_email": client_email,
        "client_id": client_id,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri(),
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + quote(client_email),
        "universe_domain": "googleapis.com",
    }
    return NewKey(key_file=key_file, key_id=key_id, public_key_pem=public_pem)


def dumps(key_file: dict) -> str:
    """The key file as Google writes it: indented JSON with a trailing newline."""
    return json.dumps(key_file, indent=2) + "\n"


def encode_base64(text: str) -> str:
    """One line of base64, the password for username `_json_key_base64`."""
    return base64.b64encode(text.encode()).decode()


class KeyFileError(ValueError):
    """A text that is not a usable key file; the message says why and never shows the key."""


def decode_base64(text: str) -> str:
    """Decode a `_json_key_base64` password; KeyFileError if it is not base64 of text."""
    compact = "".join(text.split())
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise KeyFileError("this is not base64") from None


def looks_base64(text: str) -> bool:
    s = text.strip()
    if not s or s.startswith("{"):
        return False
    try:
        return decode_base64(s).lstrip().startswith("{")
    except KeyFileError:
        return False


def parse(text: str) -> dict:
    """Parse a key file; raise KeyFileError with one sentence saying what is wrong."""
    stripped = text.strip()
    if not stripped:
        raise KeyFileError("it is empty")
    if looks_base64(stripped):
        raise KeyFileError(
            "this is base64, not JSON: use username _json_key_base64 with it, or decode it "
            "(base64 -d) and use _json_key"
        )
    if stripped[0] in "'\"" and stripped[-1] == stripped[0]:
        inner = stripped[1:-1].strip()
        if inner.startswith("{") or looks_base64(inner):
            raise KeyFileError("the key is wrapped in quotes: remove the quotes around the JSON")
    if stripped.startswith("{\\") or '\\"' in stripped[:40]:
        raise KeyFileError('the JSON is escaped (\\"): store the key file as it was downloaded')
    try:
        key = json.loads(stripped)
    except json.JSONDecodeError as err:
        raise KeyFileError(
            f"it is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None
    if not isinstance(key, dict):
        raise KeyFileError("it is JSON but not an object")
    return key


def problems(key: dict) -> list[str]:
    """What is wrong with a parsed key file, as sentences; empty if it looks usable."""
    out = []
    if key.get("type") != "service_account":
        kind = key.get("type")
        if kind == "external_account":
            out.append(
                '"type" is "external_account": this is a Workload Identity Federation credential '
                "configuration, not a key; registries do not accept it as a password"
            )
        else:
            out.append(
                f'"type" is {json.dumps(kind) if isinstance(kind, str) else "missing"}, '
                'expected "service_account"'
            )
    missing = [f for f in REQUIRED_FIELDS if f not in key]
    if missing:
        out.append("missing field(s): " + ", ".join(missing))
    pk = key.get("private_key")
    if isinstance(pk, str):
        if "\\n" in pk and "\n" not in pk:
            out.append('"private_key" holds literal \\n sequences instead of newlines (escaped twice)')
        elif not pk.startswith("-----BEGIN PRIVATE KEY-----"):
            out.append('"private_key" does not start with -----BEGIN PRIVATE KEY-----')
        else:
            try:
                serialization.load_pem_private_key(pk.encode(), password=None)
            except (ValueError, TypeError):
                out.append('"private_key" is not a readable PEM private key')
    email = key.get("client_email")
    if isinstance(email, str) and not email.endswith(".gserviceaccount.com"):
        out.append(f'"client_email" ({email}) is not a service-account address (*.gserviceaccount.com)')
    return out


_PUBLIC_BY_DIGEST: dict[str, str] = {}  # sha256 of a private-key PEM -> its public-key PEM


def public_pem_of_key_file(key: dict) -> str:
    """The public-key PEM matching a key file's private key (ValueError if unreadable).

    Reading an RSA private key validates it, which costs tens of milliseconds; every pull with a
    key repeats this for the same key, so the answer is remembered by the private key's SHA-256
    (not by the key itself).
    """
    pem = str(key.get("private_key", ""))
    digest = hashlib.sha256(pem.encode()).hexdigest()
    public = _PUBLIC_BY_DIGEST.get(digest)
    if public is None:
        public = public_pem_of(load_private_key(key))
        if len(_PUBLIC_BY_DIGEST) > 1024:
            _PUBLIC_BY_DIGEST.clear()
        _PUBLIC_BY_DIGEST[digest] = public
    return public


def load_private_key(key: dict):
    """The private key object of a parsed key file (ValueError if unreadable)."""
    return serialization.load_pem_private_key(str(key.get("private_key", "")).encode(), password=None)


def public_pem_of(private_key) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def write_private(path: str | os.PathLike, content: str | bytes) -> None:
    """Write a file that holds key material: created with mode 0600, never readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb" if isinstance(content, bytes) else "w") as fh:
        fh.write(content)
    os.chmod(path, 0o600)  # in case the file existed with looser permissions
