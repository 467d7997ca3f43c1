"""What a registry Basic credential (username, password) means, as Artifact Registry reads it.

Usernames (reference §1.4): `_json_key` (raw key JSON), `_json_key_base64` (base64 of the key
file), and for an OAuth 2.0 access token `oauth2accesstoken`, `_token`, `_dcgcloud_token` or
`_dcgcr_X_Y_Z_token` (X, Y, Z digits). Whether AR matches a fixed list or a pattern is
UNCONFIRMED; the fake takes exactly these.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from garauth.fake import errors
from garauth.fake.state import CredentialRefused, Principal, State

ACCESS_TOKEN_USERNAME = re.compile(r"oauth2accesstoken|_token|_dcgcloud_token|_dcgcr_\d+_\d+_\d+_token")
TOKEN_KINDS = ("access", "federated")


class AuthFailure(Exception):
    """A credential the registry refuses: HTTP status, (code, message), and a reason for the log."""

    def __init__(self, status: int, error: tuple[str, str], reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error
        self.reason = reason


def parse_basic(header: str) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic ...` value; None if not Basic."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise AuthFailure(401, errors.NO_VALID_CREDENTIAL, "malformed basic header") from None
    username, sep, password = decoded.partition(":")  # split at the first colon: keys hold colons
    if not sep:
        raise AuthFailure(401, errors.NO_VALID_CREDENTIAL, "basic header without colon")
    return username, password


def _parse_key_json(text: str) -> dict:
    try:
        key = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise AuthFailure(401, errors.UNPARSEABLE_KEY, "key is not JSON") from None
    if not isinstance(key, dict):
        raise AuthFailure(401, errors.UNPARSEABLE_KEY, "key is not a JSON object")
    return key


def principal_for_basic(state: State, username: str, password: str) -> Principal:
    """The principal a Basic credential stands for, or raise AuthFailure."""
    if username == "_json_key":
        key = _parse_key_json(password)
    elif username == "_json_key_base64":
        compact = "".join(password.split())
        try:
            text = base64.b64decode(compact, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise AuthFailure(401, errors.UNPARSEABLE_KEY, "key is not base64") from None
        key = _parse_key_json(text)
    elif ACCESS_TOKEN_USERNAME.fullmatch(username):
        principal = state.token_principal(password, TOKEN_KINDS)
        if principal is None:
            raise AuthFailure(401, errors.AUTHENTICATION_FAILED, "access token unknown, expired or revoked")
        return principal
    else:
        raise AuthFailure(401, errors.NO_VALID_CREDENTIAL, "username not accepted")
    try:
        return state.check_key_file(key)
    except CredentialRefused as err:
        raise AuthFailure(401, errors.AUTHENTICATION_FAILED, f"key refused: {err}") from None
