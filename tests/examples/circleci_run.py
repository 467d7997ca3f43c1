"""Run CircleCI snippets for real: bind their project/context variables to keys the fake
issued, then pull each image CircleCI would pull with podman inside `garauth sandbox`, or run
their `docker login` steps as written with the docker CLI.

Secrets travel only in environment variables (GA_*), never in argv or assertion messages.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from garauth import sandbox
from garauth.fake import demo
from garauth.fake.oidc import mint_circleci_token
from garauth.fake.state import State
from garauth.model import PullSpec
from garauth.readers.circleci import IMPLICIT_GCP_VARIABLES as _IMPLICIT

HERE = Path(__file__).resolve().parent
CIRCLECI = HERE.parents[1] / "examples" / "circleci"


def variables(workdir: Path) -> dict[str, str]:
    """What the snippets' project and context variables hold in the tests (secret values)."""
    keys = workdir / "keys"
    raw = {who: (keys / f"{who}.json").read_text() for who in ("reader", "writer")}
    return {
        "GCLOUD_SERVICE_KEY": raw["reader"],
        "GCLOUD_SERVICE_KEY_B64": base64.b64encode(raw["reader"].encode()).decode(),
        "GCLOUD_WRITER_KEY_B64": base64.b64encode(raw["writer"].encode()).decode(),
        "GCP_OIDC_SERVICE_ACCOUNT": demo.email("reader"),
        "GCP_WORKLOAD_IDENTITY_POOL": demo.pool_name(),
        "GCP_WORKLOAD_IDENTITY_PROVIDER": demo.PROVIDER_ID,
    }


def _value(text: str | None, var: str | None, bound: dict[str, str]) -> str:
    if var:
        if var not in bound:
            raise AssertionError(f"the test binds no value for ${var}; add it to circleci_run.variables")
        return bound[var]
    return text or ""


def _basic_env(cred, bound: dict[str, str]) -> dict[str, str]:
    """GA_USERNAME and GA_PASSWORD for an auth: credential, its variables bound."""
    return {
        "GA_USERNAME": _value(cred.username, cred.username_var, bound),
        "GA_PASSWORD": _value(None, cred.password_ref, bound) if cred.password_ref else "",
    }


@dataclass
class PullResult:
    spec: PullSpec
    proc: subprocess.CompletedProcess

    @property
    def ok(self) -> bool:
        return self.proc.returncode == 0

    def describe(self) -> str:
        return (
            f"{self.spec.position}: pulling {self.spec.image_text} exited {self.proc.returncode}\n"
            f"--- stdout\n{self.proc.stdout[-2000:]}\n--- stderr\n{self.proc.stderr[-2000:]}"
        )


_PULL = """
# Credentials go to podman the way a Docker executor hands them to its engine: as an auth
# entry for the host, used for the pull itself (no separate login step).
export REGISTRY_AUTH_FILE="$PWD/auth-$$.json"
trap 'rm -f "$REGISTRY_AUTH_FILE"' EXIT
if [ -n "$GA_USERNAME" ]; then
  AUTH=$(printf '%s:%s' "$GA_USERNAME" "$GA_PASSWORD" | base64 -w0)
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$GA_HOST" "$AUTH" > "$REGISTRY_AUTH_FILE"
else
  printf '{"auths":{}}' > "$REGISTRY_AUTH_FILE"
fi
podman pull -q "$GA_IMAGE" >/dev/null
podman image inspect --format '{{.Digest}}' "$GA_IMAGE"
podman rmi -f "$GA_IMAGE" >/dev/null
"""

_WIF_PULL = (
    """
GA_PASSWORD=$("$PY" "$WIF_TOKEN" "$GA_POOL" "$GA_PROVIDER" "$GA_ACCOUNT")
export GA_PASSWORD
"""
    + _PULL
)


def oidc_token(workdir: Path, *, v2: bool = False) -> str:
    """A token shaped like $CIRCLE_OIDC_TOKEN for the demo CircleCI org and project."""
    return mint_circleci_token(State.load(workdir), demo.ORG_ID, demo.CIRCLECI_PROJECT_ID, v2=v2)


def pull(
    spec: PullSpec, workdir: Path, bound: dict[str, str] | None = None, *, v2_token: bool = False
) -> PullResult:
    """Pull the image of one PullSpec as CircleCI would, with podman in the sandbox."""
    bound = variables(workdir) if bound is None else bound
    cred = spec.credential
    env = {"GA_IMAGE": spec.image_text, "GA_HOST": spec.image_text.split("/")[0], "PY": sys.executable,
           "WIF_TOKEN": str(HERE.parent / "kit" / "inside" / "wif_token.py")}  # fmt: skip
    script = _PULL
    if cred.kind == "basic":
        env.update(_basic_env(cred, bound))
    elif cred.kind == "gcp_auth" and cred.implicit and not all(v in bound for v in _IMPLICIT.values()):
        env["GA_USERNAME"] = ""  # CircleCI: no auth, no GCP_* variables -> an anonymous pull
    elif cred.kind == "gcp_auth":
        fields = cred.fields
        if cred.implicit:
            fields = {k: bound[v] for k, v in _IMPLICIT.items()}
        env.update(GA_POOL=fields["workload_identity_pool"], GA_PROVIDER=fields["workload_identity_provider"],
                   GA_ACCOUNT=fields["oidc_service_account"], GA_USERNAME="oauth2accesstoken",
                   GA_OIDC_TOKEN=oidc_token(workdir, v2=v2_token))  # fmt: skip
        script = _WIF_PULL
    elif cred.kind == "none":
        env["GA_USERNAME"] = ""
    else:
        raise AssertionError(f"{spec.position}: no way to pull with a {cred.kind} credential")
    proc = sandbox.run(["sh", "-ec", script], workdir, env=env, timeout=180)
    return PullResult(spec, proc)


def run_step(command: str, workdir: Path, bound: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a `run:` step's command as written, with the snippet's variables bound, in the sandbox."""
    bound = variables(workdir) if bound is None else bound
    return sandbox.run(["sh", "-ec", command], workdir, env=bound, timeout=180)


_TOKEN_REQUEST = """
# Ask the registry's token endpoint directly, as go-containerregistry tools (crane, ko, skaffold)
# do, and print its answer: the registry's own reason for a refusal, which podman does not show.
PATH_=${GA_IMAGE#*/}; PATH_=${PATH_%%[:@]*}
HDR="$PWD/hdr-$$"; trap 'rm -f "$HDR"' EXIT
if [ -n "$GA_USERNAME" ]; then
  printf 'Authorization: Basic %s\\n' "$(printf '%s:%s' "$GA_USERNAME" "$GA_PASSWORD" | base64 -w0)" > "$HDR"
else
  : > "$HDR"
fi
curl -sS -H @"$HDR" "https://$GA_HOST/v2/token?scope=repository:$PATH_:pull&service=$GA_HOST"
echo
"""


def token_request(spec: PullSpec, workdir: Path, bound: dict[str, str]) -> subprocess.CompletedProcess:
    """The registry's answer to the token request a pull of `spec` makes (basic credentials only)."""
    cred = spec.credential
    env = {
        "GA_IMAGE": spec.image_text,
        "GA_HOST": spec.image_text.split("/")[0],
        "GA_USERNAME": "",
        "GA_PASSWORD": "",
    }
    if cred.kind == "basic":
        env.update(_basic_env(cred, bound))
    elif cred.kind != "none" and not (cred.kind == "gcp_auth" and cred.implicit):
        raise AssertionError(f"{spec.position}: token_request takes basic or no credentials, not {cred.kind}")
    return sandbox.run(["sh", "-ec", _TOKEN_REQUEST], workdir, env=env, timeout=120)
