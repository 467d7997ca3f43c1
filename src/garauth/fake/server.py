"""Run the fake Artifact Registry (and the Google endpoints behind it) over HTTPS.

Seeds the demo state into --workdir unless DIR/state.json exists, writes DIR/ca.pem (the CA to
trust) and DIR/keys/{reader,writer,outsider}.json (mode 0600, in a 0700 directory), prints one
line `ready https://HOST:PORT`, then the demo image references, and serves until SIGTERM or
SIGINT. Requests are logged as JSON lines to DIR/requests.log (never a secret). The state is
written to the workdir as it changes, so even a killed fake keeps every push it acknowledged.

Slow or silent clients are dropped: a TLS handshake must finish within 10 s, a request head must
arrive within 10 s of the connection or of the previous response, and a client sending a body or
reading a response must make progress every 30 s.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from garauth import keyfile
from garauth.errors import UserError
from garauth.fake import demo, tls
from garauth.fake.app import SNI_BY_CLIENT, FakeGoogle, RequestLog
from garauth.fake.blobstore import DIR_MODE, make_dir
from garauth.fake.state import State

# Also (not for --help): the open-file limit is raised to its hard limit, and asyncio's repeated
# complaints (a failed accept, writes to a closed socket) become at most one line per kind every
# LOG_EVERY seconds, without a traceback. `Timeouts` holds the limits above; tests shorten them.

DEFAULT_LISTEN = "127.0.0.1:8443"
LOG_FILE = "requests.log"
KEY_DIR_MODE = 0o700


@dataclass(frozen=True)
class Timeouts:
    """Seconds a client may take (tests shorten them)."""

    handshake: float = 10.0  # the TLS handshake, from the TCP connection
    header: float = 10.0  # a request head, from the connection or from the last response
    idle: float = 30.0  # between two reads of a body being sent, or two writes to a slow reader
    keep_alive: int = 5  # uvicorn's: a quiet connection after a response
    linger: float = 2.0  # reading and dropping the rest of a refused body before closing


LINGER_BYTES = 64 << 20  # at most this much of a refused body is read (and dropped) before closing
LINGER_QUIET = 0.2  # a client quiet this long after a refusal has stopped sending


class _LingeringTransport:
    """The connection's transport, except that `close()` after a response to a request whose body
    was not read first lingers: the rest of the body is read and dropped (never kept) until the
    client pauses for LINGER_QUIET seconds, for at most `linger` seconds and LINGER_BYTES bytes,
    then the connection closes. Closing at once, with the body still arriving, makes the kernel
    reset the connection, and the client can lose the answer it was about to read."""

    def __init__(self, transport, protocol, linger: float) -> None:
        self._transport = transport
        self._protocol = protocol
        self._linger = linger
        self.lingering = False
        self.dropped = 0
        self._last = 0.0
        self._until = 0.0

    def __getattr__(self, name):
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def close(self) -> None:
        import h11

        body_unread = self._protocol.conn.their_state is h11.SEND_BODY
        if self.lingering or not body_unread or self._transport.is_closing():
            self._transport.close()
            return
        self.lingering = True
        now = self._protocol.loop.time()
        self._last, self._until = now, now + self._linger
        self._transport.resume_reading()
        self._protocol.loop.call_later(LINGER_QUIET, self._check)

    def _check(self) -> None:
        if self._transport.is_closing():
            return
        now = self._protocol.loop.time()
        if now >= self._until or now - self._last >= LINGER_QUIET:
            self._transport.close()
        else:
            self._protocol.loop.call_later(LINGER_QUIET, self._check)

    def drop(self, data: bytes) -> None:
        self.dropped += len(data)
        self._last = self._protocol.loop.time()
        if self.dropped > LINGER_BYTES:
            self._transport.close()


LOG_EVERY = 10.0  # seconds between two log lines about the same asyncio complaint

logger = logging.getLogger("garauth.fake")


@dataclass
class Paths:
    """Where `prepare` put things in the workdir."""

    workdir: Path
    state: Path
    ca: Path
    server_pem: Path
    log: Path
    keys: dict[str, Path] = field(default_factory=dict)  # account name -> key file
    images: tuple[str, ...] = demo.IMAGES


def prepare(workdir: str | Path) -> Paths:
    """Seed the demo state (unless state.json exists), the TLS files and the demo key files."""
    root = Path(workdir)
    make_dir(root, DIR_MODE)
    key_dir = root / "keys"
    make_dir(key_dir, KEY_DIR_MODE)
    if State.exists(root):
        state = State.open(root)
        for account in demo.ACCOUNTS:
            # only the demo's own accounts: an account of the same name that a test made (with
            # the guide's gcloud commands, say) gets no key it did not ask for
            record = state.service_accounts.get(demo.email(account), {})
            if not (key_dir / f"{account}.json").exists() and record.get("demo"):
                key = state.create_key(demo.email(account))
                state.sync()  # the key is registered before its file exists
                keyfile.write_private(key_dir / f"{account}.json", keyfile.dumps(key))
    else:
        state = State()
        made = demo.seed(state)
        state.save(root)
        for account, key in made.items():
            keyfile.write_private(key_dir / f"{account}.json", keyfile.dumps(key))
    files = tls.ensure(root)
    return Paths(
        workdir=root,
        state=root / "state.json",
        ca=files.ca,
        server_pem=files.server,
        log=root / LOG_FILE,
        keys={a: key_dir / f"{a}.json" for a in demo.ACCOUNTS if (key_dir / f"{a}.json").exists()},
    )


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UserError(f"--listen {value!r}: write HOST:PORT, for example {DEFAULT_LISTEN}")
    if int(port) > 65535:
        raise UserError(f"--listen {value!r}: cannot listen on port {port} (ports are 0 to 65535)")
    return host.strip("[]"), int(port)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and accepted sockets inherit this one's proto. Without it every response waited ~40 ms
    # (Nagle against delayed ACKs) between its header and body writes.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as err:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {getattr(err, 'strerror', None) or err}") from None
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def _quiet_shutdown_message(record) -> bool:
    # Idle keep-alive TLS connections never answer close_notify, so uvicorn always "exceeds" its
    # graceful-shutdown wait when a client kept a connection open; that is expected here.
    return "timeout graceful shutdown exceeded" not in record.getMessage()


def raise_open_file_limit() -> None:
    """Raise the soft limit on open files to the hard limit (each connection holds one)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard and (hard == resource.RLIM_INFINITY or soft < hard):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass  # not allowed here: keep the limit there is


class _OncePer:
    """A logging filter and asyncio exception handler that lets one line per kind of complaint
    through every LOG_EVERY seconds, without the traceback."""

    QUIET = ("socket.send() raised exception.",)

    def __init__(self) -> None:
        self.last: dict[str, float] = {}

    def allow(self, kind: str) -> bool:
        now = time.monotonic()
        if now - self.last.get(kind, -LOG_EVERY) < LOG_EVERY:
            return False
        self.last[kind] = now
        return True

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(message.startswith(q) for q in self.QUIET):
            return False  # the request log already says the client went away
        record.exc_info = None
        record.exc_text = None
        return self.allow(message[:80])

    def loop_exception(self, loop, context: dict) -> None:
        message = context.get("message", "asyncio error")
        exc = context.get("exception")
        kind = f"{message}: {type(exc).__name__}" if exc else message
        if any(message.startswith(q) for q in self.QUIET) or not self.allow(kind):
            return
        logger.warning("%s", kind)


def make_server(app, server_pem: Path, *, graceful: float = 1, timeouts: Timeouts = Timeouts()):
    """A uvicorn Server for the app with the fake's certificate, recording SNI per connection,
    with the timeouts described in the module docstring."""
    import asyncio

    import uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class FakeH11Protocol(H11Protocol):
        _garauth_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:  # called after the TLS handshake
            super().connection_made(_LingeringTransport(transport, self, timeouts.linger))
            ssl_object = transport.get_extra_info("ssl_object")
            peer = transport.get_extra_info("peername")
            self._garauth_peer = tuple(peer[:2]) if peer else None
            if ssl_object is not None and self._garauth_peer:
                SNI_BY_CLIENT[self._garauth_peer] = getattr(ssl_object, "garauth_sni", None)
            self._garauth_arm(timeouts.header)

        def _garauth_arm(self, seconds: float | None) -> None:
            if self._garauth_timer is not None:
                self._garauth_timer.cancel()
            self._garauth_timer = (
                None if seconds is None else self.loop.call_later(seconds, self._garauth_expire)
            )

        def _garauth_expire(self) -> None:
            self._garauth_timer = None
            if not self.transport.is_closing():
                self.transport.abort()  # drop it: nothing more is owed to a client that stalls

        def data_received(self, data: bytes) -> None:
            if self.transport.lingering:
                self.transport.drop(data)
                return
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not None and not self.cycle.response_complete:
                # a request is under way: from here, progress is timed, not the whole request
                self._garauth_arm(timeouts.idle if self.cycle.more_body else None)
            elif self.cycle is cycle and self._garauth_timer is None:
                self._garauth_arm(timeouts.header)

        def on_response_complete(self) -> None:
            super().on_response_complete()  # may start a pipelined request at once
            if self.transport.is_closing():
                return
            if self.cycle is None or self.cycle.response_complete:
                self._garauth_arm(timeouts.header)
            else:
                self._garauth_arm(timeouts.idle if self.cycle.more_body else None)

        def pause_writing(self) -> None:  # the client is not reading what the fake sends
            super().pause_writing()
            self._garauth_arm(timeouts.idle)

        def resume_writing(self) -> None:
            super().resume_writing()
            if self.cycle is not None and not self.cycle.response_complete:
                self._garauth_arm(None)

        def connection_lost(self, exc) -> None:
            self._garauth_arm(None)
            SNI_BY_CLIENT.pop(getattr(self, "_garauth_peer", None), None)
            super().connection_lost(exc)

    config = uvicorn.Config(
        app,
        ssl_certfile=str(server_pem),
        http=FakeH11Protocol,
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=graceful,
        timeout_keep_alive=timeouts.keep_alive,
        ws="none",
    )
    config.load()  # configures uvicorn's loggers; the filters go on after that
    once = _OncePer()
    logging.getLogger("uvicorn.error").addFilter(_quiet_shutdown_message)
    logging.getLogger("uvicorn.error").addFilter(once)
    logging.getLogger("asyncio").addFilter(once)

    def remember_sni(ssl_object, server_name, _context) -> None:
        ssl_object.garauth_sni = server_name

    config.ssl.sni_callback = remember_sni
    server = _QuietServer(config)
    server.garauth_once = once
    server.garauth_handshake_timeout = timeouts.handshake
    return server


def _quiet_server_class():
    import asyncio
    import contextlib
    import signal
    import threading

    import uvicorn

    class QuietServer(uvicorn.Server):
        """A uvicorn Server that stops on SIGTERM/SIGINT and returns normally (uvicorn re-raises
        the signal after shutting down, which would kill the process before the state is saved),
        with a TLS handshake timeout and quiet asyncio complaints."""

        garauth_once: _OncePer | None = None
        garauth_handshake_timeout: float = Timeouts.handshake

        async def startup(self, sockets=None) -> None:
            loop = asyncio.get_running_loop()
            if self.garauth_once is not None:
                loop.set_exception_handler(self.garauth_once.loop_exception)
            create_server = loop.create_server

            async def with_handshake_timeout(*args, **kwargs):
                if kwargs.get("ssl") is not None:
                    kwargs.setdefault("ssl_handshake_timeout", self.garauth_handshake_timeout)
                return await create_server(*args, **kwargs)

            loop.create_server = with_handshake_timeout  # uvicorn has no setting for it
            try:
                await super().startup(sockets=sockets)
            finally:
                del loop.create_server

        @contextlib.contextmanager
        def capture_signals(self):
            if threading.current_thread() is not threading.main_thread():
                yield
                return

            def stop(_sig, _frame):
                self.should_exit = True

            previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return QuietServer


def _QuietServer(config):
    return _quiet_server_class()(config)


def _stop_early_on_signals(server) -> None:
    """A SIGTERM or SIGINT that comes after the ready line but before uvicorn installs its own
    handlers stops the server cleanly too (the state is saved), instead of killing the process."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(_sig, _frame):
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)


def serve(workdir: str | Path, host: str = "127.0.0.1", port: int = 8443, *, announce=None) -> int:
    """Prepare the workdir, listen, call announce(url) once listening, serve until a signal.

    The state is written to the workdir as it changes, and once more on a clean exit, unless
    state.json was changed by someone else meanwhile (then their change is kept).
    """
    try:
        paths = prepare(workdir)
        state = State.open(paths.workdir)
    except OSError as err:
        raise UserError(f"cannot prepare the workdir: {err.strerror or err}", file=str(workdir)) from None
    raise_open_file_limit()
    sock = bind(host, port)
    app = FakeGoogle(state, RequestLog(paths.log))
    bound_port = sock.getsockname()[1]
    url = f"https://{host if ':' not in host else f'[{host}]'}:{bound_port}"
    server = make_server(app, paths.server_pem)
    _stop_early_on_signals(server)
    if announce:
        announce(url, paths)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        state.sync()
        if not state.owns_workdir():
            # someone changed the state while the fake ran: their change is kept, not the fake's
            print(
                f"garauth fake-registry: {paths.state} changed while serving; not saving over it",
                file=sys.stderr,
                flush=True,
            )
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workdir", required=True, help="directory for state.json, ca.pem, keys/ and the log"
    )
    parser.add_argument(
        "--listen", default=DEFAULT_LISTEN, help=f"HOST:PORT to listen on (default {DEFAULT_LISTEN})"
    )


def run(args: argparse.Namespace) -> int:
    host, port = parse_listen(args.listen)
    workdir = Path(args.workdir)
    if workdir.exists() and not workdir.is_dir():
        raise UserError(f"--workdir {workdir}: not a directory")
    try:
        if State.exists(workdir):
            State.open(workdir)
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as err:
        raise UserError(
            f"{workdir / 'state.json'}: cannot be read ({type(err).__name__}); "
            "delete it to start from the demo state"
        ) from None

    def announce(url: str, paths: Paths) -> None:
        print(f"ready {url}", flush=True)
        for image in paths.images:
            print(f"image {image}", flush=True)

    return serve(workdir, host, port, announce=announce)


if __name__ == "__main__":
    from garauth.cli import main

    sys.exit(main(["fake-registry", *sys.argv[1:]]))
