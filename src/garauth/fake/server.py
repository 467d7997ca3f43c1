"""Run the fake Artifact Registry (and the Google endpoints behind it) over HTTPS.

Seeds the demo state into --workdir unless DIR/state.json exists, writes DIR/ca.pem (the CA to
trust) and DIR/keys/{reader,writer,outsider}.json (mode 0600), prints one line
`ready https://HOST:PORT`, then the demo image references, and serves until SIGTERM or SIGINT.
Requests are logged as JSON lines to DIR/requests.log (never a secret).
"""

from __future__ import annotations

import argparse
import hashlib
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from garauth import keyfile
from garauth.errors import UserError
from garauth.fake import demo, tls
from garauth.fake.app import SNI_BY_CLIENT, FakeGoogle, RequestLog
from garauth.fake.state import State

DEFAULT_LISTEN = "127.0.0.1:8443"
LOG_FILE = "requests.log"


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
    root.mkdir(parents=True, exist_ok=True)
    key_dir = root / "keys"
    key_dir.mkdir(exist_ok=True)
    if State.exists(root):
        state = State.load(root)
        made = {}
        for account in demo.ACCOUNTS:
            # only the demo's own accounts: an account of the same name that a test made (with
            # the guide's gcloud commands, say) gets no key it did not ask for
            record = state.service_accounts.get(demo.email(account), {})
            if not (key_dir / f"{account}.json").exists() and record.get("demo"):
                made[account] = state.create_key(demo.email(account))
    else:
        state = State()
        made = demo.seed(state)
    for account, key in made.items():
        keyfile.write_private(key_dir / f"{account}.json", keyfile.dumps(key))
    state.save(root)
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


def make_server(app, server_pem: Path, *, graceful: float = 1):
    """A uvicorn Server for the app with the fake's certificate, recording SNI per connection."""
    import logging

    import uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class SniH11Protocol(H11Protocol):
        def connection_made(self, transport) -> None:  # called after the TLS handshake
            super().connection_made(transport)
            ssl_object = transport.get_extra_info("ssl_object")
            peer = transport.get_extra_info("peername")
            self._garauth_peer = tuple(peer[:2]) if peer else None
            if ssl_object is not None and self._garauth_peer:
                SNI_BY_CLIENT[self._garauth_peer] = getattr(ssl_object, "garauth_sni", None)

        def connection_lost(self, exc) -> None:
            SNI_BY_CLIENT.pop(getattr(self, "_garauth_peer", None), None)
            super().connection_lost(exc)

    config = uvicorn.Config(
        app,
        ssl_certfile=str(server_pem),
        http=SniH11Protocol,
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=graceful,
        ws="none",
    )
    config.load()  # configures uvicorn's loggers; the filter goes on after that
    logging.getLogger("uvicorn.error").addFilter(_quiet_shutdown_message)

    def remember_sni(ssl_object, server_name, _context) -> None:
        ssl_object.garauth_sni = server_name

    config.ssl.sni_callback = remember_sni
    return _QuietServer(config)


def _quiet_server_class():
    import contextlib
    import signal
    import threading

    import uvicorn

    class QuietServer(uvicorn.Server):
        """A uvicorn Server that stops on SIGTERM/SIGINT and returns normally (uvicorn re-raises
        the signal after shutting down, which would kill the process before the state is saved)."""

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


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def serve(workdir: str | Path, host: str = "127.0.0.1", port: int = 8443, *, announce=None) -> int:
    """Prepare the workdir, listen, call announce(url) once listening, serve until a signal.

    The state is saved back to the workdir on a clean exit (pushed images, issued tokens), unless
    state.json was changed by someone else meanwhile.
    """
    try:
        paths = prepare(workdir)
    except OSError as err:
        raise UserError(f"cannot prepare the workdir: {err.strerror or err}", file=str(workdir)) from None
    # What state.json held when the fake read it: if it differs at exit, someone else wrote it.
    loaded = _digest(paths.state)
    state = State.load(paths.workdir)
    sock = bind(host, port)
    app = FakeGoogle(state, RequestLog(paths.log))
    bound_port = sock.getsockname()[1]
    url = f"https://{host if ':' not in host else f'[{host}]'}:{bound_port}"
    server = make_server(app, paths.server_pem)
    if announce:
        announce(url, paths)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        if _digest(paths.state) != loaded:
            # someone changed the state while the fake ran: keep their change, drop the fake's
            print(
                f"garauth fake-registry: {paths.state} changed while serving; not saving over it",
                file=sys.stderr,
                flush=True,
            )
        else:
            state.save(paths.workdir)
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
            State.load(workdir)
    except (ValueError, KeyError, OSError) as err:
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
