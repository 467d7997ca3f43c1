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
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from garauth import data
from garauth.fake.app import FakeGoogle, RequestLog
from garauth.fake.server import Paths, bind, make_server, prepare
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
    workdir: str | Path, state: State | None = None, save: bool = False
) -> Iterator[RunningFake]:
    """Serve the fake over HTTPS on 127.0.0.1:<free port> in a thread for the duration.

    With `state`, serve that State; otherwise load (or seed) the workdir's. With `save`, write the
    state back to the workdir when done.
    """
    paths = prepare(workdir)
    state = state or State.load(paths.workdir)
    app = FakeGoogle(state, RequestLog(paths.log))
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = make_server(app, paths.server_pem, graceful=0.2)
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
