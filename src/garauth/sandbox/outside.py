"""Outside the namespaces: whether a sandbox can run here, the `unshare` command line that starts
one, running a command in it and capturing its output, and passing signals on."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from garauth.sandbox.engines import available as engine_available
from garauth.sandbox.errors import SandboxError
from garauth.sandbox.fake import READY_TIMEOUT


def unshare_argv() -> list[str]:
    """`unshare` into new mount, network and PID namespaces (and a user namespace when not root)."""
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
            [*unshare_argv(), "ip", "link", "set", "lo", "up"],
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


def command_argv(
    argv: Sequence[str],
    workdir: Path,
    *,
    ready_timeout: float = READY_TIMEOUT,
    engines: Sequence[str] = (),
    fake: bool = True,
) -> list[str]:
    """The full command line that runs `argv` in a sandbox on `workdir` (an existing directory),
    with the engines named (garauth.sandbox.engines.ENGINES) running; with fake=False the
    sandbox starts no fake (garauth.sandbox.session serves one from outside)."""
    return [
        *unshare_argv(),
        sys.executable,
        "-m",
        "garauth.sandbox.inside",
        "--workdir",
        str(Path(workdir).resolve()),
        "--ready-timeout",
        str(ready_timeout),
        *(f"--engine={name}" for name in engines),
        *([] if fake else ["--no-fake"]),
        "--",
        *argv,
    ]


def check_engines(names: Sequence[str]) -> None:
    """Raise SandboxError naming the first engine that cannot run here."""
    for name in names:
        ok, why = engine_available(name)
        if not ok:
            raise SandboxError(why)


def run(
    argv: Sequence[str],
    workdir: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float | None = 300,
    ready_timeout: float = READY_TIMEOUT,
    engines: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `argv` in a sandbox on `workdir` (created if missing) and capture its output as text.

    `env` adds variables on top of this process's environment; the sandbox's own (HOME,
    SSL_CERT_FILE, ...) win over both. `input` is fed to the command's standard input. Returns
    the command's CompletedProcess (`args` is `argv`); a return code of 125 with a line starting
    `garauth sandbox:` on stderr means the sandbox itself failed. `engines` names the container
    engines to start first ("docker", "containerd"). Raises SandboxError when namespaces or an
    engine are not available, and subprocess.TimeoutExpired after `timeout` seconds (the
    command, the engines and the fake are stopped then).
    """
    ok, reason = available()
    if not ok:
        raise SandboxError(reason)
    check_engines(engines)
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        command_argv(argv, wd, ready_timeout=ready_timeout, engines=engines),
        env=full_env,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(list(argv), proc.returncode, proc.stdout, proc.stderr)


def follow(proc: subprocess.Popen) -> int:
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
            inner.extend(children(proc.pid))  # the sandbox's PID 1, which stops COMMAND and the fake
            proc.kill()

    previous = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                status = proc.wait()
                if passed_on:
                    wait_gone(inner, timeout=15)  # return only once the fake has stopped and saved
                    return 128 + passed_on[0]
                return status
            except KeyboardInterrupt:
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def wait_gone(pids: list[int], timeout: float) -> None:
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
