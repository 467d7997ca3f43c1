"""The fake, served from this test process into the shared sandbox.

The shared sandbox session (kit.live) binds 192.0.2.10:443 inside its network namespace and
hands the listening socket over; LiveFake serves garauth's fake on it: the same app
(FakeGoogle), the same TLS server (garauth.fake.server.make_server) and the same request log
as `garauth fake-registry`, only in this process. So a test can read and change the fake's
State between (or during) the real clients' commands, and the next test starts from the seed:

    fake.state              the live State
    fake.change("delete key")   a named change (kit.changes)
    fake.reset()            the seed's state again (each test's workdir fixture does this)
    with fake.serving(dir): the state in dir/state.json, saved back afterwards
    fake.requests(since)    the requests logged since reset (or since mark = fake.mark())
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from garauth.fake.app import FakeGoogle, RequestLog
from garauth.fake.server import make_server
from garauth.fake.state import State
from kit import changes


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


class _Current:
    """The ASGI app uvicorn serves: whichever app the LiveFake holds at the time of a request."""

    def __init__(self, owner: LiveFake) -> None:
        self.owner = owner

    async def __call__(self, scope, receive, send) -> None:
        await self.owner._app(scope, receive, send)


class LiveFake:
    def __init__(self, seed: Path, listener: socket.socket, log_path: Path) -> None:
        self.seed = seed
        self.log_path = log_path
        self.log = RequestLog(log_path)
        self._app = FakeGoogle(State.load(seed), self.log)
        self._server = make_server(_Current(self), seed / "tls" / "server.pem", graceful=0.2)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, name="kit-fake", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake did not start in the shared sandbox")
            time.sleep(0.01)

    @property
    def state(self) -> State:
        return self._app.state

    def serve(self, state: State) -> None:
        """Serve `state` from now on (a new app over it; the request log stays)."""
        self._app = FakeGoogle(state, self.log)

    def reset(self) -> None:
        """Back to the seed's state, as `garauth fake-registry` would load it, with a request log
        whose records start empty (the file keeps growing)."""
        self.log = RequestLog(self.log_path)
        self.serve(State.load(self.seed))

    def change(self, name: str, keys: Path | None = None) -> None:
        """Apply a named change (kit.changes.CHANGES) to the live state."""
        changes.apply(name, self.state, keys or self.seed / "keys")

    @contextlib.contextmanager
    def serving(self, workdir: Path) -> Iterator[State]:
        """Serve the state in workdir/state.json for the duration, logging to its requests.log,
        then save the state back (tokens issued, pushes) unless state.json changed meanwhile:
        what `garauth fake-registry --workdir WORKDIR` does."""
        loaded = _digest(workdir / "state.json")
        state = State.load(workdir)
        previous, previous_log = self._app, self.log
        self.log = RequestLog(workdir / "requests.log")
        self.serve(state)
        try:
            yield state
        finally:
            self._app, self.log = previous, previous_log
            if _digest(workdir / "state.json") == loaded:
                state.save(workdir)

    def mark(self) -> int:
        return len(self.log.records)

    def requests(self, since: int = 0) -> list[dict]:
        return list(self.log.records[since:])

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
