"""Reading and checking RS256 JWTs with google-auth's own `crypt` and `jwt` modules."""

from __future__ import annotations

import base64
import json

from google.auth import crypt
from google.auth import jwt as gjwt


class BadJwt(ValueError):
    pass


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def split(token: str) -> tuple[dict, dict, bytes, bytes]:
    """(header, payload, signed section, signature) without checking anything."""
    try:
        head, body, sig = token.split(".")
        header, payload = json.loads(_b64(head)), json.loads(_b64(body))
        signature = _b64(sig)
    except (ValueError, TypeError):
        raise BadJwt("not a JWT") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise BadJwt("not a JWT")
    return header, payload, f"{head}.{body}".encode(), signature


def signature_ok(token: str, public_pem: str) -> bool:
    """Does the token carry a valid RS256 signature by the key? (google.auth.crypt.RSAVerifier)"""
    try:
        header, _, signed, signature = split(token)
    except BadJwt:
        return False
    if header.get("alg") != "RS256":
        return False
    return crypt.RSAVerifier.from_string(public_pem).verify(signed, signature)


def sign(payload: dict, private_pem: str, key_id: str) -> str:
    """An RS256 JWT signed with google.auth.crypt.RSASigner through google.auth.jwt.encode."""
    signer = crypt.RSASigner.from_string(private_pem, key_id=key_id)
    return gjwt.encode(signer, payload).decode()
