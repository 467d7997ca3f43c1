"""The fake's ASGI app: pick a service by the request's Host header, and log every request.

Registry hosts (`garauth.data.registry_hosts()`) get the Docker registry API; the endpoint hosts of
`garauth.data.endpoints()` get the OAuth 2.0 token endpoint, STS, IAM credentials, the
CircleCI-style OIDC issuer, and the admin APIs gcloud calls (IAM, Resource Manager, Artifact
Registry's management API). Any other Host gets 404.

Each request is logged as one JSON line: time, host, SNI (when served by `server.serve`), method,
path, auth scheme, username (only the usernames AR accepts), principal, status, outcome. No
password, key, token or Authorization value is ever logged; query strings are not logged either,
except the token endpoint's `service` and `scope`.

Around every service, the app:
- writes the state durably before a response starts (`State.sync`), so what a client was told
  (a push accepted, a key created) survives a kill;
- closes the connection after answering a request whose body it did not read (a refusal before
  the body, a body over a cap), so the rest of that body is never read;
- answers 500 with a JSON body and one log line naming the exception type (never its text), if a
  handler fails: a bug in the fake, which its tests keep from happening for any input.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

from garauth import data
from garauth.fake import errors
from garauth.fake.artifactregistry import ArtifactRegistry
from garauth.fake.github_oidc import GithubIssuer
from garauth.fake.gitlab_bitbucket_oidc import BitbucketIssuer, GitlabIssuer
from garauth.fake.iam import Iam
from garauth.fake.iamcredentials import IamCredentials
from garauth.fake.oauth import OAuth
from garauth.fake.oidc import OidcIssuer
from garauth.fake.registry import Registry, error_response
from garauth.fake.resourcemanager import ResourceManager
from garauth.fake.state import State
from garauth.fake.sts import Sts

logger = logging.getLogger("garauth.fake")

LOG_MODE = 0o644  # the request log holds no secret

# client (address, port) -> SNI server name, filled by the TLS protocol in server.py
SNI_BY_CLIENT: dict[tuple, str] = {}


class RequestLog:
    """One JSON line per request, to a file (appended) and/or the `garauth.fake` logger."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self.lock = threading.Lock()
        self.records: list[dict] = []  # the last requests, for in-process tests

    def write(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=True)
        with self.lock:
            self.records.append(record)
            del self.records[:-5000]
            if self.path:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, LOG_MODE)
                with os.fdopen(fd, "a") as fh:
                    fh.write(line + "\n")
        logger.debug("%s", line)


class FakeGoogle:
    """The whole fake as one ASGI app over one State."""

    def __init__(self, state: State, log: RequestLog | None = None) -> None:
        self.state = state
        self.log = log or RequestLog()
        ep = data.endpoints()
        self.registry = Registry(state)
        self.services = {
            ep["oauth2"]: OAuth(state),
            ep["sts"]: Sts(state),
            ep["iamcredentials"]: IamCredentials(state),
            ep["circleci_oidc"]: OidcIssuer(state),
            ep["github_oidc"]: GithubIssuer(state),
            ep["gitlab_oidc"]: GitlabIssuer(state),
            ep["bitbucket_oidc"]: BitbucketIssuer(state),
            # the admin APIs the guide's gcloud commands call
            ep["iam"]: Iam(state),
            ep["cloudresourcemanager"]: ResourceManager(state),
            ep["artifactregistry"]: ArtifactRegistry(state),
        }
        self.registry_hosts = frozenset(data.registry_hosts())

    def route(self, host: str):
        if host in self.registry_hosts:
            return self.registry
        return self.services.get(host)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").split(":")[0].lower().rstrip(".")
        info = scope.setdefault("garauth", {})
        status = {"code": 0}
        started = time.time()
        app = self.route(host)
        body = {"done": False}
        declares_body = "transfer-encoding" in headers or headers.get("content-length", "").strip() not in (
            "",
            "0",
        )

        async def receive_noted():
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body["done"] = True
            return message

        async def send_logged(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                self._sync_state()
                if declares_body and not body["done"]:
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        try:
            if app is None:
                info["outcome"] = "unknown host"
                await error_response(errors.HOST_UNKNOWN, host=host or "this host")(
                    scope, receive_noted, send_logged
                )
            else:
                await app(scope, receive_noted, send_logged)
        except Exception as exc:  # a bug in the fake: one line, never the exception's text
            info.update(outcome="internal error", reason=type(exc).__name__)
            logger.error("the fake failed on %s %s: %s", scope["method"], scope["path"], type(exc).__name__)
            if status["code"] == 0:
                await error_response(errors.INTERNAL, {"Connection": "close"})(
                    scope, receive_noted, send_logged
                )
        finally:
            record = {
                "time": round(started, 3),
                "host": host,
                "sni": SNI_BY_CLIENT.get(tuple(scope.get("client") or ())),
                "method": scope["method"],
                "path": scope["path"],
                "status": status["code"],
                "user_agent": headers.get("user-agent", "")[:200],
                "auth": headers.get("authorization", "").split(" ", 1)[0].lower() or None,
            }
            for key in ("principal", "outcome", "username", "service", "scope", "digest", "reason"):
                if key in info:
                    record[key] = info[key]
            self.log.write(record)

    def _sync_state(self) -> None:
        try:
            self.state.sync()
        except OSError as err:  # a full disk, say: say so once per failure, keep answering
            logger.error("cannot write the state to the workdir: %s", err.strerror or type(err).__name__)
