"""A long-lived sandbox: the namespaces, mounts, resolver and engines are set up once; later
commands join them with `nsenter` and get the same environment a sandbox's COMMAND gets.

    with Session(workdir, engines=["docker"]) as sandbox:
        sandbox.run(["docker", "pull", IMAGE], clients=some_dir)

`run` costs a fork and an exec instead of a new sandbox (namespaces, fake, engines: seconds).
Each command may name its own `clients` directory (HOME, DOCKER_CONFIG, REGISTRY_AUTH_FILE,
podman's storage: see garauth.sandbox.clients), so commands that log in or pull do not see
each other's files; the engines' image stores and the sandbox's private /var/lib, /run and
/dev/shm are shared by every command of the session.

The fake either runs in the sandbox as for `garauth sandbox` (the default), or, with
`serve_fake=False`, the caller serves it: the session then binds FAKE_ADDR:FAKE_PORT inside the
network namespace and hands the listening socket to the caller (`listener`), for a fake running
in the caller's own process (whose State it can then change between commands). The workdir must
then already hold the fake's CA (garauth.fake.server.prepare).

Stopping the session (or the death of the process that started it) stops every process in it.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from garauth.sandbox import clients, engines
from garauth.sandbox.errors import SandboxError
from garauth.sandbox.fake import READY_TIMEOUT
from garauth.sandbox.layout import FAKE_ADDR, FAKE_PORT, SOCKET_PATH_MAX, Layout
from garauth.sandbox.outside import available, check_engines, children, command_argv

START_TIMEOUT = 120.0


class Session:
    def __init__(
        self,
        workdir: str | os.PathLike[str],
        *,
        engines: Sequence[str] = (),
        serve_fake: bool = True,
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.layout = Layout(self.workdir)
        self.engines = list(engines)
        self.serve_fake = serve_fake
        self.ready_timeout = ready_timeout
        self.listener: socket.socket | None = None
        self._proc: subprocess.Popen | None = None
        self._pid1 = 0
        self._configured: set[Path] = set()
        self._stderr = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> Session:
        ok, why = available()
        if not ok:
            raise SandboxError(why)
        check_engines(self.engines)
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.serve_fake and not self.layout.ca.is_file():
            raise SandboxError(
                f"no CA in {self.workdir}: prepare the workdir before serving the fake yourself"
            )
        hold = [sys.executable, "-m", "garauth.sandbox.session", "--hold"]
        handover, path = None, self.layout.root / ".sandbox" / "hand-over.sock"
        if not self.serve_fake:
            handover = self._handover_socket(path)
            hold += ["--hand-over", str(path)]
        argv = command_argv(
            hold, self.workdir, ready_timeout=self.ready_timeout, engines=self.engines, fake=self.serve_fake
        )
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=dict(os.environ)
        )
        try:
            if handover is not None:
                self.listener = self._receive_listener(handover)
            line = self._proc.stdout.readline()
            if line.strip() != b"ready":
                raise SandboxError(self._why_not_started())
            self._pid1 = self._find_pid1()
        except BaseException:
            self.stop()
            raise
        finally:
            if handover is not None:
                handover.close()
                path.unlink(missing_ok=True)
        return self

    def _handover_socket(self, path: Path) -> socket.socket:
        path.parent.mkdir(parents=True, exist_ok=True)
        if len(os.fsencode(str(path))) > SOCKET_PATH_MAX:
            raise SandboxError(f"the workdir path {self.workdir} is too long for a socket: use a shorter one")
        path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        server.listen(1)
        server.settimeout(1.0)
        return server

    def _receive_listener(self, server: socket.socket) -> socket.socket:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                conn, _ = server.accept()
                break
            except TimeoutError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    raise SandboxError(self._why_not_started()) from None
        with conn:
            conn.settimeout(10)
            _msg, fds, _flags, _addr = socket.recv_fds(conn, 16, 1)
        if not fds:
            raise SandboxError("the sandbox did not hand over the fake's listening socket")
        return socket.socket(fileno=fds[0])

    def _why_not_started(self) -> str:
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return f"the sandbox did not start within {START_TIMEOUT:g} s"
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        lines = [line.removeprefix("garauth sandbox: ") for line in text.splitlines()]
        return " ".join(lines[-3:]) or f"the sandbox exited with status {self._proc.returncode}"

    def _find_pid1(self) -> int:
        """The sandbox's PID 1 (garauth.sandbox.inside), as this process sees it: unshare's child."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = children(self._proc.pid)
            if found:
                return found[0]
            time.sleep(0.01)
        raise SandboxError("cannot find the sandbox's first process")

    def inside(self, path: str) -> Path:
        """Where a path inside the sandbox's mount namespace (its private /var/lib, /run, /dev/shm)
        is seen from here: through /proc/PID/root of the sandbox's first process."""
        if not self.running:
            raise SandboxError("the sandbox session is not running")
        return Path(f"/proc/{self._pid1}/root") / path.lstrip("/")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 60) -> None:
        """End the session: the holder exits, PID 1 stops the engines (and the fake) and ends."""
        proc, self._proc = self._proc, None
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()  # unshare's --kill-child then stops PID 1
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- commands --------------------------------------------------------------------------

    def environment(
        self, clients_dir: Path | None = None, env: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """What a command in this session gets: this process's environment plus `env`, then the
        sandbox's own variables for the client files under `clients_dir` (default: the workdir)."""
        client_layout = Layout(Path(clients_dir).resolve()) if clients_dir else self.layout
        if client_layout.root not in self._configured:
            clients.write_config(client_layout)
            self._configured.add(client_layout.root)
        base = {**os.environ, **(env or {})}
        return {
            **clients.environment(base, client_layout, self.layout),
            **engines.environment(self.engines, self.layout),
        }

    def argv(self, argv: Sequence[str], cwd: Path) -> list[str]:
        """nsenter into this session's namespaces, then `argv` in `cwd`."""
        if not self.running:
            raise SandboxError("the sandbox session is not running")
        joined = ["nsenter", f"--target={self._pid1}", "--mount", "--net", "--pid"]
        if os.geteuid() != 0:
            joined += ["--user", "--preserve-credentials"]  # unshare -r denied setgroups there
        return [*joined, f"--wdns={cwd}", "--", *argv]

    def popen(
        self,
        argv: Sequence[str],
        *,
        clients: Path | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        **kwargs,
    ) -> subprocess.Popen:
        """Popen for `argv` in the session (its own process group, for kill_group)."""
        where = Path(cwd or clients or self.workdir).resolve()
        return subprocess.Popen(
            self.argv(argv, where),
            env=self.environment(clients, env),
            start_new_session=True,
            **kwargs,
        )

    def run(
        self,
        argv: Sequence[str],
        *,
        clients: Path | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        timeout: float | None = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Like garauth.sandbox.run, in this session: output as text, `args` is `argv`. On a
        timeout everything the command started is killed and subprocess.TimeoutExpired raised."""
        proc = self.popen(
            argv,
            clients=clients,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            out, err = proc.communicate()
            raise subprocess.TimeoutExpired(list(argv), timeout, out, err) from None
        return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------- inside: the holder


def _hand_over(path: str) -> None:
    """Bind the fake's address here, in the sandbox's network namespace, and send the socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((FAKE_ADDR, FAKE_PORT))
    sock.listen(512)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        socket.send_fds(conn, [b"listener"], [sock.fileno()])
    sock.close()


def _hold(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="garauth.sandbox.session", add_help=False)
    parser.add_argument("--hold", action="store_true", required=True)
    parser.add_argument("--hand-over")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.hand_over:
        _hand_over(args.hand_over)
    print("ready", flush=True)
    sys.stdin.buffer.read()  # until the session closes our standard input
    return 0


if __name__ == "__main__":
    sys.exit(_hold(sys.argv[1:]))
