"""Inside the new namespaces: PID 1 of the sandbox sets up the network, mounts, hosts file and
resolver, starts the fake (and the engines asked for), runs COMMAND, and stops everything it
started.

    python -m garauth.sandbox.inside --workdir DIR [--ready-timeout S] [--engine NAME]... [--no-fake]
        -- COMMAND...

(run only by the command line `garauth.sandbox.outside.command_argv` builds.)
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

from garauth import data
from garauth.fake import dns
from garauth.sandbox import clients, engines, fake
from garauth.sandbox.errors import SETUP_FAILED, SandboxError
from garauth.sandbox.layout import FAKE_ADDR, Layout

_MS_BIND = 0x1000


def _sh(*argv: str) -> None:
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise SandboxError(f"`{' '.join(argv)}` failed: {detail}")


def mount(
    source: str, target: str, fstype: str | None = None, options: str | None = None, flags: int = 0
) -> None:
    """mount(2) directly: mount(8) would keep its notes in the machine's /run/mount."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
    encoded = [x.encode() if x is not None else None for x in (source, target, fstype, options)]
    if libc.mount(encoded[0], encoded[1], encoded[2], flags, encoded[3]) != 0:
        err = ctypes.get_errno()
        kind = "bind" if flags & _MS_BIND else fstype
        raise SandboxError(f"cannot mount {kind} on {target}: {os.strerror(err)}")


def _overlay(target: str, private: Path, name: str) -> None:
    """Writes under `target` go to the sandbox's tmpfs; reads still see the machine's files.
    Best effort: without it the run still works."""
    upper, work = private / f"{name}-upper", private / f"{name}-work"
    upper.mkdir()
    work.mkdir()
    try:
        mount(f"garauth-{name}", target, "overlay", f"lowerdir={target},upperdir={upper},workdir={work}")
    except SandboxError:
        pass


def setup_namespace(layout: Layout) -> None:
    _sh("ip", "link", "set", "lo", "up")
    _sh("ip", "addr", "add", f"{FAKE_ADDR}/32", "dev", "lo")
    private = layout.private
    private.mkdir(parents=True, exist_ok=True)
    mount("garauth-sandbox", str(private), "tmpfs", "mode=0755,size=64m")
    # podman keeps its lock table in /dev/shm/libpod_lock: give it a /dev/shm of its own.
    mount("garauth-shm", "/dev/shm", "tmpfs", "mode=1777,size=64m")
    hosts = private / "hosts"
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{FAKE_ADDR}\t{host}" for host in data.all_hosts()]
    hosts.write_text("\n".join(lines) + "\n")
    hosts.chmod(0o644)
    mount(str(hosts), "/etc/hosts", flags=_MS_BIND)
    # Names not in the hosts file get NXDOMAIN from a resolver that knows none, so a typo in a
    # host fails with "no such host" as on the internet, naming the same resolver everywhere.
    resolv = private / "resolv.conf"
    resolv.write_text(f"nameserver {dns.RESOLVER_ADDR}\noptions timeout:1 attempts:1\n")
    resolv.chmod(0o644)
    mount(str(resolv), "/etc/resolv.conf", flags=_MS_BIND)
    # Root skopeo keeps a blob-info cache in /var/lib/containers/cache whatever it is told;
    # dockerd creates /run/docker/plugins whatever it is told.
    _overlay("/var/lib", private, "varlib")
    _overlay("/run", private, "run")


def main_inside(
    workdir: Path,
    command: list[str],
    ready_timeout: float,
    engine_names: list[str] = (),
    serve_fake: bool = True,
) -> int:
    """Runs as PID 1 of the new namespaces: set up, start the fake and the engines, run COMMAND,
    stop the engines and the fake."""
    stopping: list[int] = []
    child: list[subprocess.Popen] = []

    def on_signal(signum, _frame):
        stopping.append(signum)
        if child and child[0].poll() is None:
            child[0].send_signal(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    layout = Layout(workdir)
    the_fake = None
    started: list[engines.Running] = []
    try:
        try:
            setup_namespace(layout)
            clients.write_config(layout)
            clients.write_engine_config(layout, list(engine_names))
            if serve_fake:
                the_fake = fake.start(layout, ready_timeout, dict(os.environ))
            for name in engine_names:
                started.append(engines.start(name, layout, dict(os.environ)))
            # After the Popens above, whose preexec_fn must not run while other threads exist.
            dns.serve(dns.RESOLVER_ADDR, 53)
        except SandboxError as err:
            print(f"garauth sandbox: {err}", file=sys.stderr)
            return SETUP_FAILED
        except OSError as err:
            print(f"garauth sandbox: setting up failed: {err}", file=sys.stderr)
            return SETUP_FAILED
        if stopping:
            return 128 + stopping[0]
        env = {**clients.environment(os.environ, layout, layout), **engines.environment(engine_names, layout)}
        try:
            child.append(subprocess.Popen(command, cwd=workdir, env=env))
        except FileNotFoundError:
            print(f"garauth sandbox: command not found: {command[0]}", file=sys.stderr)
            return 127
        except PermissionError:
            print(f"garauth sandbox: command not executable: {command[0]}", file=sys.stderr)
            return 126
        while True:
            try:
                status = child[0].wait()
                break
            except KeyboardInterrupt:
                continue  # the command got the same SIGINT and decides for itself
        return status if status >= 0 else 128 - status
    finally:
        for running in reversed(started):
            engines.stop(running)
        if the_fake is not None:
            fake.stop(the_fake)
            fake.keep_log(layout)


def strip_dashes(command: list[str]) -> list[str]:
    return command[1:] if command[:1] == ["--"] else command


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="garauth.sandbox.inside", add_help=False)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--ready-timeout", type=float, default=fake.READY_TIMEOUT)
    parser.add_argument("--engine", action="append", default=[], choices=list(engines.ENGINES))
    parser.add_argument("--no-fake", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    return main_inside(
        args.workdir, strip_dashes(args.command), args.ready_timeout, args.engine, not args.no_fake
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
