"""Shell examples: each parses with bash -n, and the key-encoding one is run for real."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "shell"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.sh")), ids=lambda p: p.name)
def test_parses(path):
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_encode_key_produces_one_line_that_decodes_to_the_key(tmp_path):
    key = {
        "type": "service_account",
        "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    }
    (tmp_path / "key.json").write_text(json.dumps(key, indent=2) + "\n")
    subprocess.run(["sh", str(EXAMPLES / "encode-key.sh")], cwd=tmp_path, check=True)
    encoded = (tmp_path / "key.json.b64").read_text()
    assert "\n" not in encoded
    assert base64.b64decode(encoded) == (tmp_path / "key.json").read_bytes()


def test_docker_login_example_logs_in_with_the_docker_cli(tmp_path):
    """The login line as written, run by the docker CLI in the sandbox against the stand-in, with
    a key the stand-in issued (copied to key.json where the example expects it)."""
    import shutil

    from garauth import sandbox

    ok, why = sandbox.available()
    if not ok or shutil.which("docker") is None:
        pytest.skip(f"needs garauth sandbox and the docker CLI: {why}")
    workdir = tmp_path / "w"
    script = (
        "cp keys/reader.json key.json && sh " + str(EXAMPLES / "docker-login-json-key.sh") + " && rm key.json"
    )
    proc = sandbox.run(["sh", "-ec", script], workdir, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "Login Succeeded" in proc.stdout
    config = json.loads((workdir / "home" / ".docker" / "config.json").read_text())
    assert "us-central1-docker.pkg.dev" in config["auths"]
