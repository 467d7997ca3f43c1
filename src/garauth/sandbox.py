"""Run a command where the real registry hostnames reach the fake Artifact Registry.

    garauth sandbox [--workdir DIR] -- COMMAND [ARG...]

COMMAND runs in private network, mount and PID namespaces (`unshare`). There:

  * the only network device is `lo`, with 127.0.0.1 and 192.0.2.10 (TEST-NET-1) on it, so
    nothing can leave the machine; /etc/resolv.conf names a resolver on 127.0.0.53 that answers
    every query with NXDOMAIN, so a name that is not routed fails with "no such host";
  * a private /etc/hosts maps every Artifact Registry, gcr.io and Google endpoint hostname to
    192.0.2.10, where the fake (`garauth fake-registry`) listens on port 443 with TLS.
    Not 127.0.0.1: the docker CLI skips certificate checks for a registry on a loopback address;
  * the fake's CA is trusted through SSL_CERT_FILE (skopeo, podman, docker), REQUESTS_CA_BUNDLE
    (requests, google-auth) and CURL_CA_BUNDLE, so clients verify TLS as they would against Google;
  * HOME, DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME and the containers
    configuration (registries, policy, signature lookaside, vfs storage for podman) point into
    the workdir, so nothing from the machine's ~/.docker or /etc/containers is read, and nothing
    is written outside the workdir;
  * /dev/shm is private and /var/lib is an overlay on a tmpfs, so what root podman and skopeo
    would leave on the machine (a lock table, a blob-info cache) goes away with the sandbox;
  * COMMAND runs with the workdir as its current directory; its output passes through. It is
    in its own PID namespace: when the sandbox ends (or the process that started it dies),
    everything started in it ends too.

The workdir holds the fake's state.json, ca.pem and keys/{reader,writer,outsider}.json; the fake
seeds them on first use. Without --workdir a new temporary directory is used (and kept; its path
is printed). Give the same --workdir again to reuse the state and the keys.

Exit status: COMMAND's; 125 when the sandbox could not be set up (one line says why).
Needs root, or unprivileged user namespaces (then it runs under `unshare --map-root-user`).

From Python (tests): `available()` -> (ok, reason); `run(argv, workdir, env=, input=,
timeout=)` -> CompletedProcess with the command's output as text; `command_argv(argv,
workdir)` for a caller that wants its own Popen.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from garauth import data
from garauth.fake import dns

FAKE_ADDR = "192.0.2.10"  # TEST-NET-1 (RFC 5737), on lo inside the namespace only
FAKE_PORT = 443
READY_TIMEOUT = 30.0  # seconds to wait for the fake's "ready" line
SETUP_FAILED = 125  # exit status when the sandbox itself could not be set up

# Variables that would send clients somewhere other than the hosts file says.
_DROPPED_ENV = (
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


class SandboxError(Exception):
    """The sandbox could not be set up; the message is one line for the user."""


# --------------------------------------------------------------------------- outside the namespace


def _unshare_argv() -> list[str]:
    argv = ["unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "--kill-child=SIGTERM"]
    if os.geteuid() != 0:
        argv.insert(1, "--map-root-user")
    # If this process dies, even by SIGKILL, unshare gets SIGKILL, and its --kill-child stops the
    # sandbox inside cleanly. setpriv is util-linux's, like unshare.
    if shutil.which("setpriv"):
        argv = ["setpriv", "--pdeathsig", "KILL", "--", *argv]
    return argv


@functools.cache
def available() -> tuple[bool, str]:
    """Whether `garauth sandbox` can run here; when it cannot, the reason and what to do, in one line."""
    if not sys.platform.startswith("linux"):
        return False, f"the sandbox needs Linux namespaces, which {sys.platform} does not have"
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2")):
        if shutil.which(tool) is None:
            return False, f"`{tool}` is not installed (Debian package {package})"
    try:
        probe = subprocess.run(
            [*_unshare_argv(), "ip", "link", "set", "lo", "up"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, f"could not start `unshare`: {err}"
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        if os.geteuid() == 0:
            hint = "this machine does not allow new namespaces (a container without CAP_SYS_ADMIN?)"
        else:
            hint = (
                "run as root (sudo), or allow unprivileged user namespaces "
                "(sysctl kernel.unprivileged_userns_clone=1; on Ubuntu "
                "kernel.apparmor_restrict_unprivileged_userns=0)"
            )
        return False, f"cannot create private namespaces ({detail}): {hint}"
    return True, ""


def command_argv(argv: Sequence[str], workdir: Path, *, ready_timeout: float = READY_TIMEOUT) -> list[str]:
    """The full command line that runs `argv` in a sandbox on `workdir` (an existing directory)."""
    return [
        *_unshare_argv(),
        sys.executable,
        "-m",
        "garauth.sandbox",
        "--inside",
        "--workdir",
        str(Path(workdir).resolve()),
        "--ready-timeout",
        str(ready_timeout),
        "--",
        *argv,
    ]


def run(
    argv: Sequence[str] | argparse.Namespace,
    workdir: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float | None = 300,
    ready_timeout: float = READY_TIMEOUT,
) -> subprocess.CompletedProcess[str] | int:
    """Run `argv` in a sandbox on `workdir` (created if missing) and capture its output as text.

    `env` adds variables on top of this process's environment; the sandbox's own (HOME,
    SSL_CERT_FILE, ...) win over both. `input` is fed to the command's standard input. Returns
    the command's CompletedProcess (`args` is `argv`); a return code of 125 with a line starting
    `garauth sandbox:` on stderr means the sandbox itself failed. Raises SandboxError when
    namespaces are not available, and subprocess.TimeoutExpired after `timeout` seconds (the
    command and the fake are stopped then).

    (`run(args)` with the parsed arguments of `garauth sandbox` is the CLI entry point.)
    """
    if isinstance(argv, argparse.Namespace):
        return _run_cli(argv)
    if workdir is None:
        raise TypeError("run(argv, workdir): workdir is required")
    ok, reason = available()
    if not ok:
        raise SandboxError(reason)
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        command_argv(argv, wd, ready_timeout=ready_timeout),
        env=full_env,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(list(argv), proc.returncode, proc.stdout, proc.stderr)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="directory for the fake's state, CA and keys, and the clients' HOME (default: a new temp dir)",
    )
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=READY_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for the fake to start (default {READY_TIMEOUT:g})",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")


def _strip_dashes(command: list[str]) -> list[str]:
    return command[1:] if command[:1] == ["--"] else command


def _run_cli(args: argparse.Namespace) -> int:
    command = _strip_dashes(list(args.command))
    if not command:
        print(
            "garauth sandbox: give the command to run after --, e.g. garauth sandbox -- skopeo --version",
            file=sys.stderr,
        )
        return 2
    ok, reason = available()
    if not ok:
        print(f"garauth sandbox: {reason}", file=sys.stderr)
        return SETUP_FAILED
    if args.workdir is not None:
        workdir = args.workdir.resolve()
        try:
            workdir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            print(f"garauth sandbox: cannot use --workdir {args.workdir}: {err.strerror}", file=sys.stderr)
            return 2
    else:
        workdir = Path(tempfile.mkdtemp(prefix="garauth-sandbox-"))
        print(f"garauth sandbox: workdir {workdir} (kept; reuse it with --workdir)", file=sys.stderr)
    return _follow(subprocess.Popen(command_argv(command, workdir, ready_timeout=args.ready_timeout)))


def _follow(proc: subprocess.Popen) -> int:
    """Wait for `unshare`, passing on SIGTERM and SIGHUP.

    `unshare --fork` ignores SIGTERM while it waits, so the signal is passed on by killing it: its
    --kill-child then sends SIGTERM to the sandbox inside, which stops COMMAND and the fake.
    Ctrl-C reaches COMMAND directly (same process group); then this only waits.
    """

    passed_on: list[int] = []
    inner: list[int] = []

    def pass_on(signum, _frame):
        passed_on.append(signum)
        if proc.poll() is None:
            inner.extend(_children(proc.pid))  # the sandbox's PID 1, which stops COMMAND and the fake
            proc.kill()

    previous = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                status = proc.wait()
                if passed_on:
                    _wait_gone(inner, timeout=15)  # return only once the fake has stopped and saved
                    return 128 + passed_on[0]
                return status
            except KeyboardInterrupt:
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _wait_gone(pids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:  # alive, but not ours to signal (user namespaces)
                pass
            time.sleep(0.05)


# --------------------------------------------------------------------------- inside the namespace


def _layout(workdir: Path) -> dict[str, Path]:
    home = workdir / "home"
    config = home / ".config"
    run_dir = workdir / "run"
    containers = workdir / "containers"
    return {
        "home": home,
        "config": config,
        "docker_config": home / ".docker",
        "containers_config": config / "containers",
        "run": run_dir,
        "auth_file": run_dir / "containers" / "auth.json",
        "containers": containers,
        "private": workdir / ".sandbox" / "ns",  # a tmpfs in each namespace
        "fake_log": workdir / ".sandbox" / "fake.log",
    }


def _write_client_config(workdir: Path, paths: dict[str, Path]) -> None:
    """Per-user containers configuration in the workdir, read instead of /etc/containers."""
    cc = paths["containers_config"]
    c = paths["containers"]
    for d in (
        paths["home"],
        paths["docker_config"],
        cc / "registries.d",
        c / "storage",
        c / "runroot",
        c / "tmp",
        c / "sigstore",
        c / "networks",
        paths["auth_file"].parent,
    ):
        d.mkdir(parents=True, exist_ok=True)
    paths["run"].chmod(0o700)
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
    if not paths["auth_file"].exists():
        paths["auth_file"].write_text('{"auths": {}}\n')
        paths["auth_file"].chmod(0o600)


def _client_env(base: Mapping[str, str], workdir: Path, paths: dict[str, Path]) -> dict[str, str]:
    env = {k: v for k, v in base.items() if k not in _DROPPED_ENV}
    ca = str(workdir / "ca.pem")
    cc = paths["containers_config"]
    env.update(
        HOME=str(paths["home"]),
        XDG_CONFIG_HOME=str(paths["config"]),
        XDG_RUNTIME_DIR=str(paths["run"]),
        DOCKER_CONFIG=str(paths["docker_config"]),
        REGISTRY_AUTH_FILE=str(paths["auth_file"]),
        CONTAINERS_REGISTRIES_CONF=str(cc / "registries.conf"),
        CONTAINERS_CONF=str(cc / "containers.conf"),
        CONTAINERS_STORAGE_CONF=str(cc / "storage.conf"),
        SSL_CERT_FILE=ca,
        REQUESTS_CA_BUNDLE=ca,
        CURL_CA_BUNDLE=ca,
        GARAUTH_SANDBOX_WORKDIR=str(workdir),
    )
    return env


def _sh(*argv: str) -> None:
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise SandboxError(f"`{' '.join(argv)}` failed: {detail}")


_MS_BIND = 0x1000


def _mount(
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


def _setup_namespace(paths: dict[str, Path]) -> None:
    _sh("ip", "link", "set", "lo", "up")
    _sh("ip", "addr", "add", f"{FAKE_ADDR}/32", "dev", "lo")
    private = paths["private"]
    private.mkdir(parents=True, exist_ok=True)
    _mount("garauth-sandbox", str(private), "tmpfs", "mode=0755,size=64m")
    # podman keeps its lock table in /dev/shm/libpod_lock: give it a /dev/shm of its own.
    _mount("garauth-shm", "/dev/shm", "tmpfs", "mode=1777,size=64m")
    hosts = private / "hosts"
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{FAKE_ADDR}\t{host}" for host in data.all_hosts()]
    hosts.write_text("\n".join(lines) + "\n")
    hosts.chmod(0o644)
    _mount(str(hosts), "/etc/hosts", flags=_MS_BIND)
    # Names not in the hosts file get NXDOMAIN from a resolver that knows none, so a typo in a
    # host fails with "no such host" as on the internet, naming the same resolver everywhere.
    resolv = private / "resolv.conf"
    resolv.write_text(f"nameserver {dns.RESOLVER_ADDR}\noptions timeout:1 attempts:1\n")
    resolv.chmod(0o644)
    _mount(str(resolv), "/etc/resolv.conf", flags=_MS_BIND)
    # Root skopeo keeps a blob-info cache in /var/lib/containers/cache whatever it is told; an
    # overlay sends that write to the tmpfs. Best effort: without it the run still works.
    upper, work = private / "varlib-upper", private / "varlib-work"
    upper.mkdir()
    work.mkdir()
    try:
        _mount("garauth-varlib", "/var/lib", "overlay", f"lowerdir=/var/lib,upperdir={upper},workdir={work}")
    except SandboxError:
        pass


def _set_pdeathsig(sig: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "    (no output)"
    tail = text.strip().splitlines()[-lines:]
    return "\n".join("    " + line for line in tail) if tail else "    (no output)"


def _start_fake(workdir: Path, paths: dict[str, Path], ready_timeout: float) -> subprocess.Popen[bytes]:
    out_path = paths["private"] / "fake.out"
    err_path = paths["private"] / "fake.err"
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        fake = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "garauth.cli",
                "fake-registry",
                "--workdir",
                str(workdir),
                "--listen",
                f"{FAKE_ADDR}:{FAKE_PORT}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=workdir,
            env=env,
            start_new_session=True,  # Ctrl-C reaches COMMAND; the sandbox stops the fake itself
            preexec_fn=lambda: _set_pdeathsig(signal.SIGTERM),
        )
    deadline = time.monotonic() + ready_timeout
    while True:
        try:
            text = out_path.read_text(errors="replace")
        except OSError:
            text = ""
        if any(line.startswith("ready ") for line in text.splitlines()):
            break
        status = fake.poll()
        if status is not None or time.monotonic() > deadline:
            if status is None:
                _stop(fake)
                why = f"did not print its ready line within {ready_timeout:g} s"
            else:
                why = f"exited with status {status} before it was ready"
            raise SandboxError(f"the fake registry {why}; its stderr ends with:\n{_tail(err_path)}")
        time.sleep(0.02)
    if not (workdir / "ca.pem").is_file():
        _stop(fake)
        raise SandboxError(f"the fake registry started but wrote no CA to {workdir / 'ca.pem'}")
    return fake


def _stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _inside(workdir: Path, command: list[str], ready_timeout: float) -> int:
    """Runs as PID 1 of the new namespaces: set up, start the fake, run COMMAND, stop the fake."""
    stopping: list[int] = []
    child: list[subprocess.Popen] = []

    def on_signal(signum, _frame):
        stopping.append(signum)
        if child and child[0].poll() is None:
            child[0].send_signal(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    paths = _layout(workdir)
    fake = None
    try:
        try:
            _setup_namespace(paths)
            _write_client_config(workdir, paths)
            fake = _start_fake(workdir, paths, ready_timeout)
            # After the fake's Popen, whose preexec_fn must not run while other threads exist.
            dns.serve(dns.RESOLVER_ADDR, 53)
        except SandboxError as err:
            print(f"garauth sandbox: {err}", file=sys.stderr)
            return SETUP_FAILED
        except OSError as err:
            print(f"garauth sandbox: setting up failed: {err}", file=sys.stderr)
            return SETUP_FAILED
        if stopping:
            return 128 + stopping[0]
        env = _client_env(os.environ, workdir, paths)
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
        if fake is not None:
            _stop(fake)
            try:
                shutil.copyfile(paths["private"] / "fake.err", paths["fake_log"])
            except OSError:
                pass


def _inside_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="garauth.sandbox --inside", add_help=False)
    parser.add_argument("--inside", action="store_true", required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--ready-timeout", type=float, default=READY_TIMEOUT)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    return _inside(args.workdir, _strip_dashes(args.command), args.ready_timeout)


if __name__ == "__main__":
    sys.exit(_inside_main(sys.argv[1:]))
