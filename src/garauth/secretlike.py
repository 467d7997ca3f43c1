"""Does a literal string look like a secret? Says what kind, never repeats the value.

Readers use this on values written literally where a credential goes (a password in a CI
config): `kind_of_secret(value)` returns a short description such as "a service-account JSON
key" for the message, or None for an empty value. The value itself never leaves this module.

What is recognised, and why:
- a service-account JSON key file: a JSON object with `"type": "service_account"` or a
  `private_key` field (artifact-registry.md §6.1, key file fields);
- the same key base64-encoded, as stored for `_json_key_base64` (§1.4);
- an OAuth 2.0 access token: Google's start with `ya29.` (§1.4, oauth2accesstoken);
- a JWT (an OIDC token): three base64url parts starting `eyJ`;
- a PEM private key block.
Anything else non-empty is "a literal password".
"""

from __future__ import annotations

import json
import re

from garauth import keyfile

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def kind_of_secret(value: str) -> str | None:
    """A short description of what the secret looks like, or None when the value is empty."""
    text = value.strip()
    if not text:
        return None
    if _looks_like_key_json(text):
        return "a service-account JSON key"
    if text.startswith("ya29."):
        return "an OAuth 2.0 access token (ya29.)"
    if _JWT.fullmatch(text):
        return "a JWT"
    if "-----BEGIN" in text and "PRIVATE KEY" in text:
        return "a PEM private key"
    decoded = _b64decode(text)
    if decoded is not None and _looks_like_key_json(decoded):
        return "a base64-encoded service-account JSON key"
    return "a literal password"


def _looks_like_key_json(text: str) -> bool:
    if not text.startswith("{"):
        return False
    try:
        obj = json.loads(text)
    except ValueError:
        # A pasted key that lost a quote or gained a line break is still a key.
        return '"private_key' in text or '"service_account"' in text
    return isinstance(obj, dict) and (obj.get("type") == "service_account" or "private_key" in obj)


def _b64decode(text: str) -> str | None:
    """The text a base64 value decodes to (keyfile's decoder, as for `_json_key_base64`)."""
    if len("".join(text.split())) < 16:
        return None
    try:
        return keyfile.decode_base64(text).strip()
    except keyfile.KeyFileError:
        return None
