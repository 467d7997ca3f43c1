"""Where things are: the fake's address inside the namespaces, and what lives where in a workdir.

A workdir holds the fake's own files (state.json, ca.pem, keys/, requests.log: see
garauth.fake.server) and, beside them, what the sandbox adds:

    home/           the clients' HOME: .docker/config.json, .config/containers/, .config/gcloud/
    run/            XDG_RUNTIME_DIR (mode 0700), with containers/auth.json (REGISTRY_AUTH_FILE)
    containers/     podman's vfs storage, run root and temporary files; skopeo's signature lookaside
    docker/         the Docker Engine's data root, exec root, socket, configuration and log
    containerd/     containerd's root, state, socket, configuration, registry hosts and log
    .sandbox/ns/    a tmpfs of each sandbox's own (hosts, resolv.conf, the fake's output)
    .sandbox/       also the fake's last log (fake.log)

The client part (home/, run/, containers/) can also live in a directory of its own, so that
several commands in one long-lived sandbox each start with clean client files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FAKE_ADDR = "192.0.2.10"  # TEST-NET-1 (RFC 5737), on lo inside the namespace only
FAKE_PORT = 443
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes, the last one a NUL


@dataclass(frozen=True)
class Layout:
    """The paths under one workdir (or one client directory)."""

    root: Path

    @property
    def ca(self) -> Path:
        return self.root / "ca.pem"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def config(self) -> Path:
        return self.home / ".config"

    @property
    def docker_config(self) -> Path:
        return self.home / ".docker"

    @property
    def containers_config(self) -> Path:
        return self.config / "containers"

    @property
    def gcloud_config(self) -> Path:
        return self.config / "gcloud"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def auth_file(self) -> Path:
        return self.run / "containers" / "auth.json"

    @property
    def containers(self) -> Path:
        return self.root / "containers"

    @property
    def docker(self) -> Path:
        return self.root / "docker"

    @property
    def containerd(self) -> Path:
        return self.root / "containerd"

    @property
    def private(self) -> Path:
        """A tmpfs in each sandbox: what is here is gone when the sandbox ends."""
        return self.root / ".sandbox" / "ns"

    @property
    def fake_log(self) -> Path:
        return self.root / ".sandbox" / "fake.log"
