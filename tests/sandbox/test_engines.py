"""The container engines in the sandbox: the Docker Engine (dockerd, Debian's docker.io) and
containerd pull from the fake with every credential kind, keep their state in the workdir, and
leave nothing running or written outside it when the sandbox ends."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from garauth import sandbox
from kit.availability import needs, needs_engine, needs_sandbox
from kit.outputs import describe
from kit.refusals import PASSWORDS
from kit.runner import ctr_pull
from kit.workdir import HOST, IMAGE, KINDS, password

pytestmark = [pytest.mark.sandbox, needs_sandbox]

# What a daemon would create on the machine if it were not told otherwise, and the directories
# where it would: the first must not appear, the second must not change.
ENGINE_PATHS = (
    "/etc/docker",
    "/etc/containerd",
    "/etc/cni",
    "/run/docker",
    "/run/docker.sock",
    "/run/docker.pid",
    "/run/containerd",
    "/run/runc",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/cni",
    "/opt/containerd",
    "/opt/cni",
)
WATCHED_DIRS = ("/etc", "/run", "/var/lib", "/opt")


def _snapshot() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for top in ENGINE_PATHS:
        path = Path(top)
        if path.is_dir():
            out[top] = {str(p) for p in path.rglob("*")}
        elif path.exists():
            out[top] = {top}
    for top in WATCHED_DIRS:
        out[top] = {p.name for p in Path(top).iterdir()}
    return out


def _processes_for(workdir: Path) -> list[str]:
    """Command lines of processes anywhere on the machine that name the workdir."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(workdir).encode() in argv:
            found.append(argv.replace(b"\0", b" ").decode(errors="replace"))
    return found


@pytest.fixture
def short(workdir):
    """The test's seeded workdir at a short path: engine sockets must fit in 107 bytes, and a
    test's own temporary directory can be longer than that leaves."""
    path = Path(tempfile.mkdtemp(prefix="garauth-engines-"))
    shutil.rmtree(path)
    shutil.copytree(workdir.path, path, symlinks=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _wait_gone(workdir: Path, timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := _processes_for(workdir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@needs_engine["docker"]
@needs["docker"]
@pytest.mark.parametrize("kind", KINDS)
def test_docker_engine_pulls_after_login(workdir, kind):
    """The machine executor's way: `docker login`, then `docker pull`, both through the engine."""
    proc = workdir.sh(
        f"""{password(kind)}
        printf %s "$PASS" | docker login -u {kind} --password-stdin {HOST} >/dev/null
        docker pull -q {IMAGE}
        docker image inspect --format '{{{{index .RepoDigests 0}}}}' {IMAGE}
        docker image rm -f {IMAGE} >/dev/null""",
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.splitlines() == [IMAGE, f"{IMAGE.rsplit(':', 1)[0]}@{workdir.manifest_digest()}"]


@needs_engine["containerd"]
@needs["ctr"]
@pytest.mark.parametrize(
    "username, recipe",
    [("_json_key", "key"), ("_json_key_base64", "key as base64"), ("oauth2accesstoken", "access token")],
)
def test_containerd_pulls_with_credentials(workdir, username, recipe):
    proc = ctr_pull(IMAGE, workdir, username, PASSWORDS[recipe](workdir, "reader"))
    assert proc.returncode == 0, describe(proc)
    # ctr had only the username in its argv: the pull worked with the password typed at its prompt.
    assert proc.stdout.strip() == f"{IMAGE}@{workdir.manifest_digest()}"


@needs_engine["containerd"]
@needs["ctr"]
def test_containerd_pulls_a_public_image_without_credentials(workdir):
    image = IMAGE.replace("/demo-repo/", "/public-repo/")
    proc = ctr_pull(image, workdir)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.strip() == f"{image}@{workdir.manifest_digest(resource=_public())}"


def _public() -> str:
    from garauth.fake import demo
    from garauth.fake.state import repository_name

    return repository_name(demo.PROJECT, demo.LOCATION, demo.PUBLIC_REPO)


_BOTH = """
printf %s "$(cat keys/reader.json)" | docker login -u _json_key --password-stdin {host} >/dev/null
docker pull -q {image} >/dev/null
docker image inspect --format '{{{{index .RepoDigests 0}}}}' {image}
ctr images pull --hosts-dir containerd/certs.d {public} >/dev/null
ctr images ls -q
echo "$DOCKER_HOST $CONTAINERD_ADDRESS"
"""


@needs_engine["docker"]
@needs_engine["containerd"]
@needs["docker"]
@needs["ctr"]
def test_engines_keep_their_state_in_the_workdir_and_leave_nothing_behind(workdir, short):
    wd = short
    before = _snapshot()
    public = IMAGE.replace("/demo-repo/", "/public-repo/")
    proc = sandbox.run(
        ["sh", "-ec", _BOTH.format(host=HOST, image=IMAGE, public=public)],
        wd,
        engines=["docker", "containerd"],
    )
    assert proc.returncode == 0, describe(proc)
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("@" + workdir.manifest_digest())
    assert lines[1] == public
    assert lines[2] == f"unix://{wd}/docker/docker.sock {wd}/containerd/containerd.sock"
    # The engines' state stayed in the workdir.
    assert any((wd / "docker" / "data" / "image" / "vfs").iterdir())
    assert (wd / "docker" / "key.json").is_file()
    assert any((wd / "containerd" / "root").iterdir())
    assert "Daemon shutdown complete" in (wd / "docker" / "dockerd.log").read_text()
    # Nothing is left running, and nothing appeared outside the workdir.
    assert _wait_gone(wd, timeout=5) == []
    assert _snapshot() == before


_UP = "docker version --format '{{.Server.Version}}'; ctr version >/dev/null; echo up; exec sleep 60"


def _started(proc: subprocess.Popen) -> list[str]:
    """The command's lines up to its "up" (the engines answered), or all if it never says it."""
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if line.strip() == "up":
            break
    return lines


@needs_engine["docker"]
@needs_engine["containerd"]
def test_the_cli_starts_the_engines_on_demand_and_sigterm_stops_them(short):
    proc = subprocess.Popen(
        [sys.executable, "-m", "garauth.cli", "sandbox", "--workdir", str(short),
         "--engine", "docker", "--engine", "containerd", "--", "sh", "-c", _UP],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        lines = _started(proc)
        installed = subprocess.run(["dockerd", "--version"], capture_output=True, text=True).stdout
        assert lines[-1:] == ["up"] and f"version {lines[0]}," in installed, lines
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 128 + signal.SIGTERM
    finally:
        proc.kill()
        proc.wait()
    assert _wait_gone(short) == []


@needs_engine["docker"]
@needs_engine["containerd"]
def test_a_killed_caller_stops_the_engines(short):
    """What a timeout in garauth.sandbox.run does: SIGKILL to the sandbox's unshare."""
    proc = subprocess.Popen(
        sandbox.command_argv(["sh", "-c", _UP], short, engines=["docker", "containerd"]),
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert _started(proc)[-1:] == ["up"]
    finally:
        proc.kill()
        proc.wait()
    assert _wait_gone(short) == []


@needs_engine["docker"]
def test_a_workdir_too_long_for_the_engine_sockets_is_refused_in_one_line(tmp_path):
    workdir = tmp_path / ("x" * 80)
    proc = sandbox.run(["true"], workdir, engines=["docker"])
    assert proc.returncode == sandbox.SETUP_FAILED
    assert proc.stderr.startswith(
        f"garauth sandbox: the workdir path {workdir} is too long for the engines' sockets"
    )
    assert proc.stderr.endswith("bytes): use a shorter --workdir\n")
