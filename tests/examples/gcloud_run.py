"""Run the guide's gcloud commands (examples/gcloud/*.sh) as written, with one of two gclouds:

- "gcloud": Google's own CLI (google-cloud-cli), where it is installed, inside the test run's
  shared sandbox (kit.live), whose fake serves the workdir's state for the command (and saves it
  back), so it reaches the fake's admin APIs (IAM, Resource Manager, Artifact Registry) on their
  real hostnames over TLS. Its configuration lives in WORKDIR/gcloud/config (CLOUDSDK_CONFIG), it
  trusts the fake's CA (CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE), usage reporting and update checks
  are off, and it is signed in as the demo project's owner with a key made for this workdir
  (WORKDIR/gcloud/owner.json, mode 0600; never committed).
- "stand-in": garauth.fake.gcloud, a test double that applies the same commands to the fake's
  saved state, for machines without google-cloud-cli.

`PREFERRED` is the real one where it is installed (and the sandbox can run), else the stand-in
(or the stand-in when GARAUTH_GCLOUD=stand-in); `AVAILABLE` lists every one that can run here. Tests put `label(kind)` in their IDs so the output
says which one ran.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from garauth import keyfile, sandbox
from garauth.fake import demo, gcloud, tls
from garauth.fake.state import State
from kit import live

REAL, STAND_IN = "gcloud", "stand-in"
GCLOUD = shutil.which("gcloud")
SANDBOX_OK, SANDBOX_WHY = sandbox.available()


def version() -> str | None:
    """The installed google-cloud-cli's version (from the SDK's VERSION file), or None."""
    if GCLOUD is None:
        return None
    try:
        return (Path(GCLOUD).resolve().parents[1] / "VERSION").read_text().strip()
    except OSError:
        return "unknown version"


def label(kind: str) -> str:
    return f"gcloud-{version()}" if kind == REAL else "stand-in"


AVAILABLE = ((REAL,) if GCLOUD and SANDBOX_OK else ()) + (STAND_IN,)
# GARAUTH_GCLOUD=stand-in picks the stand-in where the real one could run (to compare the two).
CHOICE_ENV = "GARAUTH_GCLOUD"
PREFERRED = STAND_IN if os.environ.get(CHOICE_ENV) == STAND_IN else AVAILABLE[0]

# Signs gcloud in once per workdir, quietly, then runs the command from GA_CWD. CLOUDSDK_CONFIG is
# set here, inside the sandbox, which drops any CLOUDSDK_CONFIG it is given.
_REAL = """
export CLOUDSDK_CONFIG="$GA_GCLOUD/config"
export CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE="$GA_CA"
export CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true
export CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true
if [ ! -f "$CLOUDSDK_CONFIG/garauth-signed-in" ]; then
  if ! gcloud auth activate-service-account --key-file="$GA_GCLOUD/owner.json" >"$GA_GCLOUD/sign-in.log" 2>&1; then
    echo "gcloud_run: gcloud auth activate-service-account failed; see $GA_GCLOUD/sign-in.log" >&2
    exit 125
  fi
  touch "$CLOUDSDK_CONFIG/garauth-signed-in"
fi
unset CLOUDSDK_CORE_PROJECT
cd "$GA_CWD"
exec "$@"
"""


def seed_bare(workdir: Path) -> None:
    """A workdir holding the tutorial's starting point (demo.seed_bare) and the fake's CA."""
    state = State()
    demo.seed_bare(state)
    state.save(workdir)
    tls.ensure(workdir)


class Gcloud:
    """One gcloud (REAL or STAND_IN) over one fake workdir."""

    def __init__(self, kind: str, workdir: Path, bin_dir: Path) -> None:
        self.kind = kind
        self.workdir = Path(workdir)
        self.bin_dir = Path(bin_dir)
        if kind == STAND_IN:
            gcloud.install(self.bin_dir)
        else:
            self._owner_key()

    @property
    def label(self) -> str:
        return label(self.kind)

    def _owner_key(self) -> None:
        """A key for the project owner, made for this workdir (while no fake runs on it)."""
        path = self.workdir / "gcloud" / "owner.json"
        if path.exists():
            return
        state = State.load(self.workdir)
        key = state.create_key(demo.email(demo.OWNER))
        state.save(self.workdir)
        path.parent.mkdir(exist_ok=True)
        keyfile.write_private(path, keyfile.dumps(key))

    def run(self, *argv: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300):
        """Run argv (e.g. `sh script.sh` or `gcloud ...`) from cwd with this gcloud on PATH."""
        extra = dict(env or {})
        if self.kind == STAND_IN:
            full = {**os.environ, "PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}"}
            full[gcloud.WORKDIR_ENV] = str(self.workdir)
            full.pop("CLOUDSDK_CORE_PROJECT", None)
            full.update(extra)
            return subprocess.run(argv, cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout)
        shared = live.shared()
        extra.update(
            GA_GCLOUD=str(self.workdir / "gcloud"), GA_CA=str(shared.session.layout.ca), GA_CWD=str(cwd)
        )
        with shared.fake.serving(self.workdir):
            return shared.session.run(
                ["sh", "-c", _REAL, "gcloud_run", *argv], clients=self.workdir, env=extra, timeout=timeout
            )
