"""The fake's lifecycle inside the sandbox: start `garauth fake-registry` on the workdir at
FAKE_ADDR:FAKE_PORT, wait for its ready line, stop it with SIGTERM (it then saves its state), and
keep its standard error as the workdir's .sandbox/fake.log.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from garauth.sandbox import clients
from garauth.sandbox.errors import SandboxError
from garauth.sandbox.layout import FAKE_ADDR, FAKE_PORT, Layout

READY_TIMEOUT = 30.0  # seconds to wait for the fake's "ready" line


def set_pdeathsig(sig: int) -> None:
    """In a child before exec: receive `sig` when the parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "    (no output)"
    last = text.strip().splitlines()[-lines:]
    return "\n".join("    " + line for line in last) if last else "    (no output)"


def start(layout: Layout, ready_timeout: float, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start the fake on layout.root; return once it printed its ready line (or raise)."""
    out_path = layout.private / "fake.out"
    err_path = layout.private / "fake.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        fake = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "garauth.cli",  # which imports only the command it runs
                "fake-registry",
                "--workdir",
                str(layout.root),
                "--listen",
                f"{FAKE_ADDR}:{FAKE_PORT}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=layout.root,
            env=clients.without_dropped(env),
            start_new_session=True,  # Ctrl-C reaches COMMAND; the sandbox stops the fake itself
            preexec_fn=lambda: set_pdeathsig(signal.SIGTERM),
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
                stop(fake)
                why = f"did not print its ready line within {ready_timeout:g} s"
            else:
                why = f"exited with status {status} before it was ready"
            raise SandboxError(f"the fake registry {why}; its stderr ends with:\n{tail(err_path)}")
        time.sleep(0.02)
    if not layout.ca.is_file():
        stop(fake)
        raise SandboxError(f"the fake registry started but wrote no CA to {layout.ca}")
    return fake


def stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def keep_log(layout: Layout) -> None:
    """Copy the fake's standard error out of the sandbox's tmpfs before it goes."""
    try:
        shutil.copyfile(layout.private / "fake.err", layout.fake_log)
    except OSError:
        pass
