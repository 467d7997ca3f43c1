"""Docker's client configuration (`~/.docker/config.json`), wherever it is written: on disk, as a
Kubernetes `kubernetes.io/dockerconfigjson` Secret's `.dockerconfigjson`, or as GitLab's
`DOCKER_AUTH_CONFIG` variable.

    entries(doc, position, stored) -> list[PullSpec]   one per registry the config names
    detect(path, doc) / read_doc(path, doc)            a config.json file, for `garauth check`

Per registry (the key of `auths` or `credHelpers`, as written: Docker matches it against the
image's host, so a scheme or a path in it matters and rules judge that):
    auths.HOST.auth             base64 of USERNAME:PASSWORD; the username is kept, the password
                                only described (password_kind) and its source is `stored`
    auths.HOST.username/password  the same, written apart
    auths.HOST.identitytoken    an OAuth refresh token (kept as password_kind only)
    credHelpers.HOST            a credential helper program, docker-credential-NAME (kind HELPER)
    credsStore                  the default helper for every other host (context "creds_store")

`stored` says where the whole config lives: SecretSource.LITERAL for a file in a repository
(a Secret manifest), SecretSource.ENV when it is the value of a CI variable. Format:
https://docs.docker.com/reference/cli/docker/login/#credential-stores
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from garauth.model import Credential, CredentialKind, Position, PullSpec, SecretSource
from garauth.readers import ReadResult
from garauth.secretlike import kind_of_secret

NAME = "docker-config"


def detect(path: str, doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    return Path(path).name == "config.json" or "auths" in doc or "credHelpers" in doc or "credsStore" in doc


def read_doc(path: str, doc: Any) -> ReadResult:
    return ReadResult(entries(doc, Position(path, 1, 1), SecretSource.LITERAL), [], NAME)


def _decode_auth(value: Any) -> tuple[str | None, str | None]:
    """(username, password) from an `auth` value; (None, None) when it is not base64 of USER:PASS."""
    if not isinstance(value, str):
        return None, None
    try:
        text = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None, None
    user, sep, password = text.partition(":")
    return (user, password) if sep else (None, None)


def entries(doc: Any, where: Position, stored: SecretSource, ref: str | None = None) -> list[PullSpec]:
    """One PullSpec (no image; image_text is the registry key as written) per registry entry."""
    out: list[PullSpec] = []
    if not isinstance(doc, dict):
        return out
    auths = doc.get("auths")
    for host, entry in auths.items() if isinstance(auths, dict) else ():
        context = {"config": "auths", "stored": stored.value}
        username = password = None
        if isinstance(entry, dict):
            if "auth" in entry:
                username, password = _decode_auth(entry.get("auth"))
                if username is None:
                    context["auth_undecodable"] = "true"
            if isinstance(entry.get("username"), str):
                username = entry["username"]
            if isinstance(entry.get("password"), str):
                password = entry["password"]
            if isinstance(entry.get("identitytoken"), str):
                context["identity_token"] = "true"
                password = entry["identitytoken"]
        cred = Credential(
            kind=CredentialKind.BASIC,
            username=username,
            password_source=stored if password is not None else SecretSource.NONE,
            password_ref=ref,
            password_kind=kind_of_secret(password) if password is not None else None,
            position=where,
        )
        out.append(PullSpec(None, str(host), cred, where, context, NAME))
    helpers = doc.get("credHelpers")
    for host, helper in helpers.items() if isinstance(helpers, dict) else ():
        cred = Credential(kind=CredentialKind.HELPER, fields={"helper": str(helper)}, position=where)
        out.append(PullSpec(None, str(host), cred, where, {"config": "credHelpers"}, NAME))
    store = doc.get("credsStore")
    if isinstance(store, str):
        cred = Credential(kind=CredentialKind.HELPER, fields={"helper": store}, position=where)
        out.append(PullSpec(None, "", cred, where, {"config": "credsStore"}, NAME))
    return out
