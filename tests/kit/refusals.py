"""The one catalogue of refusals: each way a pull from Artifact Registry is refused, what the
registry answers, and what each real client prints for it.

A Refusal names a credential (a username and a password recipe, PASSWORDS), an image, a change
to the fake's state (kit.changes), and the token endpoint's answer: one of the fake's error
records (garauth.fake.errors), with what fills its message. `prints(client, refusal)` is the line each client ends
with; tests/sandbox/test_refusals.py runs every refusal with every client, and each platform's
troubleshooting cases (kit.suite.Case) say which refusal they are, so the guide's pages show
exactly these.

How each client reports the token endpoint's answer:
  * 401: the body is shown, as `CODE: message` with the code in lower case (Distribution's
    errcode form): skopeo and podman after "unable to retrieve auth token: invalid
    username/password:", the Docker Engine after `Head "https://HOST/v2/PATH/manifests/TAG":`,
    `docker login` after `Get "https://HOST/v2/":`; ctr shows only the status;
  * an empty password is no credential: skopeo, podman, the Docker Engine and ctr send none
    (`docker login` refuses it);
  * 403 and 400: skopeo 1.9 and podman 4.3 drop the body ("Requesting bearer token: invalid
    status code from registry 403 (Forbidden)"); the Docker Engine shows it; `docker login`
    asks for no scope, so it succeeds: a successful login proves the credential, not the right
    to pull.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from garauth.fake import demo, errors
from garauth.fake.state import repository_name
from kit.workdir import HOST, IMAGE, Workdir

CLIENTS = ("skopeo", "podman", "docker", "docker-login", "ctr")
RESOLVER = "127.0.0.53:53"  # the sandbox's NXDOMAIN resolver (garauth.fake.dns)


def _access_token(workdir: Workdir, who: str) -> str:
    """An access token for the account, issued by the live fake (as `gcloud auth print-access-token`)."""
    state = workdir.state
    principal = state.check_key_file(json.loads(workdir.key_text(who)))
    return state.issue_token(principal)[0]


# How a password is made from a demo account's key: the ways users get it right and wrong.
PASSWORDS: dict[str, Callable[[Workdir, str], str]] = {
    "key": lambda wd, who: wd.key_text(who),
    "key as base64": lambda wd, who: _b64(wd.key_text(who)),
    "key in quotes": lambda wd, who: "'" + wd.key_text(who) + "'",
    "key with escaped newlines": lambda wd, who: wd.key_text(who).replace("\n", "\\n"),
    "access token": _access_token,
    "none": lambda wd, who: "",
}


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


@dataclass(frozen=True)
class Refusal:
    name: str
    username: str  # "" sends no credential at all
    password: str  # a PASSWORDS recipe
    error: errors.FakeError | None  # the token endpoint's answer; None when it is never reached
    fields: tuple[tuple[str, str], ...] = ()  # what fills the error's message
    who: str = "reader"
    image: str = IMAGE
    change: str | None = None  # a kit.changes name, made after the password (an expired token)

    def password_for(self, workdir: Workdir) -> str:
        return PASSWORDS[self.password](workdir, self.who)

    @property
    def host(self) -> str:
        return self.image.split("/", 1)[0]

    @property
    def status(self) -> int:
        """The token endpoint's HTTP status; 0 when the registry is never reached."""
        return self.error.status if self.error else 0

    @property
    def answer(self) -> tuple[str, str] | None:
        """The token endpoint's (code, message)."""
        return (self.error.code, self.error.text(**dict(self.fields))) if self.error else None


def resource_of(image: str) -> str:
    """The repository a pkg.dev image names, as AR names it in a denial."""
    host, project, repo = image.split("/")[:3]
    return repository_name(project, host.removesuffix("-docker.pkg.dev"), repo)


def _on(image: str = IMAGE) -> tuple[tuple[str, str], ...]:
    return (("permission", errors.DOWNLOAD), ("resource", resource_of(image)))


WRONG_HOST = "us-east1-docker.pkg.dev"
NO_SUCH_HOST = "us-central-1-docker.pkg.dev"
WRONG_IMAGE = IMAGE.replace(HOST, WRONG_HOST)

REFUSALS = {
    r.name: r
    for r in [
        Refusal("base64-with-json-key", "_json_key", "key as base64", errors.UNPARSEABLE_KEY),
        Refusal("raw-with-json-key-base64", "_json_key_base64", "key", errors.UNPARSEABLE_KEY),
        Refusal("key-in-quotes", "_json_key", "key in quotes", errors.UNPARSEABLE_KEY),
        Refusal("escaped-newlines", "_json_key", "key with escaped newlines", errors.UNPARSEABLE_KEY),
        Refusal("double-underscore", "__json_key", "key", errors.NO_VALID_CREDENTIAL),
        Refusal("no-reader-role", "_json_key", "key", errors.DENIED, _on(), who="outsider"),
        Refusal("wrong-location", "_json_key", "key", errors.DENIED, _on(WRONG_IMAGE), image=WRONG_IMAGE),
        Refusal(
            "no-repository", "_json_key", "key", errors.NAME_INVALID, image=f"{HOST}/{demo.PROJECT}/hello:1.0"
        ),
        Refusal("deleted-key", "_json_key", "key", errors.AUTHENTICATION_FAILED, change="delete key"),
        Refusal(
            "disabled-account", "_json_key", "key", errors.AUTHENTICATION_FAILED, change="disable account"
        ),
        Refusal(
            "expired-access-token",
            "oauth2accesstoken",
            "access token",
            errors.AUTHENTICATION_FAILED,
            change="expire token",
        ),  # fmt: skip
        Refusal("unauthenticated-request", "", "none", errors.DENIED_UNAUTHENTICATED, _on()),
        # An unset CI variable: the clients then pull anonymously; `docker login` refuses.
        Refusal("empty-password", "_json_key", "none", errors.DENIED_UNAUTHENTICATED, _on()),
        Refusal("location-typo", "_json_key", "key", None, image=IMAGE.replace(HOST, NO_SUCH_HOST)),
    ]
}


def errcode(answer: tuple[str, str]) -> str:
    """How Go registry clients print a registry error: `name invalid: message`."""
    code, message = answer
    return f"{code.lower().replace('_', ' ')}: {message}"


_REASON = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}


def _path_and_tag(image: str) -> tuple[str, str]:
    path, _, tag = image.split("/", 1)[1].rpartition(":")
    return path, tag


def prints(client: str, refusal: Refusal) -> str:
    """The last line `client` prints when `refusal` happens (see the module docstring)."""
    image, host = refusal.image, refusal.host
    path, tag = _path_and_tag(image)
    ref = f"docker://{image}"
    anonymous = not refusal.username or refusal.password == "none"
    manifest = f'Head "https://{host}/v2/{path}/manifests/{tag}"'
    if refusal.answer is None:  # the host does not resolve: nothing reaches a registry
        dial = f'Get "https://{host}/v2/": dial tcp: lookup {host} on {RESOLVER}: no such host'
        return {
            "skopeo": f'Error parsing image name "{ref}": pinging container registry {host}: {dial}',
            "podman": f"Error: initializing source {ref}: pinging container registry {host}: {dial}",
            "docker": f"Error response from daemon: {dial}",
            "docker-login": f"Error response from daemon: {dial}",
            "ctr": f'ctr: failed to resolve reference "{image}": failed to do request: {manifest}: '
            f"dial tcp: lookup {host} on {RESOLVER}: no such host",
        }[client]
    status, shown = refusal.status, errcode(refusal.answer)
    if client == "docker":
        return f"Error response from daemon: {manifest}: {shown}"
    if client == "docker-login":
        if refusal.username and refusal.password == "none":
            return "Error: Cannot perform an interactive login from a non TTY device"
        if status == 401:
            return f'Error response from daemon: Get "https://{host}/v2/": {shown}'
        return "Login Succeeded"  # no scope asked: 403 and 400 come only with a pull
    if client == "ctr":
        if status == 400:
            return (
                f'ctr: failed to resolve reference "{image}": pulling from host {host} failed with '
                f"status code [manifests {tag}]: 400 Bad Request"
            )
        token = "anonymous token" if anonymous else "oauth token"
        return (
            f'ctr: failed to resolve reference "{image}": failed to authorize: failed to fetch {token}: '
            f"unexpected status: {status} {_REASON[status]}"
        )
    if status == 401:
        detail = f"unable to retrieve auth token: invalid username/password: {shown}"
    else:
        detail = f"Requesting bearer token: invalid status code from registry {status} ({_REASON[status]})"
    return {
        "skopeo": f'Error parsing image name "{ref}": {detail}',
        "podman": f"Error: initializing source {ref}: {detail}",
    }[client]


def registry_body(refusal: Refusal) -> str:
    """The token endpoint's body for the refusal, as the fake sends it (and curl prints it)."""
    return refusal.error.body(**dict(refusal.fields)).decode()
