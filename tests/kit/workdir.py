"""A seeded workdir for one test: a copy of the run's seed (the fake's state.json, blobs, TLS files,
ca.pem and the demo accounts' keys/), and the place the test's clients keep their files (HOME,
DOCKER_CONFIG, podman's storage: see garauth.sandbox.clients).

Commands run in the run's shared sandbox with this directory as their current directory, so
shell lines read keys/reader.json as in the guide's examples. The same directory also works as
the workdir of a sandbox of its own (garauth.sandbox.run), whose fake then loads its state.json.

Secrets never appear in an argv or an assertion message: scripts read them from keys/ inside the
sandbox, and `password(kind)` is a shell line that sets $PASS.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from garauth.fake import demo
from garauth.fake.state import State, repository_name
from kit import live
from kit.fake import LiveFake

INSIDE = Path(__file__).resolve().parent / "inside"  # helper scripts that run in the sandbox

HOST = f"{demo.LOCATION}-docker.pkg.dev"
REPO_PATH = f"{HOST}/{demo.PROJECT}/{demo.REPO}"
IMAGE = f"{REPO_PATH}/hello:1.0"
RESOURCE = repository_name(demo.PROJECT, demo.LOCATION, demo.REPO)
assert IMAGE in demo.IMAGES

KINDS = ("_json_key", "_json_key_base64", "oauth2accesstoken")

# Shell that puts the password for a credential kind into $PASS, read from keys/WHO.json.
_PASS = {
    "_json_key": "PASS=$(cat keys/{who}.json)",
    "_json_key_base64": "PASS=$(base64 -w0 keys/{who}.json)",
    "oauth2accesstoken": 'PASS=$("$PY" "$KIT_INSIDE/access_token.py" keys/{who}.json)',
}


def password(kind: str, who: str = "reader") -> str:
    """A shell line that sets $PASS to the `kind` password of account `who` (reader, writer, outsider)."""
    return _PASS[kind].format(who=who)


def copy_seed(seed: Path, dest: Path) -> Path:
    """The fake's files of a seeded workdir, without what sandboxes and clients added to it."""
    shutil.copytree(
        seed,
        dest,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            "home", "run", "containers", "docker", "containerd", ".sandbox", "requests.log"
        ),
    )
    return dest


@dataclass
class Workdir:
    path: Path

    @property
    def fake(self) -> LiveFake:
        return live.shared().fake

    @property
    def state(self) -> State:
        """The live fake's state (what a command in the shared sandbox meets)."""
        return self.fake.state

    def key_text(self, who: str = "reader") -> str:
        """The text of a demo account's key file: a secret, for binding variables only."""
        return (self.path / "keys" / f"{who}.json").read_text()

    def run(
        self,
        argv: list[str],
        *,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess:
        """Run argv in the shared sandbox, in this workdir, with its clients' files."""
        full_env = {"PY": sys.executable, "KIT_INSIDE": str(INSIDE), **(env or {})}
        return live.shared().session.run(
            argv, clients=self.path, cwd=self.path, env=full_env, input=input, timeout=timeout
        )

    def sh(
        self,
        script: str,
        *,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess:
        """Run a `sh -e` script; $PY is this Python, $KIT_INSIDE the kit's helper scripts."""
        return self.run(["sh", "-ec", script], env=env, input=input, timeout=timeout)

    def own_sandbox(
        self,
        script: str,
        *,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess:
        """Run a `sh -e` script in a sandbox of its own on this workdir (garauth.sandbox.run: a
        fake of its own loads the workdir's state.json), for tests of the sandbox itself or that
        change what the shared one must keep (its /etc/hosts)."""
        from garauth import sandbox

        full_env = {"PY": sys.executable, "KIT_INSIDE": str(INSIDE), **(env or {})}
        return sandbox.run(["sh", "-ec", script], self.path, env=full_env, input=input, timeout=timeout)

    def manifest_digest(self, image: str = "hello", tag: str = "1.0", resource: str = RESOURCE) -> str:
        found = self.state.get_manifest(resource, image, tag)
        assert found is not None, f"the fake's state has no {image}:{tag} in {resource}"
        return found[0]
