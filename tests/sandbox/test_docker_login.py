"""`docker login --password-stdin` with every credential kind, through the Docker Engine (as on
a machine that has one) and by the docker CLI alone (without an engine it logs in itself); and
proof that the CLI verifies the fake's certificate in the sandbox, which it would not do if the
hostnames resolved to a loopback address."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from kit.availability import needs, needs_engine, needs_sandbox
from kit.outputs import client_lines, describe
from kit.workdir import HOST, IMAGE, KINDS, password

pytestmark = [pytest.mark.sandbox, needs_sandbox, needs["docker"]]

HELPERS = str(Path(__file__).resolve().parent)
# Without DOCKER_HOST the CLI finds no engine in the sandbox and logs in on its own.
NO_ENGINE = "env -u DOCKER_HOST"


def _stored_username(workdir) -> str:
    config = json.loads((workdir.path / "home" / ".docker" / "config.json").read_text())
    return base64.b64decode(config["auths"][HOST]["auth"]).decode().split(":", 1)[0]


@needs_engine["docker"]
@needs["skopeo"]
@pytest.mark.parametrize("kind", KINDS)
def test_login_then_skopeo_uses_it(workdir, kind):
    proc = workdir.sh(
        f"""{password(kind)}
        printf %s "$PASS" | docker login -u {kind} --password-stdin {HOST}
        skopeo inspect --format '{{{{.Digest}}}}' docker://{IMAGE}""",
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.splitlines()[0] == "Login Succeeded"
    assert proc.stdout.splitlines()[-1] == workdir.manifest_digest()
    assert _stored_username(workdir) == kind


@pytest.mark.parametrize("kind", KINDS)
def test_login_without_an_engine(workdir, kind):
    proc = workdir.sh(
        f'{password(kind)}; printf %s "$PASS" | {NO_ENGINE} docker login -u {kind} --password-stdin {HOST}'
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.splitlines()[0] == "Login Succeeded"
    assert _stored_username(workdir) == kind


def test_docker_verifies_tls(workdir):
    proc = workdir.sh(
        f"""{password("_json_key")}
        printf %s "$PASS" | {NO_ENGINE} -u SSL_CERT_FILE docker login -u _json_key --password-stdin {HOST}""",
    )
    assert proc.returncode == 1, describe(proc)
    last = client_lines(proc.stderr)[-1]
    # Go 1.20+ (docker 23 and later) prefixes "tls: failed to verify certificate: "; Debian 12's
    # docker.io 20.10 (Go 1.19) prints the x509 error alone.
    assert last.startswith(f'Get "https://{HOST}/v2/": '), describe(proc)
    assert last.endswith("x509: certificate signed by unknown authority"), describe(proc)
    assert not (workdir.path / "home" / ".docker" / "config.json").exists()


def test_docker_skips_tls_checks_for_a_loopback_registry(workdir):
    """Why the sandbox puts the fake on 192.0.2.10: with the name on 127.0.0.1, the same login,
    still without the CA, succeeds, because the docker CLI treats loopback registries as insecure.
    (In a sandbox of its own: the helper rewrites the sandbox's /etc/hosts.)"""
    proc = workdir.own_sandbox(
        f"""{password("_json_key")}
        printf %s "$PASS" | "$PY" "$HELPERS/loopback_forward.py" {HOST} -- \\
            env -u SSL_CERT_FILE docker login -u _json_key --password-stdin {HOST}""",
        env={"HELPERS": HELPERS},
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.splitlines()[0] == "Login Succeeded"
