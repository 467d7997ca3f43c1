"""Run the fake inside a test process, and route the real hostnames to it.

    with running_fake(tmp_path) as fake, fake.route():
        # us-central1-docker.pkg.dev:443 etc. now reach the fake on 127.0.0.1:<port>, with TLS
        # verified against fake.ca; any other name fails to resolve, so nothing leaks.
        ...

`running_fake` prepares the workdir like `garauth fake-registry` (demo state unless state.json
exists; ca.pem; keys/*.json) and serves the same app on 127.0.0.1 on a free port in a background
thread. `fake.state` is the live State: tests may change it (delete a key, disable an account,
`advance` the clock) while the fake runs. `fake.log.records` holds the logged requests.

`route(hosts, port)` patches `socket.getaddrinfo` (process-wide) so that NAME:443 for NAME in
hosts resolves to 127.0.0.1:port and every other name raises `socket.gaierror`; loopback names
still resolve. Works for requests/urllib3 (google-auth, oras-py, python-dxf) and httpx.

For traffic no HTTP library will send (malformed headers, bodies far larger than what is sent,
clients that stall or vanish), `raw_request` speaks HTTP/1.1 over TLS itself. `fake_process`
runs `garauth fake-registry` as a child process, whose memory (`peak_rss`) and open-file limit
can be read and which can be killed.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from garauth import data
from garauth.fake.app import FakeGoogle, RequestLog
from garauth.fake.server import Paths, Timeouts, bind, make_server, prepare
from garauth.fake.state import State

_real_getaddrinfo = socket.getaddrinfo
_route_lock = threading.Lock()
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass
class RunningFake:
    state: State
    app: FakeGoogle
    paths: Paths
    port: int
    _server: object
    _thread: threading.Thread

    @property
    def ca(self) -> str:
        return str(self.paths.ca)

    @property
    def log(self) -> RequestLog:
        return self.app.log

    @property
    def workdir(self) -> Path:
        return self.paths.workdir

    def key_path(self, account: str) -> Path:
        return self.paths.keys[account]

    def key_text(self, account: str) -> str:
        return self.paths.keys[account].read_text()

    def requests_session(self):
        """A requests Session that trusts only the fake's CA. `trust_env` is off because
        REQUESTS_CA_BUNDLE in the environment would otherwise override `verify` (and proxies
        from the environment must not apply)."""
        import requests

        session = requests.Session()
        session.verify = self.ca
        session.trust_env = False
        return session

    def httpx_client(self, **kwargs):
        """An httpx Client that verifies TLS against the fake's CA only (use inside `route()`)."""
        import ssl

        import httpx

        context = ssl.create_default_context(cafile=self.ca)
        return httpx.Client(verify=context, trust_env=False, **kwargs)

    def route(self, hosts: Iterable[str] | None = None) -> contextlib.AbstractContextManager:
        """Route the fake's hostnames (default: all of them) to this fake."""
        return route(hosts if hosts is not None else data.all_hosts(), self.port)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@contextlib.contextmanager
def running_fake(
    workdir: str | Path, state: State | None = None, save: bool = False, timeouts: Timeouts | None = None
) -> Iterator[RunningFake]:
    """Serve the fake over HTTPS on 127.0.0.1:<free port> in a thread for the duration.

    With `state`, serve that State; otherwise load (or seed) the workdir's. With `save`, write the
    state back to the workdir when done. `timeouts` shortens the connection timeouts.
    """
    paths = prepare(workdir)
    state = state or State.load(paths.workdir)
    app = FakeGoogle(state, RequestLog(paths.log))
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = make_server(app, paths.server_pem, graceful=0.2, timeouts=timeouts or Timeouts())
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="garauth-fake", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the fake did not start")
        time.sleep(0.01)
    fake = RunningFake(state, app, paths, port, server, thread)
    try:
        yield fake
    finally:
        fake.stop()
        sock.close()
        if save:
            state.save(paths.workdir)


@contextlib.contextmanager
def route(hosts: Iterable[str], port: int, addr: str = "127.0.0.1") -> Iterator[None]:
    """Resolve NAME:443 for NAME in hosts to (addr, port); refuse every other non-loopback name."""
    routed = {h.lower().rstrip(".") for h in hosts}

    def fake_getaddrinfo(host, service, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        wanted = int(service or 443) if str(service or "443").isdigit() else service
        if name and name.lower().rstrip(".") in routed:
            if wanted not in (443, "https"):
                raise socket.gaierror(
                    socket.EAI_NONAME, f"{name}:{service} is not routed in tests (only :443)"
                )
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (addr, port))]
        if name is None or name in LOOPBACK_NAMES:
            return _real_getaddrinfo(host, service, family, type, proto, flags)
        raise socket.gaierror(socket.EAI_NONAME, f"{name!r} is not routed in tests")

    with _route_lock:
        previous = socket.getaddrinfo
        socket.getaddrinfo = fake_getaddrinfo
    try:
        yield
    finally:
        with _route_lock:
            socket.getaddrinfo = previous


# --- raw HTTP/1.1 over TLS ---------------------------------------------------------------------


@dataclass
class RawAnswer:
    status: int  # 0 when the fake closed the connection without answering
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    sent: int = 0  # body bytes the client managed to send before the answer or the close

    def json(self):
        import json

        return json.loads(self.body)


def tls_socket(port: int, host: str, ca: str, timeout: float = 10) -> ssl.SSLSocket:
    """A TLS connection to the fake on 127.0.0.1:port, with SNI `host`, verified against `ca`."""
    context = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return context.wrap_socket(raw, server_hostname=host)


def raw_request(
    port: int,
    host: str,
    method: str,
    path: str,
    headers: Iterable[tuple[bytes, bytes]] = (),
    body: bytes | Iterable[bytes] = b"",
    *,
    ca: str,
    length: int | None = None,
    timeout: float = 20,
) -> RawAnswer:
    """Send one request exactly as given (header bytes untouched) and read the answer.

    `body` may be bytes or an iterable of chunks; `length` is the Content-Length to declare (by
    default the length of a bytes body; None with chunks means Transfer-Encoding: chunked).
    Sending stops as soon as the fake has answered or closed, and the answer says how many body
    bytes went out: a fake that refuses before reading lets only a socket buffer or two through.
    """
    chunks = [body] if isinstance(body, bytes) else body
    if isinstance(body, bytes) and length is None:
        length = len(body)
    head = [f"{method} {path} HTTP/1.1".encode(), f"Host: {host}".encode()]
    head += [name + b": " + value for name, value in headers]
    head.append(b"Connection: close")
    head.append(b"Content-Length: %d" % length if length is not None else b"Transfer-Encoding: chunked")
    sock = tls_socket(port, host, ca, timeout)
    received = b""
    sent = 0
    try:
        sock.sendall(b"\r\n".join(head) + b"\r\n\r\n")
        for chunk in chunks:
            received += _early_answer(sock)
            if received:
                break
            sock.sendall(chunk if length is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        else:
            if length is None:
                sock.sendall(b"0\r\n\r\n")
    except (OSError, ssl.SSLError):
        pass  # the fake closed the connection: read what it said before that
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (OSError, ssl.SSLError):
        pass
    finally:
        sock.close()
    return _parse_answer(received, sent)


def _early_answer(sock: ssl.SSLSocket) -> bytes:
    """Whatever answer has arrived while the body was being sent (TLS records that are not
    application data, such as TLS 1.3 session tickets, make the socket readable but are not one)."""
    ready, _, _ = select.select([sock], [], [], 0)
    if not ready and not sock.pending():
        return b""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return sock.recv(65536)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return b""
    finally:
        sock.settimeout(timeout)


def _parse_answer(received: bytes, sent: int) -> RawAnswer:
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split(b" ", 2)[1])
    except (IndexError, ValueError):
        return RawAnswer(0, sent=sent)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return RawAnswer(status, headers, body, sent)


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return out


# --- the fake as a child process -----------------------------------------------------------------


@dataclass
class FakeProcess:
    proc: subprocess.Popen
    port: int
    workdir: Path
    _stderr: list[str] = field(default_factory=list)
    _drains: list[threading.Thread] = field(default_factory=list)

    @property
    def stderr(self) -> str:
        """What the fake has written to stderr so far."""
        return "".join(self._stderr)

    @property
    def ca(self) -> str:
        return str(self.workdir / "ca.pem")

    def key_text(self, account: str) -> str:
        return (self.workdir / "keys" / f"{account}.json").read_text()

    def kill(self) -> None:
        """SIGKILL, as an OOM killer or a CI runner's timeout would."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> tuple[int, str]:
        """SIGTERM, wait; (exit status, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for thread in self._drains:
            thread.join(5)
        return self.proc.returncode, self.stderr

    def status(self) -> dict[str, str]:
        """/proc/PID/status as a dict (VmRSS, VmHWM in kB, ...)."""
        out = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            out[name] = value.strip()
        return out

    def rss_mib(self) -> float:
        return int(self.status()["VmRSS"].split()[0]) / 1024

    def peak_rss_mib(self) -> float:
        return int(self.status()["VmHWM"].split()[0]) / 1024

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def open_files(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def file_limits(self) -> tuple[str, str]:
        for line in Path(f"/proc/{self.proc.pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return soft, hard
        raise LookupError("no open-file limit in /proc/PID/limits")


@contextlib.contextmanager
def fake_process(workdir: str | Path, umask: int | None = None) -> Iterator[FakeProcess]:
    """`garauth fake-registry --workdir WORKDIR --listen 127.0.0.1:0` as a child process, ready."""
    fake = start_fake_process(workdir, umask)
    try:
        yield fake
    finally:
        fake.stop()


def start_fake_process(workdir: str | Path, umask: int | None = None) -> FakeProcess:
    argv = [
        sys.executable,
        "-m",
        "garauth",
        "fake-registry",
        "--workdir",
        str(workdir),
        "--listen",
        "127.0.0.1:0",
    ]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,  # noqa: PLW1509
    )
    first = proc.stdout.readline().strip()
    if not first.startswith("ready https://"):
        proc.kill()
        _, err = proc.communicate()
        raise RuntimeError(f"the fake did not start: {err.strip().splitlines()[-1:] or first}")
    fake = FakeProcess(proc, int(first.rsplit(":", 1)[1]), Path(workdir))
    # Both pipes are drained, or a chatty fake would block on a full pipe.
    fake._drains = [
        threading.Thread(target=proc.stdout.read, daemon=True),
        threading.Thread(target=lambda: fake._stderr.extend(iter(proc.stderr.readline, "")), daemon=True),
    ]
    for thread in fake._drains:
        thread.start()
    return fake
