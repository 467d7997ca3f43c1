"""`docker login --password-stdin` (the docker CLI logs in without an engine) with every credential
kind; and proof that it verifies the fake's certificate in the sandbox, which it would not do
if the hostnames resolved to a loopback address."""

from __future__ import annotations

import base64
import json

import pytest
from sandboxkit import (
    HOST,
    IMAGE,
    KINDS,
    client_lines,
    demo_manifest_digest,
    describe,
    needs,
    needs_sandbox,
    password,
    sh,
)

pytestmark = [pytest.mark.sandbox, needs_sandbox, needs["docker"]]


@pytest.mark.parametrize("kind", KINDS)
def test_login_then_skopeo_uses_it(workdir, kind):
    proc = sh(
        workdir,
        f"""{password(kind)}
        printf %s "$PASS" | docker login -u {kind} --password-stdin {HOST}
        skopeo inspect --format '{{{{.Digest}}}}' docker://{IMAGE}""",
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.splitlines()[0] == "Login Succeeded"
    assert proc.stdout.splitlines()[-1] == demo_manifest_digest(workdir)
    config = json.loads((workdir / "home" / ".docker" / "config.json").read_text())
    username = base64.b64decode(config["auths"][HOST]["auth"]).decode().split(":", 1)[0]
    assert username == kind


def test_docker_verifies_tls(workdir):
    proc = sh(
        workdir,
        f"""{password("_json_key")}
        printf %s "$PASS" | env -u SSL_CERT_FILE docker login -u _json_key --password-stdin {HOST}""",
    )
    assert proc.returncode == 1, describe(proc)
    last = client_lines(proc.stderr)[-1]
    # Go 1.20+ (docker 23 and later) prefixes "tls: failed to verify certificate: "; Debian 12's
    # docker.io 20.10 (Go 1.19) prints the x509 error alone.
    assert last.startswith(f'Get "https://{HOST}/v2/": '), describe(proc)
    assert last.endswith("x509: certificate signed by unknown authority"), describe(proc)
    assert not (workdir / "home" / ".docker" / "config.json").exists()


def test_docker_skips_tls_checks_for_a_loopback_registry(workdir):
    """Why the sandbox puts the fake on 192.0.2.10: with the name on 127.0.0.1, the same login,
    still without the CA, succeeds, because the docker CLI treats loopback registries as insecure."""
    proc = sh(
        workdir,
        f"""{password("_json_key")}
        printf %s "$PASS" | "$PY" "$HELPERS/loopback_forward.py" {HOST} -- \\
            env -u SSL_CERT_FILE docker login -u _json_key --password-stdin {HOST}""",
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.splitlines()[0] == "Login Succeeded"
