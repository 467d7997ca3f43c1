"""Every refusal in the catalogue (kit.refusals), produced with every real client in the shared
sandbox and asserted as each prints it: skopeo inspect, podman pull, a pull through the Docker
Engine, `docker login` (through the engine), and `ctr images pull` through containerd; and the
token endpoint's own answer, which several of them drop."""

from __future__ import annotations

import pytest

from kit.availability import needs_sandbox, require, require_engine
from kit.outputs import client_lines, describe
from kit.refusals import CLIENTS, REFUSALS, Refusal, prints, registry_body
from kit.runner import AUTH_FILE, Basic, Secret, ctr_pull, pull_image, registry_answer

pytestmark = [pytest.mark.sandbox, needs_sandbox]

STATUS = {"skopeo": 1, "podman": 125, "docker": 1, "docker-login": 1, "ctr": 1}

# skopeo and podman get the credential as an auth entry for the host (what `login` would
# store), so the secret is in no command line; docker login reads it on its standard input.
_ENTRY = 'export REGISTRY_AUTH_FILE="$PWD/.refusal.json"; set -- "$REGISTRY_AUTH_FILE"\n' + AUTH_FILE
COMMANDS = {
    "skopeo": _ENTRY + "skopeo inspect docker://$GA_IMAGE",
    "podman": _ENTRY + "podman pull -q $GA_IMAGE",
    "docker-login": 'printf %s "$GA_PASSWORD" | docker login -u "$GA_USERNAME" --password-stdin "$GA_HOST"',
}


def _prepare(workdir, refusal: Refusal) -> Basic | None:
    """The refusal's credential (its password made first: an expired token must be issued), then
    its change to the fake's state."""
    cred = Basic(refusal.username, refusal.password_for(workdir)) if refusal.username else None
    if refusal.change:
        workdir.fake.change(refusal.change)
    return cred


def _run(client: str, refusal: Refusal, cred: Basic | None, workdir):
    if client == "docker":
        return pull_image(refusal.image, cred, workdir, engine="docker")
    if client == "ctr":
        return ctr_pull(
            refusal.image, workdir, cred.username if cred else None, cred.password if cred else ""
        )
    require(client.split("-")[0])
    if client == "docker-login":
        require_engine("docker")
    env = {
        "GA_IMAGE": refusal.image,
        "GA_HOST": refusal.host,
        "GA_USERNAME": cred.username if cred else "",
        "GA_PASSWORD": Secret(cred.password if cred else ""),
    }
    return workdir.sh(COMMANDS[client], env=env)


PAIRS = [
    (name, client)
    for name, refusal in REFUSALS.items()
    for client in CLIENTS
    if not (client == "docker-login" and not refusal.username)  # nothing to log in with
]


@pytest.mark.parametrize("name, client", PAIRS, ids=[f"{n}-{c}" for n, c in PAIRS])
def test_refusal_as_the_client_prints_it(workdir, name, client):
    refusal = REFUSALS[name]
    cred = _prepare(workdir, refusal)
    proc = _run(client, refusal, cred, workdir)
    expected = prints(client, refusal)
    if expected == "Login Succeeded":
        assert proc.returncode == 0, describe(proc)
        assert proc.stdout.splitlines()[0] == expected
    else:
        assert proc.returncode == STATUS[client], describe(proc)
        assert client_lines(proc.stderr)[-1] == expected, describe(proc)


ANSWERED = [name for name, refusal in REFUSALS.items() if refusal.answer]


@pytest.mark.parametrize("name", ANSWERED)
def test_the_token_endpoint_answers_as_catalogued(workdir, name):
    """The registry's own answer (curl): what skopeo and podman reduce to a status code."""
    refusal = REFUSALS[name]
    cred = _prepare(workdir, refusal)
    sent = cred if cred and cred.password else None  # clients send no empty password
    proc = registry_answer(refusal.image, sent, workdir)
    assert proc.returncode == 0, describe(proc)
    assert '"token"' not in proc.stdout, f"{name}: the registry issued a token"
    assert proc.stdout.strip() == registry_body(refusal)
    status = workdir.fake.requests()[-1]
    assert (status["path"], status["status"]) == ("/v2/token", refusal.status)
