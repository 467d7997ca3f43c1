"""The container engines a sandbox can start on demand, and their lifecycle: the Docker Engine
(`dockerd`, Debian's docker.io) and containerd. Each runs inside the sandbox's namespaces with
all its state under the workdir (layout.docker, layout.containerd: data, run state, socket,
configuration, log), is started before COMMAND, and is stopped (SIGTERM, then SIGKILL) before
the sandbox ends. Commands find them through DOCKER_HOST and CONTAINERD_ADDRESS.

The command lines and configuration files are garauth.sandbox.clients' (dockerd_argv,
containerd_argv); this module starts, waits for and stops the daemons.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from garauth.sandbox import clients
from garauth.sandbox.errors import SandboxError
from garauth.sandbox.fake import set_pdeathsig, tail
from garauth.sandbox.layout import SOCKET_PATH_MAX, Layout

READY_TIMEOUT = 60.0
STOP_GRACE = 20.0
# Where Debian installs the daemons; a non-root PATH often lacks the sbin directories.
_SEARCH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Engine:
    name: str  # what --engine takes
    binary: str
    package: str  # the Debian package that ships it


ENGINES = {
    "docker": Engine("docker", "dockerd", "docker.io"),
    "containerd": Engine("containerd", "containerd", "containerd"),
}


def which(binary: str) -> str | None:
    return shutil.which(binary, path=f"{os.environ.get('PATH', '')}:{_SEARCH}")


def available(name: str) -> tuple[bool, str]:
    """Whether engine `name` can run in a sandbox here; if not, the reason in one line."""
    engine = ENGINES.get(name)
    if engine is None:
        return False, f"no engine {name!r}: choose from {', '.join(ENGINES)}"
    if which(engine.binary) is None:
        return False, f"`{engine.binary}` is not installed (Debian package {engine.package})"
    if os.geteuid() != 0:
        return False, f"`{engine.binary}` needs root here (garauth does not set up a rootless engine)"
    return True, ""


def check_sockets(layout: Layout) -> None:
    """Unix socket paths are limited to 107 bytes: say so before a daemon fails obscurely."""
    for path in clients.engine_sockets(layout):
        size = len(os.fsencode(str(path)))
        if size > SOCKET_PATH_MAX:
            raise SandboxError(
                f"the workdir path {layout.root} is too long for the engines' sockets "
                f"({size} > {SOCKET_PATH_MAX} bytes): use a shorter --workdir"
            )


@dataclass
class Running:
    engine: Engine
    proc: subprocess.Popen
    log: Path


def start(name: str, layout: Layout, env: dict[str, str], timeout: float = READY_TIMEOUT) -> Running:
    """Start engine `name` on layout.root and wait until it answers on its socket."""
    ok, why = available(name)
    if not ok:
        raise SandboxError(why)
    engine = ENGINES[name]
    check_sockets(layout)
    if name == "docker":
        argv, sock, log = (
            clients.dockerd_argv(layout),
            clients.docker_socket(layout),
            layout.docker / "dockerd.log",
        )
    else:
        argv = clients.containerd_argv(layout)
        sock, log = clients.containerd_socket(layout), layout.containerd / "containerd.log"
    argv[0] = which(argv[0]) or argv[0]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            cwd=layout.root,
            env={**clients.without_dropped(env), "SSL_CERT_FILE": str(layout.ca)},
            start_new_session=True,
            preexec_fn=lambda: set_pdeathsig(signal.SIGTERM),
        )
    running = Running(engine, proc, log)
    deadline = time.monotonic() + timeout
    while not _answers(name, sock):
        status = proc.poll()
        if status is not None or time.monotonic() > deadline:
            if status is None:
                stop(running)
                why = f"did not answer on {sock} within {timeout:g} s"
            else:
                why = f"exited with status {status} before it was ready"
            raise SandboxError(f"`{engine.binary}` {why}; its log ends with:\n{tail(log)}")
        time.sleep(0.05)
    return running


def _answers(name: str, path: Path) -> bool:
    """dockerd: GET /_ping says OK; containerd: the socket accepts a connection."""
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2)
            conn.connect(str(path))
            if name != "docker":
                return True
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            answer = conn.recv(4096)
    except OSError:
        return False
    return answer.split(b"\r\n", 1)[0].split()[1:2] == [b"200"]


def stop(running: Running, grace: float = STOP_GRACE) -> None:
    """SIGTERM (the daemon stops what it started), then SIGKILL after `grace` seconds."""
    proc = running.proc
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def environment(names: list[str], layout: Layout) -> dict[str, str]:
    """What commands need to reach the running engines."""
    env: dict[str, str] = {}
    if "docker" in names:
        env["DOCKER_HOST"] = f"unix://{clients.docker_socket(layout)}"
    if "containerd" in names:
        env["CONTAINERD_ADDRESS"] = str(clients.containerd_socket(layout))
        env["CONTAINERD_SNAPSHOTTER"] = clients.CONTAINERD_SNAPSHOTTER
    return env
