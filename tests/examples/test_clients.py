"""Registry clients and credential helpers: the login scripts of examples/shell/ and the Docker
configurations of examples/docker/, run as written with the real docker CLI (and the Docker
Engine behind it), podman and skopeo in the run's shared sandbox (tests/kit), against the local
stand-in on the real hostnames (TLS verified).

What the guide's pages on the docker CLI, podman and skopeo, and credential helpers state, and the
GA8xx rules rest on, is checked here:

- every login example logs in as written, and the registry sees the username it shows;
- every username Artifact Registry accepts logs the docker CLI in; `_dcgcr__token`, which an
  unversioned docker-credential-gcr build sent, is refused;
- podman's order of auth files (the flag or REGISTRY_AUTH_FILE, DOCKER_CONFIG, XDG_RUNTIME_DIR,
  XDG_CONFIG_HOME, ~/.docker/config.json, ~/.dockercfg) and that a refused credential does not fall
  through to the next file;
- how the Docker Engine (through the docker CLI) and containers/image read an `auths` key with a
  scheme or a path, and that a `credsStore` hides the `auths` credentials from the docker CLI (not
  from podman or skopeo);
- a `credHelpers` entry for docker-credential-gcr, with a stand-in for that helper (it cannot be
  installed here; tests/examples/clients/docker-credential-gcr says what it copies from the real
  one): the Docker Engine, podman and skopeo pull through it; with an unversioned build's username
  the registry refuses it;
- the GA8xx rules' claims: a helper key with a scheme is never asked, a helper name with the
  docker-credential- prefix names a program that does not exist, a Google helper as credsStore
  answers (or refuses) other registries.

Secrets stay inside the sandbox: scripts read keys from keys/*.json and tokens from files; no
password or token is in an argv, in an assertion message or in a stored output. Every image a
test pulls into the shared Docker Engine is removed again in the same script.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from garauth import data
from garauth.fake import demo
from kit.availability import needs, needs_engine, needs_sandbox
from kit.outputs import client_lines, compare, describe
from kit.workdir import HOST, IMAGE, Workdir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SHELL = EXAMPLES / "shell"
DOCKER = EXAMPLES / "docker"
ERRORS = DOCKER / "errors"
HELPERS = Path(__file__).resolve().parent / "clients"  # the docker-credential-gcr stand-in

READER = f"serviceAccount:{demo.email('reader')}"
RELEASED_GCR = "_dcgcr_2_1_30_token"  # what docker-credential-gcr v2.1.30 sends
UNVERSIONED_GCR = "_dcgcr__token"

pytestmark = [pytest.mark.sandbox, needs_sandbox]
needs_gcloud = pytest.mark.skipif(
    shutil.which("gcloud") is None or shutil.which("docker-credential-gcloud") is None,
    reason="google-cloud-cli is not installed (it is not on a bare Debian)",
)


def sh(workdir: Workdir, script: str, env: dict[str, str] | None = None):
    """A `sh -e` script in the run's shared sandbox, from the workdir (its own HOME, DOCKER_CONFIG,
    REGISTRY_AUTH_FILE); $PY, $KIT_INSIDE, $GA_HOST, $GA_IMAGE and $HELPERS are set."""
    return workdir.sh(
        script, env={"GA_HOST": HOST, "GA_IMAGE": IMAGE, "HELPERS": str(HELPERS), **(env or {})}
    )


def read(workdir: Workdir, name: str) -> str:
    return (workdir.path / name).read_text()


def token_requests(workdir: Workdir, at_least: int = 0) -> list[dict]:
    """The Basic-authenticated token requests the live fake logged for this test. The fake logs a
    request once its answer is sent, so the client may finish first: wait (up to 5 s) until
    `at_least` are there."""
    deadline = time.monotonic() + 5
    while True:
        found = [r for r in workdir.fake.requests() if r["path"] == "/v2/token" and r.get("auth") == "basic"]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def docker_config(workdir: Workdir, config: dict | Path) -> None:
    """Docker's config.json in the workdir's HOME: a dict, or an example file copied as it is."""
    target = workdir.path / "home" / ".docker"
    target.mkdir(parents=True, exist_ok=True)
    if isinstance(config, Path):
        shutil.copy(config, target / "config.json")
    else:
        (target / "config.json").write_text(json.dumps(config))


# Shell that makes the stand-in docker-credential-gcr answer with an access token of the reader
# account (issued by the stand-in for Google, kept in a 0600 file) and $GA_DCGCR_USERNAME.
HELPER_SETUP = """
umask 077
"$PY" "$KIT_INSIDE/access_token.py" keys/reader.json > reader.token
export GA_DCGCR_TOKEN_FILE="$PWD/reader.token" GA_DCGCR_CALLS="$PWD/helper-calls.txt"
: > helper-calls.txt
export PATH="$HELPERS:$PATH"
unset REGISTRY_AUTH_FILE
"""

# `pull NAME`: the Docker Engine pulls $GA_IMAGE (the docker CLI finds the credential and hands it
# over); NAME.txt gets the digest, or NAME.err the message. The image is removed again.
DOCKER_PULL = """
pull() {
  if docker pull -q "$GA_IMAGE" > /dev/null 2> "$1.err"; then
    docker image inspect --format '{{index .RepoDigests 0}}' "$GA_IMAGE" > "$1.txt"
    docker image rm -f "$GA_IMAGE" > /dev/null
  fi
}
"""


# ------------------------------------------------------------------------------- docker login


@needs["docker"]
@pytest.mark.parametrize(
    "example, username",
    [("docker-login-json-key.sh", "_json_key"), ("docker-login-json-key-base64.sh", "_json_key_base64")],
)
def test_docker_login_example_logs_in_as_written(workdir, example, username):
    """The example as written; its key comes as the reader's key file (key.json) or its base64 in
    the variable the example names, the way a CI secret would."""
    proc = sh(
        workdir,
        'cp keys/reader.json key.json\nGAR_KEY_BASE64=$(base64 -w0 key.json) sh "$EXAMPLE"\nrm key.json',
        {"EXAMPLE": str(SHELL / example)},
    )
    assert proc.returncode == 0 and "Login Succeeded" in proc.stdout, describe(proc)
    config = json.loads(read(workdir, "home/.docker/config.json"))
    assert list(config["auths"]) == [HOST]  # stored under the bare host, the https:// dropped
    stored_user = base64.b64decode(config["auths"][HOST]["auth"]).decode().partition(":")[0]
    assert stored_user == username
    if username == "_json_key":  # what the docker CLI page shows, the secret described
        config["auths"][HOST]["auth"] = "(base64 of _json_key:, then the key file)"
        compare(DOCKER / "output" / "docker-login.config.json.txt", json.dumps(config, indent=2) + "\n")
    seen = token_requests(workdir, at_least=1)
    assert seen and {(r["username"], r.get("principal")) for r in seen} == {(username, READER)}


@needs["docker"]
@needs_gcloud
def test_docker_login_with_an_access_token_from_gcloud(workdir, tmp_path):
    """`gcloud auth print-access-token | docker login -u oauth2accesstoken ...` as written, with
    Google's own gcloud signed in (as the demo project's owner) against the stand-in."""
    from gcloud_run import REAL, Gcloud

    gcloud = Gcloud(REAL, workdir.path, tmp_path / "bin")
    proc = gcloud.run("sh", str(SHELL / "docker-login-access-token.sh"), cwd=workdir.path)
    assert proc.returncode == 0 and "Login Succeeded" in proc.stdout, describe(proc)
    deadline = time.monotonic() + 5  # the fake logs a request once its answer is sent
    while True:
        seen = [json.loads(line) for line in read(workdir, "requests.log").splitlines()]
        logins = [r for r in seen if r["path"] == "/v2/token" and r.get("auth") == "basic"]
        if logins or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert {(r["username"], r.get("principal")) for r in logins} == {
        ("oauth2accesstoken", f"serviceAccount:{demo.email(demo.OWNER)}")
    }


# Each username AR accepts, with the password it takes, as shell that sets $PASS inside the sandbox.
PASSWORDS = {
    "key": "PASS=$(cat keys/reader.json)",
    "key_base64": "PASS=$(base64 -w0 keys/reader.json)",
    "token": 'PASS=$("$PY" "$KIT_INSIDE/access_token.py" keys/reader.json)',
}


def _concrete(username: data.Username) -> str:
    return RELEASED_GCR if username.pattern else username.name


@needs["docker"]
def test_every_accepted_username_logs_the_docker_cli_in_and_dcgcr_unversioned_is_refused(workdir):
    cases = [(_concrete(u), PASSWORDS[u.password]) for u in data.usernames()]
    cases.append((UNVERSIONED_GCR, PASSWORDS["token"]))
    script = "\n".join(
        f"{password}\nif printf '%s' \"$PASS\" | docker login -u {user} --password-stdin {HOST} "
        f"> out-{user}.txt 2> err-{user}.txt; then echo ok > rc-{user}.txt; else echo refused > rc-{user}.txt; fi\n"
        f"rm -f home/.docker/config.json"
        for user, password in cases
    )
    proc = sh(workdir, script)
    assert proc.returncode == 0, describe(proc)
    for user, _ in cases[:-1]:
        assert read(workdir, f"rc-{user}.txt").strip() == "ok", (user, read(workdir, f"err-{user}.txt"))
    assert read(workdir, f"rc-{UNVERSIONED_GCR}.txt").strip() == "refused"
    refusal = [
        line
        for line in client_lines(read(workdir, f"err-{UNVERSIONED_GCR}.txt"))
        if "trying next" not in line
    ]
    compare(ERRORS / "dcgcr-unversioned.docker-login.txt", "\n".join(refusal) + "\n")


# --------------------------------------------------------------------------- podman and skopeo


@needs["podman"]
def test_podman_login_example_logs_in_and_pulls(workdir):
    proc = sh(
        workdir,
        'cp keys/reader.json key.json\nsh "$EXAMPLE"\nrm key.json\n'
        "podman image inspect --format '{{.Digest}}' \"$GA_IMAGE\" > pulled.txt",
        {"EXAMPLE": str(SHELL / "podman-login.sh")},
    )
    assert proc.returncode == 0 and "Login Succeeded" in proc.stdout, describe(proc)
    assert read(workdir, "pulled.txt").strip() == workdir.manifest_digest()
    stored = json.loads(read(workdir, "run/containers/auth.json"))  # ${XDG_RUNTIME_DIR}/containers/auth.json
    assert list(stored["auths"]) == [HOST]


@needs["skopeo"]
def test_skopeo_authfile_example_logs_in_and_inspects(workdir):
    proc = sh(
        workdir,
        'cp keys/reader.json key.json\nsh "$EXAMPLE" > inspect.json\nrm key.json\nstat -c %a auth.json > mode.txt',
        {"EXAMPLE": str(SHELL / "skopeo-authfile.sh")},
    )
    assert proc.returncode == 0, describe(proc)
    login, _, inspected = read(workdir, "inspect.json").partition("\n")
    assert login == "Login Succeeded!"
    assert json.loads(inspected)["Digest"] == workdir.manifest_digest()
    assert read(workdir, "mode.txt").strip() == "600"
    assert list(json.loads(read(workdir, "auth.json"))["auths"]) == [HOST]


@needs["skopeo"]
def test_skopeo_creds_flag_works_but_is_flagged(workdir):
    """The --creds form (rules/GA806/bad.sh) does pull: GA806 is about where the key shows, not
    whether it works."""
    proc = sh(
        workdir,
        'GAR_KEY=$(cat keys/reader.json) sh "$EXAMPLE" > inspect.json',
        {"EXAMPLE": str(EXAMPLES / "rules" / "GA806" / "bad.sh")},
    )
    assert proc.returncode == 0, describe(proc)
    assert json.loads(read(workdir, "inspect.json"))["Digest"] == workdir.manifest_digest()


# Each place podman reads credentials from gets an entry for the host under its own username;
# `podman login --get-login HOST` names the one podman would use. The passwords are dummies: only
# the username is read back.
LOOKUP = """
unset REGISTRY_AUTH_FILE
entry() { printf '{"auths":{"%s":{"auth":"%s"}}}' "$GA_HOST" "$(printf '%s:x' "$1" | base64 -w0)"; }
mkdir -p "$XDG_RUNTIME_DIR/containers" "$XDG_CONFIG_HOME/containers" "$DOCKER_CONFIG" other
entry flag > flag.json
entry env > env.json
entry docker-config-dir > other/config.json
entry xdg-runtime-dir > "$XDG_RUNTIME_DIR/containers/auth.json"
entry xdg-config-home > "$XDG_CONFIG_HOME/containers/auth.json"
entry home-docker > "$HOME/.docker/config.json"
printf '{"%s":{"auth":"%s"}}' "$GA_HOST" "$(printf 'home-dockercfg:x' | base64 -w0)" > "$HOME/.dockercfg"
get() { podman login --get-login "$@" "$GA_HOST" 2>/dev/null || echo none; }
unset DOCKER_CONFIG
{
  echo "flag $(REGISTRY_AUTH_FILE=env.json DOCKER_CONFIG=other get --authfile flag.json)"
  echo "env $(REGISTRY_AUTH_FILE=env.json DOCKER_CONFIG=other get)"
  echo "docker-config $(DOCKER_CONFIG=other get)"
  echo "default $(get)"
  rm "$XDG_RUNTIME_DIR/containers/auth.json"; echo "no-runtime-file $(get)"
  echo "empty-flag-file $(echo '{"auths":{}}' > empty.json; get --authfile empty.json)"
  rm "$XDG_CONFIG_HOME/containers/auth.json"; echo "no-config-home-file $(get)"
  rm "$HOME/.docker/config.json"; echo "no-docker-config $(get)"
  rm "$HOME/.dockercfg"; echo "nothing $(get)"
} > order.txt
"""


@needs["podman"]
def test_podman_reads_auth_files_in_this_order(workdir):
    proc = sh(workdir, LOOKUP)
    assert proc.returncode == 0, describe(proc)
    found = dict(line.split(" ", 1) for line in read(workdir, "order.txt").splitlines())
    assert found == {
        "flag": "flag",  # --authfile wins over REGISTRY_AUTH_FILE and DOCKER_CONFIG
        "env": "env",  # REGISTRY_AUTH_FILE wins over DOCKER_CONFIG
        "docker-config": "docker-config-dir",  # podman 4.3: DOCKER_CONFIG/config.json is the primary file
        "default": "xdg-runtime-dir",
        "no-runtime-file": "xdg-config-home",
        "empty-flag-file": "xdg-config-home",  # --authfile is read first, not alone
        "no-config-home-file": "home-docker",
        "no-docker-config": "home-dockercfg",
        "nothing": "none",
    }


@needs["podman"]
def test_podman_does_not_fall_through_to_the_next_file_when_the_registry_refuses(workdir):
    """The first file with an entry for the host decides: the outsider's key there (no role on the
    repository) is refused, and the reader's key in the next file is not tried."""
    script = """
unset REGISTRY_AUTH_FILE DOCKER_CONFIG
entry() { printf '{"auths":{"%s":{"auth":"%s"}}}' "$GA_HOST" "$(printf '_json_key:%s' "$(cat "$1")" | base64 -w0)"; }
umask 077
mkdir -p "$XDG_RUNTIME_DIR/containers" "$XDG_CONFIG_HOME/containers"
entry keys/outsider.json > "$XDG_RUNTIME_DIR/containers/auth.json"
entry keys/reader.json > "$XDG_CONFIG_HOME/containers/auth.json"
if podman pull -q "$GA_IMAGE" > /dev/null 2> err.txt; then echo pulled > result.txt; else echo refused > result.txt; fi
"""
    proc = sh(workdir, script)
    assert proc.returncode == 0, describe(proc)
    assert read(workdir, "result.txt").strip() == "refused", read(workdir, "err.txt")
    principals = {r.get("principal") for r in token_requests(workdir, at_least=1)}
    assert principals == {f"serviceAccount:{demo.email('outsider')}"}


@needs["skopeo"]
def test_a_role_on_one_repository_does_not_reach_another_in_the_same_project(workdir):
    """The least-privilege page: the writer account holds its role on demo-repo only, so another
    repository of the same project refuses it."""
    other = f"europe-docker.pkg.dev/{demo.PROJECT}/{demo.EU_REPO}/hello:1.0"
    script = """
unset REGISTRY_AUTH_FILE
skopeo login --authfile auth.json -u _json_key --password-stdin "$GA_HOST" < keys/writer.json > /dev/null
skopeo login --authfile auth.json -u _json_key --password-stdin europe-docker.pkg.dev < keys/writer.json > /dev/null
skopeo inspect -n --authfile auth.json docker://"$GA_IMAGE" > /dev/null
if skopeo inspect -n --authfile auth.json docker://"$OTHER" > /dev/null 2> err.txt; then exit 1; fi
"""
    proc = sh(workdir, script, {"OTHER": other})
    assert proc.returncode == 0, describe(proc)
    assert "403" in read(workdir, "err.txt")


# --------------------------------------------------------------------- auths keys and credsStore

# An `auths` entry for the reader under KEY, in Docker's config.json: the Docker Engine pulls with
# what the docker CLI finds for the host, and skopeo with what containers/image finds.
AUTHS_KEY = (
    DOCKER_PULL
    + """
unset REGISTRY_AUTH_FILE
AUTH=$(printf '_json_key:%s' "$(cat keys/reader.json)" | base64 -w0)
: > keys.txt
for KEY in "$GA_HOST" "https://$GA_HOST" "$GA_HOST/demo-project" "$GA_HOST/other-project" \
           "https://$GA_HOST/other-project" "$GA_HOST/demo-project/other-repo"; do
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$KEY" "$AUTH" > "$DOCKER_CONFIG/config.json"
  if skopeo inspect -n docker://"$GA_IMAGE" > /dev/null 2>&1; then skopeo=pulls; else skopeo=refused; fi
  rm -f engine.txt; pull engine
  if [ -s engine.txt ]; then engine=pulls; else engine=refused; fi
  echo "$KEY|$engine|$skopeo" >> keys.txt
done
"""
)


@needs["skopeo"]
@needs_engine["docker"]
def test_auths_keys_with_a_scheme_or_a_path(workdir):
    """The docker CLI drops a scheme and a path from an `auths` key (it matches the host alone);
    containers/image drops both when a scheme is written, and otherwise uses the path as a scope."""
    proc = sh(workdir, AUTHS_KEY)
    assert proc.returncode == 0, describe(proc)
    rows = {
        k: tuple(rest) for k, *rest in (line.split("|") for line in read(workdir, "keys.txt").splitlines())
    }
    assert rows == {
        HOST: ("pulls", "pulls"),
        f"https://{HOST}": ("pulls", "pulls"),
        f"{HOST}/demo-project": ("pulls", "pulls"),
        f"{HOST}/other-project": ("pulls", "refused"),
        f"https://{HOST}/other-project": ("pulls", "pulls"),
        f"{HOST}/demo-project/other-repo": ("pulls", "refused"),
    }


@needs["skopeo"]
@needs["podman"]
@needs_engine["docker"]
def test_a_creds_store_hides_the_auths_credentials_from_the_docker_cli_only(workdir):
    """With credsStore set and no credHelpers entry for the host, the docker CLI asks the store and
    never reads the `auth` written in the file, so the engine pulls without a credential; podman
    and skopeo read the file and ignore credsStore."""
    script = (
        DOCKER_PULL
        + """
unset REGISTRY_AUTH_FILE
mkdir -p bin
printf '#!/bin/sh\\ncat > /dev/null\\necho "credentials not found in native keychain"\\nexit 1\\n' > bin/docker-credential-garauth-empty
chmod +x bin/docker-credential-garauth-empty
export PATH="$PWD/bin:$PATH"
AUTH=$(printf '_json_key:%s' "$(cat keys/reader.json)" | base64 -w0)
printf '{"auths":{"%s":{"auth":"%s"}}}' "$GA_HOST" "$AUTH" > "$DOCKER_CONFIG/config.json"
pull without
printf '{"auths":{"%s":{"auth":"%s"}},"credsStore":"garauth-empty"}' "$GA_HOST" "$AUTH" > "$DOCKER_CONFIG/config.json"
pull with
skopeo inspect -n docker://"$GA_IMAGE" > /dev/null
podman login --get-login "$GA_HOST" > podman.txt
"""
    )
    proc = sh(workdir, script)
    assert proc.returncode == 0, describe(proc)
    assert read(workdir, "without.txt").strip().endswith(workdir.manifest_digest())
    assert not (workdir.path / "with.txt").exists()
    assert "Unauthenticated request" in read(workdir, "with.err")
    assert read(workdir, "podman.txt").strip() == "_json_key"


# ------------------------------------------------------------------------- credential helpers


@needs["podman"]
@needs["skopeo"]
@needs_engine["docker"]
def test_the_engine_podman_and_skopeo_pull_through_docker_credential_gcr(workdir):
    """examples/docker/config-gcr.json, which `docker-credential-gcr configure-docker
    --registries=us-central1-docker.pkg.dev` writes, with the stand-in helper answering as a
    released build does."""
    docker_config(workdir, DOCKER / "config-gcr.json")
    script = (
        HELPER_SETUP
        + DOCKER_PULL
        + """
pull engine
podman pull -q "$GA_IMAGE" > /dev/null
podman image inspect --format '{{.Digest}}' "$GA_IMAGE" > pulled.txt
skopeo inspect -n --format '{{.Digest}}' docker://"$GA_IMAGE" > inspected.txt
"""
    )
    proc = sh(workdir, script, {"GA_DCGCR_USERNAME": RELEASED_GCR})
    assert proc.returncode == 0, describe(proc)
    digest = workdir.manifest_digest()
    assert read(workdir, "engine.txt").strip() == f"{IMAGE.rpartition(':')[0]}@{digest}", read(
        workdir, "engine.err"
    )
    assert read(workdir, "pulled.txt").strip() == read(workdir, "inspected.txt").strip() == digest
    assert set(read(workdir, "helper-calls.txt").splitlines()) == {f"get {HOST}"}
    assert {(r["username"], r.get("principal")) for r in token_requests(workdir, at_least=1)} == {
        (RELEASED_GCR, READER)
    }


@needs["podman"]
@needs["curl"]
@needs_engine["docker"]
def test_an_unversioned_docker_credential_gcr_is_refused(workdir):
    """The same config with the stand-in sending what an unversioned build sent: the registry
    refuses the token's username, whatever the token."""
    docker_config(workdir, DOCKER / "config-gcr.json")
    script = (
        HELPER_SETUP
        + DOCKER_PULL
        + """
pull engine
if podman pull -q "$GA_IMAGE" > /dev/null 2> podman.txt; then echo pulled > result.txt; else echo refused > result.txt; fi
# The registry's own answer, as the token request a client makes with the helper's answer.
printf '%s' "$GA_HOST" | docker-credential-gcr get | "$PY" -c '
import base64, json, sys
answer = json.load(sys.stdin)
pair = answer["Username"] + ":" + answer["Secret"]
print("Authorization: Basic " + base64.b64encode(pair.encode()).decode())' > header.txt
curl -sS -H @header.txt "https://$GA_HOST/v2/token?scope=repository:demo-project/demo-repo/hello:pull&service=$GA_HOST" > registry.txt
rm header.txt
"""
    )
    proc = sh(workdir, script, {"GA_DCGCR_USERNAME": UNVERSIONED_GCR})
    assert proc.returncode == 0, describe(proc)
    assert not (workdir.path / "engine.txt").exists()
    assert read(workdir, "result.txt").strip() == "refused"
    compare(
        ERRORS / "dcgcr-unversioned.docker.txt", "\n".join(client_lines(read(workdir, "engine.err"))) + "\n"
    )
    compare(
        ERRORS / "dcgcr-unversioned.podman.txt", "\n".join(client_lines(read(workdir, "podman.txt"))) + "\n"
    )
    compare(ERRORS / "dcgcr-unversioned.registry.txt", read(workdir, "registry.txt").strip() + "\n")


@needs["skopeo"]
@needs_engine["docker"]
def test_a_helper_key_with_a_scheme_is_never_asked(workdir):
    """rules/GA802/bad.json's key, `https://HOST`, with a helper that would answer: neither the
    docker CLI nor skopeo calls it, and the pull goes out without a credential."""
    config = json.loads((EXAMPLES / "rules" / "GA802" / "bad.json").read_text())
    docker_config(
        workdir, {"credHelpers": {key: "gcr" for key in config["credHelpers"]}}
    )  # the stand-in answers
    script = (
        HELPER_SETUP
        + DOCKER_PULL
        + """
pull engine
if skopeo inspect -n docker://"$GA_IMAGE" > /dev/null 2> err.txt; then echo pulled > result.txt; else echo refused > result.txt; fi
"""
    )
    proc = sh(workdir, script, {"GA_DCGCR_USERNAME": RELEASED_GCR})
    assert proc.returncode == 0, describe(proc)
    assert not (workdir.path / "engine.txt").exists()
    assert read(workdir, "result.txt").strip() == "refused"
    assert read(workdir, "helper-calls.txt") == ""
    assert token_requests(workdir) == []


@needs["skopeo"]
@needs_engine["docker"]
def test_a_helper_name_with_the_prefix_names_a_program_that_does_not_exist(workdir):
    docker_config(workdir, EXAMPLES / "rules" / "GA803" / "bad.json")
    script = (
        DOCKER_PULL
        + """
unset REGISTRY_AUTH_FILE
pull engine
if skopeo inspect -n docker://"$GA_IMAGE" > /dev/null 2> err.txt; then exit 1; fi
"""
    )
    proc = sh(workdir, script)
    assert proc.returncode == 0, describe(proc)
    # skopeo names the program it could not run; the docker CLI says nothing of it and pulls with
    # no credential, which the registry refuses.
    assert "docker-credential-docker-credential-gcloud" in read(workdir, "err.txt")
    assert "docker-credential" not in read(workdir, "engine.err")
    assert "Unauthenticated request" in read(workdir, "engine.err")
    assert token_requests(workdir) == []


@needs["podman"]
@needs_engine["docker"]
def test_a_helper_that_is_not_on_path(workdir):
    """examples/docker/config-gcr.json where no docker-credential-gcr is installed: podman stops
    before any request, naming the program it looked for; the docker CLI says nothing of the
    helper and the engine pulls with no credential, which the registry refuses."""
    docker_config(workdir, DOCKER / "config-gcr.json")
    script = (
        DOCKER_PULL
        + """
unset REGISTRY_AUTH_FILE
pull engine
if podman pull -q "$GA_IMAGE" > /dev/null 2> podman.txt; then exit 1; fi
"""
    )
    proc = sh(workdir, script)
    assert proc.returncode == 0, describe(proc)
    assert token_requests(workdir) == []
    assert "docker-credential" not in read(workdir, "engine.err")
    compare(
        ERRORS / "helper-not-on-path.docker.txt", "\n".join(client_lines(read(workdir, "engine.err"))) + "\n"
    )
    compare(
        ERRORS / "helper-not-on-path.podman.txt", "\n".join(client_lines(read(workdir, "podman.txt"))) + "\n"
    )


@needs["docker"]
def test_docker_credential_gcr_as_creds_store_answers_other_registries(workdir):
    """rules/GA804/bad.json: with `credsStore: gcr`, the docker CLI asks the helper for Docker Hub
    and any other registry too, and gets the Google credential back (the stand-in answers every
    server, as the real helper's Get does). `docker login` without a username shows the username
    found before it contacts anything."""
    docker_config(workdir, EXAMPLES / "rules" / "GA804" / "bad.json")
    script = (
        HELPER_SETUP
        + """
docker login registry.example.com < /dev/null > other.txt 2>&1 || true
docker login < /dev/null > hub.txt 2>&1 || true
"""
    )
    proc = sh(workdir, script, {"GA_DCGCR_USERNAME": RELEASED_GCR})
    assert proc.returncode == 0, describe(proc)
    assert f"[Username: {RELEASED_GCR}]" in read(workdir, "other.txt")
    assert f"[Username: {RELEASED_GCR}]" in read(workdir, "hub.txt")
    calls = read(workdir, "helper-calls.txt").splitlines()
    assert "get registry.example.com" in calls and "get https://index.docker.io/v1/" in calls


@needs_gcloud
def test_docker_credential_gcloud_refuses_registries_that_are_not_googles(workdir, tmp_path):
    """What GA801 and GA804 say of gcloud's helper, with Google's own gcloud signed in: it answers
    for an Artifact Registry host and refuses ghcr.io and Docker Hub."""
    from gcloud_run import REAL, Gcloud

    gcloud = Gcloud(REAL, workdir.path, tmp_path / "bin")
    script = """
for server in "$GA_HOST" ghcr.io https://index.docker.io/v1/; do
  if printf '%s' "$server" | docker-credential-gcloud get > answer.json 2> err.txt; then
    "$PY" -c 'import json; print(json.load(open("answer.json"))["Username"])'
  else
    cat answer.json err.txt | grep -o 'Repository url \\[[^]]*\\] is not supported' | head -1
  fi
done > answers.txt
rm -f answer.json
"""
    proc = gcloud.run("sh", "-c", script, cwd=workdir.path, env={"GA_HOST": HOST, "PY": sys.executable})
    assert proc.returncode == 0, describe(proc)
    assert read(workdir, "answers.txt").splitlines() == [
        "_dcgcloud_token",
        "Repository url [ghcr.io] is not supported",
        "Repository url [https://index.docker.io/v1/] is not supported",
    ]


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="google-cloud-cli is not installed")
def test_create_cred_config_writes_the_file_the_python_page_shows(tmp_path):
    """examples/shell/create-cred-config.sh, run as written with Google's gcloud in a network
    namespace of its own (the command calls no API; nothing could leave anyway), with a
    throw-away HOME and gcloud configuration."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
        "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "1",
    }
    if (
        shutil.which("unshare") is None
        or subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode
    ):
        pytest.skip("cannot make a network namespace to run gcloud in (unshare -rn)")
    proc = subprocess.run(
        ["unshare", "-rn", "sh", str(SHELL / "create-cred-config.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, describe(proc)
    # Stored as gcloud's output (a .txt beside the script): as a .json, garauth check would read
    # it as a would-be key file.
    written = json.loads((tmp_path / "credential-config.json").read_text())
    assert written == json.loads((SHELL / "output" / "credential-config.json.txt").read_text())
    assert written["credential_source"] == {"file": "oidc-token"}
