"""The platform-neutral runner: what a reader says a system pulls, done by real clients in the
shared sandbox against the live fake.

    pull(spec, workdir, bound)            pull a PullSpec's image with its credential, as written,
                                          through an engine (default: the Docker Engine)
    run_step(command, workdir, bound)     run a shell command from a config as written (`docker
                                          login ... --password-stdin`, `docker pull`, ...)
    token_request(spec, workdir, bound)   the registry's own answer to the pull's token request
    exchange(fields, workdir, token)      Workload Identity Federation, as google-auth does it
    ctr_pull(image, workdir, user, pw)    containerd: `ctr images pull --user NAME`, the password
                                          typed at its prompt through a pseudo-terminal

`bound` holds the values the platform gives the file's variables (the platform's test module
declares them); a PullSpec names variables, never values. `workdir` is a kit Workdir, or the path
of a fake workdir whose state.json the fake serves for the call (and saves back after).
Secrets travel in environment variables (GA_*) or through a pty, never in an argv, and never
reach an assertion message.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import subprocess
import termios
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from garauth.fake import demo
from garauth.fake.oidc import issuer_url, mint_circleci_token
from garauth.fake.state import State
from garauth.model import CredentialKind, PullSpec, SecretSource
from garauth.sandbox.clients import containerd_hosts_dir
from garauth.sandbox.session import kill_group
from kit import live
from kit.availability import require, require_engine
from kit.workdir import Workdir

ENGINES = ("docker", "podman", "containerd")
ENGINE_OF_RECORD = "docker"  # what CI job images and `docker pull` lines run through


class Secret(str):
    """A password or token: a str whose repr (in tracebacks and assertion messages) hides it."""

    def __repr__(self) -> str:
        return "<secret>"


@dataclass(frozen=True)
class Basic:
    username: str
    password: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "password", Secret(self.password))

    def __repr__(self) -> str:  # never show the password
        return f"Basic({self.username!r}, <secret>)"


@dataclass(frozen=True)
class Federated:
    """A gcp_auth-style credential: the job's OIDC token exchanged through Workload Identity
    Federation for an access token of a service account."""

    pool: str
    provider: str
    account: str


def _value(text: str | None, var: str | None, bound: Mapping[str, str], spec: PullSpec) -> str:
    if var:
        if var not in bound:
            raise AssertionError(f"{spec.position}: the test binds no value for ${var}")
        return bound[var]
    return text or ""


def _field(value: str, bound: Mapping[str, str]) -> str | None:
    """A gcp_auth field: written out, or a `$VARIABLE` the platform fills in (None if unset)."""
    if value.startswith("$"):
        return bound.get(value.lstrip("${").rstrip("}"))
    return value


def credential(spec: PullSpec, bound: Mapping[str, str]) -> Basic | Federated | None:
    """The credential a pull of `spec` sends, its variables bound; None for an anonymous pull."""
    cred = spec.credential
    if cred.kind == CredentialKind.BASIC:
        if cred.password_ref and cred.password_source != SecretSource.ENV:
            raise AssertionError(f"{spec.position}: the runner takes passwords from variables only")
        password = _value(None, cred.password_ref, bound, spec) if cred.password_ref else ""
        return Basic(_value(cred.username, cred.username_var, bound, spec), password)
    if cred.kind == CredentialKind.GCP_AUTH:
        fields = {name: _field(value, bound) for name, value in cred.fields.items()}
        if None in fields.values():
            if cred.implicit:
                return None  # the platform applies it only when its variables are set
            raise AssertionError(f"{spec.position}: the test binds no value for a gcp_auth field")
        return Federated(
            fields["workload_identity_pool"],
            fields["workload_identity_provider"],
            fields["oidc_service_account"],
        )
    if cred.kind == CredentialKind.NONE:
        return None
    raise AssertionError(f"{spec.position}: no way to pull with a {cred.kind} credential")


@dataclass
class PullResult:
    spec: PullSpec
    engine: str
    proc: subprocess.CompletedProcess
    stage: str = "pull"  # "exchange" when a token exchange was refused before any pull

    @property
    def ok(self) -> bool:
        return self.proc.returncode == 0

    @property
    def digest(self) -> str:
        """The manifest digest the engine pulled (empty when the pull failed)."""
        return self.proc.stdout.strip().rpartition("@")[2] if self.ok else ""

    def describe(self) -> str:
        return (
            f"{self.spec.position}: pulling {self.spec.image_text} with {self.engine} exited "
            f"{self.proc.returncode}\n--- stdout\n{self.proc.stdout[-2000:]}\n--- stderr\n{self.proc.stderr[-2000:]}"
        )


@contextlib.contextmanager
def _in(workdir: Workdir | Path) -> Iterator[Workdir]:
    """A Workdir to run in: itself, or a fake workdir's path with its state served meanwhile."""
    if isinstance(workdir, Workdir):
        yield workdir
        return
    with live.shared().fake.serving(Path(workdir)):
        yield Workdir(Path(workdir))


def _auth_env(image: str, cred: Basic | None) -> dict[str, str]:
    return {
        "GA_IMAGE": image,
        "GA_HOST": image.split("/", 1)[0],
        "GA_USERNAME": cred.username if cred else "",
        "GA_PASSWORD": Secret(cred.password if cred else ""),
    }


# The credential goes to the engine the way a CI platform hands it over for a job image: as an
# auth entry for the host, used for this pull alone (no login step, nothing kept afterwards).
# Shell: writes the auth file named by $1 from $GA_HOST, $GA_USERNAME and $GA_PASSWORD.
AUTH_FILE = """
umask 077
if [ -n "$GA_USERNAME" ]; then
  AUTH=$(printf '%s:%s' "$GA_USERNAME" "$GA_PASSWORD" | base64 -w0)
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$GA_HOST" "$AUTH" > "$1"
else
  printf '{"auths":{}}' > "$1"
fi
"""

_DOCKER_PULL = (
    """
export DOCKER_CONFIG="$PWD/.pull-$$"; mkdir "$DOCKER_CONFIG"; trap 'rm -rf "$DOCKER_CONFIG"' EXIT
set -- "$DOCKER_CONFIG/config.json"
"""
    + AUTH_FILE
    + """
docker pull -q "$GA_IMAGE" >/dev/null
docker image inspect --format '{{index .RepoDigests 0}}' "$GA_IMAGE"
docker image rm -f "$GA_IMAGE" >/dev/null
"""
)

_PODMAN_PULL = (
    """
export REGISTRY_AUTH_FILE="$PWD/.auth-$$.json"; trap 'rm -f "$REGISTRY_AUTH_FILE"' EXIT
set -- "$REGISTRY_AUTH_FILE"
"""
    + AUTH_FILE
    + """
podman pull -q "$GA_IMAGE" >/dev/null
printf '%s@%s\n' "$GA_IMAGE" "$(podman image inspect --format '{{.Digest}}' "$GA_IMAGE")"
podman rmi -f "$GA_IMAGE" >/dev/null
"""
)


def oidc_token(state: State, pool: str, provider: str, *, v2: bool = False) -> str:
    """The job's OIDC token, minted by the fake's stand-in for the issuer the provider trusts
    (for CircleCI's issuer, shaped like $CIRCLE_OIDC_TOKEN, or _V2 with v2=True)."""
    settings = state.providers.get(f"{pool}/providers/{provider}")
    issuer = settings["issuer"] if settings else issuer_url(demo.ORG_ID)
    if issuer.startswith(issuer_url("")):
        return mint_circleci_token(state, issuer.rsplit("/", 1)[1], demo.CIRCLECI_PROJECT_ID, v2=v2)
    raise AssertionError(f"the fake has no stand-in for the OIDC issuer {issuer}")


def exchange(cred: Federated, workdir: Workdir, subject_token: str) -> subprocess.CompletedProcess:
    """The token exchange as google-auth does it (STS, then IAM credentials), in the sandbox;
    stdout is the access token, stderr google-auth's error."""
    return workdir.run(
        ["sh", "-ec", '"$PY" "$KIT_INSIDE/wif_token.py" "$GA_POOL" "$GA_PROVIDER" "$GA_ACCOUNT"'],
        env={"GA_POOL": cred.pool, "GA_PROVIDER": cred.provider, "GA_ACCOUNT": cred.account,
             "GA_OIDC_TOKEN": subject_token},
    )  # fmt: skip


def pull(
    spec: PullSpec,
    workdir: Workdir | Path,
    bound: Mapping[str, str] | None = None,
    *,
    engine: str = ENGINE_OF_RECORD,
    v2_token: bool = False,
) -> PullResult:
    """Pull the image of `spec` as written, with its credential, through `engine`: "docker" (the
    Docker Engine, via the docker CLI), "podman" or "containerd" (ctr). A gcp_auth credential
    is first exchanged for an access token (a failed exchange is the result)."""
    cred = credential(spec, bound or {})
    _require(engine)
    with _in(workdir) as wd:
        if isinstance(cred, Federated):
            token = oidc_token(wd.state, cred.pool, cred.provider, v2=v2_token)
            exchanged = exchange(cred, wd, token)
            if exchanged.returncode != 0:
                return PullResult(spec, engine, exchanged, stage="exchange")
            cred = Basic("oauth2accesstoken", exchanged.stdout.strip())
        return PullResult(spec, engine, pull_image(spec.image_text, cred, wd, engine=engine))


def pull_image(
    image: str, cred: Basic | None, workdir: Workdir, *, engine: str = ENGINE_OF_RECORD
) -> subprocess.CompletedProcess:
    """Pull `image` with a username and password (or none) through `engine`, the way a CI
    platform hands a job image's credential to its engine: for this pull alone. On success
    stdout is IMAGE@DIGEST and the image is removed again; on failure stderr ends with the
    engine's message."""
    _require(engine)
    if engine == "containerd":
        return _containerd_pull(image, workdir, cred)
    return workdir.sh(_DOCKER_PULL if engine == "docker" else _PODMAN_PULL, env=_auth_env(image, cred))


def _require(engine: str) -> None:
    if engine not in ENGINES:
        raise AssertionError(f"no engine {engine!r}: choose from {', '.join(ENGINES)}")
    if engine in ("docker", "containerd"):
        require_engine(engine)
    require({"docker": "docker", "podman": "podman", "containerd": "ctr"}[engine])


def run_step(
    command: str, workdir: Workdir | Path, bound: Mapping[str, str] | None = None, *, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run a command from a config as written (`sh -e`), with the file's variables bound; docker
    commands reach the shared Docker Engine."""
    with _in(workdir) as wd:
        return live.shared().session.run(
            ["sh", "-ec", command], clients=wd.path, cwd=cwd or wd.path, env=dict(bound or {}), timeout=180
        )


_TOKEN_REQUEST = """
# Ask the registry's token endpoint directly, as go-containerregistry tools (crane, ko, skaffold)
# do, and print its answer: the registry's own reason for a refusal, which podman does not show.
PATH_=${GA_IMAGE#*/}; PATH_=${PATH_%%[:@]*}
HDR="$PWD/.hdr-$$"; trap 'rm -f "$HDR"' EXIT
if [ -n "$GA_USERNAME" ]; then
  printf 'Authorization: Basic %s\\n' "$(printf '%s:%s' "$GA_USERNAME" "$GA_PASSWORD" | base64 -w0)" > "$HDR"
else
  : > "$HDR"
fi
curl -sS -H @"$HDR" "https://$GA_HOST/v2/token?scope=repository:$PATH_:pull&service=$GA_HOST"
echo
"""


def token_request(
    spec: PullSpec, workdir: Workdir | Path, bound: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The registry's answer to the token request a pull of `spec` makes (basic or no credential)."""
    cred = credential(spec, bound or {})
    if isinstance(cred, Federated):
        raise AssertionError(f"{spec.position}: token_request takes basic or no credentials")
    with _in(workdir) as wd:
        return registry_answer(spec.image_text, cred, wd)


def registry_answer(image: str, cred: Basic | None, workdir: Workdir) -> subprocess.CompletedProcess:
    """curl's request to the token endpoint for a pull of `image`; stdout is the body."""
    require("curl")
    return workdir.sh(_TOKEN_REQUEST, env=_auth_env(image, cred))


def ctr_pull(
    image: str, workdir: Workdir, username: str | None = None, password: str = ""
) -> subprocess.CompletedProcess:
    """`ctr images pull` into the shared containerd (the registry hosts of the sandbox), as a
    Kubernetes node's runtime pulls: with `--user NAME`, ctr asks for the password on its
    terminal, which gets it through a pty (echo off), never in an argv. ctr reads one line: a
    JSON key goes as compact JSON (the same key). On success stdout ends with the digest."""
    require_engine("containerd")
    require("ctr")
    return _containerd_pull(image, workdir, Basic(username, password) if username else None)


def _containerd_pull(image: str, workdir: Workdir, cred: Basic | None) -> subprocess.CompletedProcess:
    session = live.shared().session
    hosts = str(containerd_hosts_dir(session.layout))
    argv = ["ctr", "images", "pull", "--hosts-dir", hosts]
    if cred:
        argv += ["--user", cred.username]
    argv.append(image)
    line = _one_line(cred.password) if cred else None
    if cred and line is None:
        pytest.skip("ctr reads its password as one line; this one has several and is not JSON")
    proc = _with_pty_input(argv, workdir, line)
    if proc.returncode != 0:
        return proc
    listed = workdir.run(["ctr", "images", "ls", f"name=={image}"])  # REF TYPE DIGEST SIZE ...
    workdir.run(["ctr", "images", "rm", "--sync", image])
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    digest = rows[0][2] if rows and len(rows[0]) > 2 else ""
    return subprocess.CompletedProcess(proc.args, 0, f"{image}@{digest}\n", proc.stderr)


def _one_line(password: str) -> Secret | None:
    """The password as one line (a JSON key as compact JSON), or None if it cannot be one."""
    if "\n" not in password.strip():
        return Secret(password)
    try:
        return Secret(json.dumps(json.loads(password), separators=(",", ":")))
    except ValueError:
        return None


def _with_pty_input(
    argv: list[str], workdir: Workdir, line: Secret | None, timeout: float = 180
) -> subprocess.CompletedProcess:
    """Run argv in the shared sandbox with a pty as its standard input, `line` typed into it."""
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~(termios.ECHO | termios.ICANON)  # no echo; no 4096-byte line limit
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    session = live.shared().session
    try:
        proc = session.popen(
            argv, clients=workdir.path, cwd=workdir.path, stdin=slave,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        os.close(slave)
        slave = -1
        if line is not None:
            os.write(master, line.encode() + b"\n")
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            out, err = proc.communicate()
            raise subprocess.TimeoutExpired(argv, timeout, out, err) from None
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)
