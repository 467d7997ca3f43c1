"""What a registry Basic credential (username, password) means, as Artifact Registry reads it.

The usernames AR accepts, and what each expects as the password (the key file, its base64, or an
OAuth 2.0 access token), are the project's one list: `garauth.data.usernames()`
(src/garauth/data/usernames.toml, with sources). Whether AR matches a fixed list or a pattern is
UNCONFIRMED; the fake takes exactly these. No input raises anything but AuthFailure.
"""

from __future__ import annotations

import base64
import binascii
import json

from garauth import data
from garauth.fake import errors
from garauth.fake.state import CredentialRefused, Principal, State

TOKEN_KINDS = ("access", "federated")


class AuthFailure(Exception):
    """A credential the registry refuses: the error to send, and a reason for the log."""

    def __init__(self, error: errors.FakeError, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


def parse_basic(header: str) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic ...` value; None if not Basic."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # not base64, not ASCII, not UTF-8 once decoded
        raise AuthFailure(errors.NO_VALID_CREDENTIAL, "malformed basic header") from None
    username, sep, password = decoded.partition(":")  # split at the first colon: keys hold colons
    if not sep:
        raise AuthFailure(errors.NO_VALID_CREDENTIAL, "basic header without colon")
    return username, password


def _parse_key_json(text: str) -> dict:
    try:
        key = json.loads(text)
    except (ValueError, RecursionError):  # bad JSON, deep nesting, a number of over 4,300 digits
        raise AuthFailure(errors.UNPARSEABLE_KEY, "key is not JSON") from None
    if not isinstance(key, dict):
        raise AuthFailure(errors.UNPARSEABLE_KEY, "key is not a JSON object")
    return key


def safe_username(username: str) -> bool:
    """May the username be logged? Only if AR accepts it (a password typed as a username stays out)."""
    return data.username(username) is not None


def principal_for_basic(state: State, username: str, password: str) -> Principal:
    """The principal a Basic credential stands for, or raise AuthFailure."""
    accepted = data.username(username)
    if accepted is None:
        raise AuthFailure(errors.NO_VALID_CREDENTIAL, "username not accepted")
    if accepted.password == "token":
        principal = state.token_principal(password, TOKEN_KINDS)
        if principal is None:
            raise AuthFailure(errors.AUTHENTICATION_FAILED, "access token unknown, expired or revoked")
        return principal
    if accepted.password == "key_base64":
        compact = "".join(password.split())
        try:
            text = base64.b64decode(compact, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise AuthFailure(errors.UNPARSEABLE_KEY, "key is not base64") from None
        key = _parse_key_json(text)
    elif accepted.password == "key":
        key = _parse_key_json(password)
    else:  # a kind of password usernames.toml gained and this module does not know yet
        raise AuthFailure(errors.NO_VALID_CREDENTIAL, "username not handled by the fake")
    try:
        return state.check_key_file(key)
    except CredentialRefused as err:
        raise AuthFailure(errors.AUTHENTICATION_FAILED, f"key refused: {err}") from None
