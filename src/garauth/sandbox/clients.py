"""Per-client configuration: files in the workdir that the clients read instead of the machine's,
and the environment every command in the sandbox gets.

  * podman and skopeo: registries.conf (fully qualified names only), policy.json, a signature
    lookaside in the workdir, vfs storage, containers.conf; REGISTRY_AUTH_FILE;
  * the docker CLI: DOCKER_CONFIG;
  * every Go client (skopeo, podman, docker), requests/google-auth and curl trust the fake's CA
    through SSL_CERT_FILE, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE; gcloud through
    CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE, with its configuration in HOME;
  * the Docker Engine (dockerd 20.10): its command line (data root, exec root, socket, pid file,
    configuration and trust-key files under the workdir; no iptables, no bridge, vfs storage) and
    its daemon.json, so /etc/docker is neither read nor written; it trusts the fake's CA
    through SSL_CERT_FILE in its environment, as Go programs take the system roots;
  * containerd 1.6: config.toml (root, state, sockets, plugin and CNI directories under the
    workdir) and a registry hosts directory (certs.d/HOST/hosts.toml naming the fake's CA for
    every registry host), used by its CRI plugin (config_path) and by `ctr --hosts-dir`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from garauth import data
from garauth.sandbox.layout import Layout

# Variables that would send clients somewhere other than the hosts file says, or read the
# machine's configuration instead of the workdir's.
DROPPED_ENV = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_CONFIG",
    "DOCKER_AUTH_CONFIG",
    "CONTAINERS_REGISTRIES_CONF",
    "CONTAINERS_CONF",
    "CONTAINERS_STORAGE_CONF",
    "REGISTRY_AUTH_FILE",
)


def without_dropped(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in DROPPED_ENV}


def write_config(layout: Layout) -> None:
    """Per-user containers configuration under layout.root, read instead of /etc/containers."""
    cc = layout.containers_config
    c = layout.containers
    for d in (
        layout.home,
        layout.docker_config,
        cc / "registries.d",
        c / "storage",
        c / "runroot",
        c / "tmp",
        c / "sigstore",
        c / "networks",
        layout.auth_file.parent,
    ):
        d.mkdir(parents=True, exist_ok=True)
    layout.run.chmod(0o700)
    files = {
        # Fully qualified names only: no search registries, so a typo cannot go to Docker Hub.
        "registries.conf": 'unqualified-search-registries = []\nshort-name-mode = "enforcing"\n',
        # What Debian ships in /etc/containers/policy.json.
        "policy.json": '{"default": [{"type": "insecureAcceptAnything"}]}\n',
        # Without this, skopeo run as (namespace) root reads /var/lib/containers/sigstore.
        "registries.d/default.yaml": f"default-docker:\n  lookaside: file://{c / 'sigstore'}\n",
        "storage.conf": (
            f'[storage]\ndriver = "vfs"\ngraphroot = "{c / "storage"}"\nrunroot = "{c / "runroot"}"\n'
        ),
        "containers.conf": (
            "[engine]\n"
            'cgroup_manager = "cgroupfs"\n'
            'events_logger = "none"\n'
            f'tmp_dir = "{c / "tmp"}"\n'
            f'volume_path = "{c / "storage" / "volumes"}"\n'
            f'static_dir = "{c / "storage" / "libpod"}"\n'
            f'image_copy_tmp_dir = "{c / "tmp"}"\n'
            "[network]\n"
            f'network_config_dir = "{c / "networks"}"\n'
        ),
    }
    for name, text in files.items():
        (cc / name).write_text(text)
    # podman refuses a REGISTRY_AUTH_FILE that does not exist; an empty one is what login fills.
    if not layout.auth_file.exists():
        layout.auth_file.write_text('{"auths": {}}\n')
        layout.auth_file.chmod(0o600)


def environment(base: Mapping[str, str], clients: Layout, workdir: Layout) -> dict[str, str]:
    """The environment of a command in the sandbox: `base` without DROPPED_ENV, the clients'
    files under `clients.root`, the fake's CA from `workdir`."""
    env = without_dropped(base)
    ca = str(workdir.ca)
    cc = clients.containers_config
    env.update(
        HOME=str(clients.home),
        XDG_CONFIG_HOME=str(clients.config),
        XDG_RUNTIME_DIR=str(clients.run),
        DOCKER_CONFIG=str(clients.docker_config),
        REGISTRY_AUTH_FILE=str(clients.auth_file),
        CONTAINERS_REGISTRIES_CONF=str(cc / "registries.conf"),
        CONTAINERS_CONF=str(cc / "containers.conf"),
        CONTAINERS_STORAGE_CONF=str(cc / "storage.conf"),
        SSL_CERT_FILE=ca,
        REQUESTS_CA_BUNDLE=ca,
        CURL_CA_BUNDLE=ca,
        CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE=ca,
        GARAUTH_SANDBOX_WORKDIR=str(workdir.root),
    )
    return env


# --------------------------------------------------------------------------- the Docker Engine


def docker_socket(layout: Layout) -> Path:
    return layout.docker / "docker.sock"


def dockerd_argv(layout: Layout) -> list[str]:
    """dockerd with everything it keeps under layout.docker, and nothing it would do to a network
    the sandbox does not have (iptables, a bridge, a userland proxy)."""
    d = layout.docker
    return [
        "dockerd",
        f"--data-root={d / 'data'}",
        f"--exec-root={d / 'exec'}",
        f"--host=unix://{docker_socket(layout)}",
        f"--pidfile={d / 'docker.pid'}",
        f"--config-file={d / 'daemon.json'}",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-masq=false",
        "--bridge=none",
        "--userland-proxy=false",
        "--storage-driver=vfs",
    ]


def write_docker_config(layout: Layout) -> None:
    for sub in ("data", "exec"):
        (layout.docker / sub).mkdir(parents=True, exist_ok=True)
    # 20.10 creates a trust key in /etc/docker/key.json unless told otherwise; it takes the path
    # only from the configuration file (the TrustKeyPath field), not as a flag.
    config = {"deprecated-key-path": str(layout.docker / "key.json")}
    (layout.docker / "daemon.json").write_text(json.dumps(config, indent=1) + "\n")


# --------------------------------------------------------------------------- containerd

CONTAINERD_SNAPSHOTTER = "native"  # works on any filesystem, like dockerd's vfs


def containerd_socket(layout: Layout) -> Path:
    return layout.containerd / "containerd.sock"


def containerd_hosts_dir(layout: Layout) -> Path:
    return layout.containerd / "certs.d"


def containerd_argv(layout: Layout) -> list[str]:
    return ["containerd", f"--config={layout.containerd / 'config.toml'}"]


def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string


def write_containerd_config(layout: Layout) -> None:
    c = layout.containerd
    for sub in ("root", "state", "opt", "cni/bin", "cni/net.d"):
        (c / sub).mkdir(parents=True, exist_ok=True)
    cri = '[plugins."io.containerd.grpc.v1.cri"'
    (c / "config.toml").write_text(
        "version = 2\n"
        f"root = {_toml(str(c / 'root'))}\n"
        f"state = {_toml(str(c / 'state'))}\n"
        "[grpc]\n"
        f"  address = {_toml(str(containerd_socket(layout)))}\n"
        "[ttrpc]\n"
        f"  address = {_toml(str(containerd_socket(layout)) + '.ttrpc')}\n"
        "[debug]\n"
        '  address = ""\n'
        "[plugins]\n"
        '  [plugins."io.containerd.internal.v1.opt"]\n'
        f"    path = {_toml(str(c / 'opt'))}\n"
        f"  {cri}]\n"
        f"  {cri}.containerd]\n"
        f"    snapshotter = {_toml(CONTAINERD_SNAPSHOTTER)}\n"
        f"  {cri}.cni]\n"
        f"    bin_dir = {_toml(str(c / 'cni' / 'bin'))}\n"
        f"    conf_dir = {_toml(str(c / 'cni' / 'net.d'))}\n"
        f"  {cri}.registry]\n"
        f"    config_path = {_toml(str(containerd_hosts_dir(layout)))}\n"
    )
    # https://github.com/containerd/containerd/blob/release/1.6/docs/hosts.md
    for host in data.registry_hosts():
        folder = containerd_hosts_dir(layout) / host
        folder.mkdir(parents=True, exist_ok=True)
        # Top-level keys configure the server itself, and no mirror is listed, so a pull makes
        # one attempt. containerd 1.6 refuses a file without a `host` table: an empty one.
        (folder / "hosts.toml").write_text(
            f"server = {_toml('https://' + host)}\nca = {_toml(str(layout.ca))}\n\n[host]\n"
        )


def engine_sockets(layout: Layout) -> list[Path]:
    """Every socket the engines create, longest path last: dockerd's own, the containerd that
    dockerd starts under its exec root, and containerd's (each with a .ttrpc sibling)."""
    managed = layout.docker / "exec" / "containerd" / "containerd.sock.ttrpc"
    return [docker_socket(layout), Path(f"{containerd_socket(layout)}.ttrpc"), managed]


def write_engine_config(layout: Layout, names: list[str]) -> None:
    if "docker" in names:
        write_docker_config(layout)
    if "containerd" in names:
        write_containerd_config(layout)
