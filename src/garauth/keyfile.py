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
from dataclasses import dataclass, field
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from garauth import boundary, data
from garauth.boundary import fmt, own

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


# -- reading a key file layer by layer ---------------------------------------------------------------

MAX_LAYERS = 8


@dataclass
class KeyFacts:
    """What a text is, as a key file: the layers around the JSON, the key, and what is wrong.

    `layers` lists what was taken off, outermost first: "quotes", "escaped" (JSON written with
    backslash-escaped quotes), "base64", "json-string" (a JSON string holding the JSON). Messages
    are garauth.boundary.Safe and never hold key material."""

    layers: list[str] = field(default_factory=list)
    key: dict | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (code, Safe message)
    private_key_material: bool = False  # a PEM private key, or a private_key field, is in the text

    @property
    def usable(self) -> bool:
        return self.key is not None and not self.problems

    @property
    def username(self) -> str | None:
        """The username this text works with as the password, or None."""
        if not self.usable:
            return None
        if not self.layers:
            return "_json_key"
        if self.layers == ["base64"]:
            return "_json_key_base64"
        return None


def analyse(text: str) -> KeyFacts:
    """Peel the layers a key picks up on its way into a secret store, then check the key."""
    facts = KeyFacts()
    facts.private_key_material = "PRIVATE KEY-----" in text or '"private_key"' in text
    current = text.lstrip("\ufeff").strip()
    for _ in range(MAX_LAYERS):
        if not current:
            facts.problems.append(("empty", own("it is empty")))
            return facts
        if current.startswith('"') and current.endswith('"') and len(current) > 1:
            try:
                inner_value = json.loads(current)
            except (json.JSONDecodeError, RecursionError):
                inner_value = None
            if isinstance(inner_value, str):
                facts.layers.append("json-string")
                current = inner_value.strip()
                continue
        if len(current) > 1 and current[0] in "'\"" and current[-1] == current[0]:
            inner = current[1:-1].strip()
            if inner.startswith("{") or looks_base64(inner):
                facts.layers.append("quotes")
                current = inner
                continue
        if current.startswith("{") and '\\"' in current[:40]:
            facts.layers.append("escaped")
            current = current.replace('\\"', '"')
            continue
        if not current.startswith("{") and not current.startswith('"'):
            try:
                decoded = decode_base64(current).strip()
            except KeyFileError:
                decoded = None
            if decoded is not None and (
                decoded.startswith("{") or decoded.startswith('"') or looks_base64(decoded)
            ):
                facts.layers.append("base64")
                facts.private_key_material |= "PRIVATE KEY-----" in decoded or '"private_key"' in decoded
                current = decoded
                continue
            facts.problems.append(("not-json", own("it is neither JSON nor base64 of JSON")))
            return facts
        break
    try:
        value = json.loads(current)
    except RecursionError:
        facts.problems.append(("not-json", own("it is not JSON a key file could be (nested too deep)")))
        return facts
    except json.JSONDecodeError as err:
        if err.msg.startswith("Unterminated string") or not current.rstrip().endswith("}"):
            facts.problems.append(
                (
                    "truncated",
                    fmt(
                        "it is cut short: the JSON ends early (line {}), as if the end was lost",
                        own(str(err.lineno)),
                    ),
                )
            )
        else:
            facts.problems.append(
                (
                    "not-json",
                    fmt(
                        "it is not valid JSON (line {}, column {})", own(str(err.lineno)), own(str(err.colno))
                    ),
                )
            )
        return facts
    if isinstance(value, str) and len(facts.layers) < MAX_LAYERS:
        facts.layers.append("json-string")
        nested = analyse(value)
        nested.layers[:0] = facts.layers
        nested.private_key_material |= facts.private_key_material
        return nested
    if not isinstance(value, dict):
        facts.problems.append(
            ("not-object", fmt("it is JSON, but {} rather than an object", boundary.describe(value)))
        )
        return facts
    facts.key = value
    facts.private_key_material |= isinstance(value.get("private_key"), str)
    facts.problems += [(code, message) for code, message in _field_problems(value)]
    return facts


def _field_problems(key: dict) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    kind = key.get("type")
    if kind == "external_account":
        out.append(
            (
                "external-account",
                own(
                    '"type" is "external_account": this is a Workload Identity Federation credential '
                    "configuration, not a key; registries do not accept it as a password"
                ),
            )
        )
    elif kind != "service_account":
        shown = boundary.name(kind) if isinstance(kind, str) else boundary.describe(kind)
        what = own("missing") if kind is None else shown
        out.append(("wrong-type", fmt('"type" is {}, where a key file has "service_account"', what)))
    missing = [f for f in REQUIRED_FIELDS if f not in key]
    if missing:
        out.append(("missing-fields", fmt("missing field(s): {}", own(", ".join(missing)))))
    wrong = [f for f in REQUIRED_FIELDS if f in key and not isinstance(key[f], str)]
    if wrong:
        out.append(("field-types", fmt("field(s) that must be strings are not: {}", own(", ".join(wrong)))))
    pk = key.get("private_key")
    if isinstance(pk, str):
        if "\\n" in pk and "\n" not in pk:
            out.append(
                (
                    "escaped-newlines",
                    own('"private_key" holds literal \\n sequences instead of line breaks (escaped twice)'),
                )
            )
        elif not pk.startswith("-----BEGIN PRIVATE KEY-----"):
            out.append(
                ("bad-private-key", own('"private_key" does not start with -----BEGIN PRIVATE KEY-----'))
            )
        elif "-----END PRIVATE KEY-----" not in pk:
            out.append(
                ("truncated", own('"private_key" is cut short: it has no -----END PRIVATE KEY----- line'))
            )
        elif not _readable_pem(pk):
            out.append(("bad-private-key", own('"private_key" is not a readable PEM private key')))
    email = key.get("client_email")
    if isinstance(email, str) and not email.endswith(".gserviceaccount.com"):
        out.append(
            (
                "client-email",
                fmt(
                    '"client_email" ({}) is not a service-account address (*.gserviceaccount.com)',
                    boundary.name(email),
                ),
            )
        )
    return out


def parse(text: str) -> dict:
    """A usable key file's JSON, or KeyFileError with one sentence (Safe) saying what is wrong."""
    facts = analyse(text)
    if facts.key is None or facts.layers:
        raise KeyFileError(describe_problems(facts))
    return facts.key


def problems(key: dict) -> list[str]:
    """What is wrong with a parsed key file, as Safe sentences; empty if it looks usable."""
    return [message for _, message in _field_problems(key)]


def describe_problems(facts: KeyFacts) -> str:
    """One Safe sentence: what the layers and problems are, and what to do."""
    parts = []
    if facts.layers:
        parts.append(
            fmt("it is wrapped in {}", own(", then ".join(_LAYER_WORDS[layer] for layer in facts.layers)))
        )
    parts += [message for _, message in facts.problems]
    sentence = boundary.join(parts, "; ")
    if facts.usable and facts.layers == ["base64"]:
        return sentence + own(
            ": use it with username _json_key_base64, or decode it (base64 -d) and use _json_key"
        )
    if facts.usable:
        return sentence + own(": store the key file exactly as it was downloaded")
    return sentence


_LAYER_WORDS = {
    "quotes": "quotes",
    "escaped": 'escaped quotes (\\")',
    "base64": "base64",
    "json-string": "a JSON string",
}


_READABLE_BY_DIGEST: dict[str, bool] = {}


def _readable_pem(pem: str) -> bool:
    """Whether a PEM private key loads; remembered by its SHA-256 (reading one takes tens of ms)."""
    digest = hashlib.sha256(pem.encode()).hexdigest()
    if digest not in _READABLE_BY_DIGEST:
        try:
            serialization.load_pem_private_key(pem.encode(), password=None)
            readable = True
        except (ValueError, TypeError):
            readable = False
        if len(_READABLE_BY_DIGEST) > 1024:
            _READABLE_BY_DIGEST.clear()
        _READABLE_BY_DIGEST[digest] = readable
    return _READABLE_BY_DIGEST[digest]


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
