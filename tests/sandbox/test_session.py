"""A long-lived sandbox (garauth.sandbox.session): later commands join its namespaces with the
same environment a sandbox's command gets, each with its own client files; a timeout kills what
a command started; stopping the session leaves nothing running."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from garauth import data
from garauth.sandbox.session import Session
from kit import live
from kit.availability import needs, needs_sandbox
from kit.outputs import describe
from kit.workdir import HOST, IMAGE, copy_seed

pytestmark = [pytest.mark.sandbox, needs_sandbox]


def _running(marker: str) -> list[str]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in argv:
                out.append(argv.replace(b"\0", b" ").decode(errors="replace"))
    return out


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory) -> Path:
    return copy_seed(live.seed(), tmp_path_factory.mktemp("session") / "w")


@pytest.fixture(scope="module")
def session(session_dir):
    """A session of this module's own, with the fake running inside as `garauth sandbox` runs it."""
    with Session(session_dir) as started:
        yield started


@needs["skopeo"]
def test_commands_join_the_sandbox_with_its_environment(session, session_dir, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    proc = session.run(
        ["sh", "-ec", f"""grep -c 192.0.2.10 /etc/hosts; ip -o addr show lo | grep -c 192.0.2.10
        echo $HOME $DOCKER_CONFIG $SSL_CERT_FILE; pwd
        skopeo login -u _json_key --password-stdin {HOST} < {session_dir}/keys/reader.json >/dev/null
        skopeo inspect --format '{{{{.Digest}}}}' docker://{IMAGE}"""],
        clients=other,
    )  # fmt: skip
    assert proc.returncode == 0, describe(proc)
    lines = proc.stdout.splitlines()
    assert lines[:2] == [str(len(data.all_hosts())), "1"]
    assert lines[2] == f"{other}/home {other}/home/.docker {session_dir}/ca.pem"
    assert lines[3] == str(other)
    assert lines[4].startswith("sha256:")


@needs["docker"]
def test_each_client_directory_keeps_its_own_login(session, session_dir, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for d in (first, second):
        d.mkdir()
    login = f'printf %s "$(cat {session_dir}/keys/reader.json)" | docker login -u _json_key --password-stdin {HOST}'
    assert session.run(["sh", "-ec", login], clients=first).returncode == 0
    assert (first / "home" / ".docker" / "config.json").is_file()
    assert not (second / "home" / ".docker" / "config.json").exists()


def test_a_timeout_kills_what_the_command_started(session):
    marker = "garauth-session-timeout-marker"
    with pytest.raises(subprocess.TimeoutExpired):
        session.run(["sh", "-c", f"sleep 300 & exec sleep 301 {marker}"], timeout=2)
    deadline = time.monotonic() + 10
    while _running(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _running(marker) == []


def test_stopping_the_session_leaves_nothing_running(workdir):
    session = Session(workdir.path).start()
    proc = session.popen(["sleep", "300"], stdout=subprocess.DEVNULL)
    assert _running(str(workdir.path)), "the sandbox is not running"
    session.stop()
    proc.wait(10)
    deadline = time.monotonic() + 10
    while _running(str(workdir.path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _running(str(workdir.path)) == []
    with pytest.raises(Exception, match="not running"):
        session.run(["true"])
