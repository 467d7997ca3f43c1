"""Per-client configuration: files in the workdir that the clients read instead of the machine's,
and the environment every command in the sandbox gets.

  * podman and skopeo: registries.conf (fully qualified names only), policy.json, a signature
    lookaside in the workdir, vfs storage, containers.conf; REGISTRY_AUTH_FILE;
  * the docker CLI: DOCKER_CONFIG;
  * every Go client (skopeo, podman, docker), requests/google-auth and curl trust the fake's CA
    through SSL_CERT_FILE, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE.
"""

from __future__ import annotations

from collections.abc import Mapping

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
        GARAUTH_SANDBOX_WORKDIR=str(workdir.root),
    )
    return env
