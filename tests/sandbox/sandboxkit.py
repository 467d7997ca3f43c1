"""Shared helpers for the real-client tests: run shell lines in `garauth sandbox`, credentials
by kind, and what the fake's demo state holds. Secrets never appear in an argv or an assertion
message: scripts read them from the workdir's keys/ inside the sandbox.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from garauth import sandbox
from garauth.fake import demo
from garauth.fake.state import State, repository_name

HERE = Path(__file__).resolve().parent
AVAILABLE, WHY_NOT = sandbox.available()

needs_sandbox = pytest.mark.skipif(not AVAILABLE, reason=f"garauth sandbox cannot run here: {WHY_NOT}")
needs = {
    tool: pytest.mark.skipif(shutil.which(tool) is None, reason=f"`{tool}` is not installed")
    for tool in ("skopeo", "podman", "docker", "curl")
}


def require(tool: str) -> None:
    """Skip the calling test when `tool` is not installed."""
    if shutil.which(tool) is None:
        pytest.skip(f"`{tool}` is not installed")


HOST = f"{demo.LOCATION}-docker.pkg.dev"
REPO_PATH = f"{HOST}/{demo.PROJECT}/{demo.REPO}"
IMAGE = f"{REPO_PATH}/hello:1.0"
RESOURCE = repository_name(demo.PROJECT, demo.LOCATION, demo.REPO)
assert IMAGE in demo.IMAGES

KINDS = ("_json_key", "_json_key_base64", "oauth2accesstoken")

# Shell that puts the password for a credential kind into $PASS, read from keys/ESA.json.
_PASS = {
    "_json_key": "PASS=$(cat keys/{who}.json)",
    "_json_key_base64": "PASS=$(base64 -w0 keys/{who}.json)",
    "oauth2accesstoken": 'PASS=$("$PY" "$HELPERS/access_token.py" keys/{who}.json)',
}


def password(kind: str, who: str = "reader") -> str:
    """A shell line that sets $PASS to the `kind` password of account `who` (reader, writer, outsider)."""
    return _PASS[kind].format(who=who)


def sh(
    workdir: Path, script: str, *, timeout: float = 180, input: str | None = None
) -> subprocess.CompletedProcess:
    """Run a `sh -e` script in a sandbox on workdir; $PY is this Python, $HELPERS this folder."""
    return sandbox.run(
        ["sh", "-ec", script],
        workdir,
        env={"PY": sys.executable, "HELPERS": str(HERE)},
        timeout=timeout,
        input=input,
    )


_GO_LOG = re.compile(r'^time="[^"]*" level=(\w+) msg="(.*)"$')


def client_lines(text: str) -> list[str]:
    """Output lines, with logrus framing (`time=... level=fatal msg="..."`) reduced to the message."""
    out = []
    for line in text.splitlines():
        m = _GO_LOG.match(line)
        out.append(m.group(2).replace('\\"', '"') if m else line)
    return out


def describe(proc: subprocess.CompletedProcess) -> str:
    """For assertion messages: status and output (clients never print the secrets given to them)."""
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"


def demo_manifest_digest(workdir: Path, image: str = "hello", tag: str = "1.0") -> str:
    found = State.load(workdir).get_manifest(RESOURCE, image, tag)
    assert found is not None, f"the fake's demo state has no {image}:{tag} in {RESOURCE}"
    return found[0]


def sha256_file(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def check_dir_image(out: Path, manifest_digest: str | None = None) -> None:
    """A `dir:` copy is complete: every blob the manifest names is there with the right digest."""
    import json

    manifest = (out / "manifest.json").read_bytes()
    if manifest_digest:
        assert "sha256:" + hashlib.sha256(manifest).hexdigest() == manifest_digest
    doc = json.loads(manifest)
    for desc in [doc["config"], *doc["layers"]]:
        blob = out / desc["digest"].split(":", 1)[1]
        assert blob.is_file(), f"{desc['digest']} missing from {out}"
        assert sha256_file(blob) == desc["digest"]
        assert blob.stat().st_size == desc["size"]
