"""`garauth sandbox` itself: status and output pass through, the routing, the private files,
the environment, nothing left running, and the messages when it cannot start."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from garauth import data, sandbox
from kit import live
from kit.availability import needs, needs_sandbox
from kit.outputs import describe
from kit.workdir import copy_seed

pytestmark = [pytest.mark.sandbox, needs_sandbox]


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """A seeded workdir for this module's tests that only read it."""
    return copy_seed(live.seed(), tmp_path_factory.mktemp("shared") / "w")


@pytest.fixture
def workdir(workdir) -> Path:
    """This test's seeded workdir, as a path: these tests start sandboxes of their own on it."""
    return workdir.path


def _fakes_for(workdir: Path) -> list[int]:
    """PIDs of fake-registry processes serving workdir, anywhere on the machine."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"fake-registry" in argv and str(workdir).encode() in argv:
            pids.append(int(entry.name))
    return pids


# One sandbox answers the read-only questions below, one section each; it ends with status 7.
_RESOLVE = """import socket, garauth.data as d
bad = [h for h in d.all_hosts() if socket.gethostbyname(h) != '192.0.2.10']
print(len(d.all_hosts()), bad)
try:
    socket.gethostbyname('example.com'); print('example.com resolved')
except OSError:
    print('example.com unresolved')
"""
# 203.0.113.7 is TEST-NET-3: never anyone's host; the namespace has no route to it anyway.
_CONNECT = "import socket; socket.create_connection(('203.0.113.7', 443), timeout=5)"
_PROBE = """echo out; echo err >&2; cat
echo '--- resolve'; "$PY" -c "$RESOLVE"
echo '--- route'; ip -o link | wc -l
curl -sS --max-time 5 https://203.0.113.7/ 2>/dev/null || echo curl=$?
"$PY" -c "$CONNECT" 2>&1 | tail -1
echo '--- env'; pwd
for v in HOME DOCKER_CONFIG REGISTRY_AUTH_FILE XDG_RUNTIME_DIR XDG_CONFIG_HOME \
  CONTAINERS_STORAGE_CONF SSL_CERT_FILE REQUESTS_CA_BUNDLE CURL_CA_BUNDLE; do eval echo \\$$v; done
echo '--- hosts'; grep -c 192.0.2.10 /etc/hosts
exit 7
"""


@pytest.fixture(scope="module")
def probe(shared):
    """The probe's run, its output by section, and the machine's /etc/hosts before it."""
    hosts = Path("/etc/hosts").read_bytes()
    env = {"PY": sys.executable, "RESOLVE": _RESOLVE, "CONNECT": _CONNECT}
    proc = sandbox.run(["sh", "-c", _PROBE], shared, env=env, input="in\n")
    sections, name = {"": []}, ""
    for line in proc.stdout.splitlines():
        if line.startswith("--- "):
            name = line[4:]
            sections[name] = []
        else:
            sections[name].append(line)
    return proc, sections, hosts


def test_status_and_output_pass_through(probe):
    proc, sections, _ = probe
    assert (proc.returncode, sections[""], proc.stderr) == (7, ["out", "in"], "err\n"), describe(proc)
    assert proc.args == ["sh", "-c", _PROBE]


def test_every_host_resolves_to_the_fake_and_nothing_else_resolves(probe):
    proc, sections, _ = probe
    assert sections["resolve"] == [f"{len(data.all_hosts())} []", "example.com unresolved"], describe(proc)


@needs["curl"]
def test_no_route_out(probe):
    proc, sections, _ = probe
    assert sections["route"] == ["1", "curl=7", "OSError: [Errno 101] Network is unreachable"], describe(proc)


def test_environment_points_into_the_workdir(probe, shared):
    proc, sections, _ = probe
    lines = sections["env"]
    assert lines[0] == str(shared), describe(proc)
    assert all(line.startswith(str(shared) + "/") for line in lines[1:]), lines
    assert lines[-3:] == [str(shared / "ca.pem")] * 3


def test_machine_hosts_file_untouched_and_fake_stopped(probe, shared):
    proc, sections, before = probe
    assert sections["hosts"] == [str(len(data.all_hosts()))], describe(proc)
    assert Path("/etc/hosts").read_bytes() == before
    assert _fakes_for(shared) == []


def test_timeout_stops_command_and_fake(workdir):
    with pytest.raises(subprocess.TimeoutExpired) as timeout:
        sandbox.run(["sh", "-c", "echo started; exec sleep 60"], workdir, timeout=5)
    # The command (and so the fake before it) was running when the timeout struck.
    output = timeout.value.stdout or b""
    assert "started" in (output.decode() if isinstance(output, bytes) else output)
    deadline = time.monotonic() + 10
    while _fakes_for(workdir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _fakes_for(workdir) == []


def test_fake_that_fails_to_start_is_reported(workdir):
    (workdir / "state.json").write_text("not json")
    proc = sandbox.run(["true"], workdir)
    assert proc.returncode == sandbox.SETUP_FAILED
    first, *rest = proc.stderr.splitlines()
    why = "the fake registry exited with status 2 before it was ready"
    assert first == f"garauth sandbox: {why}; its stderr ends with:"
    assert any("state.json: cannot be read" in line for line in rest), proc.stderr


def test_command_not_found(shared):
    proc = sandbox.run(["no-such-command-here"], shared)
    assert (proc.returncode, proc.stderr) == (
        127,
        "garauth sandbox: command not found: no-such-command-here\n",
    )


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "garauth.cli", "sandbox", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_cli_runs_in_a_new_temporary_workdir():
    proc = _cli("--", "sh", "-c", "test -s ca.pem && pwd")
    line = proc.stderr.strip()
    assert line.startswith("garauth sandbox: workdir ") and line.endswith(" (kept; reuse it with --workdir)")
    workdir = Path(line.split()[3])
    try:
        assert proc.returncode == 0, describe(proc)
        assert proc.stdout.strip() == str(workdir)
        assert (workdir / "keys" / "reader.json").is_file()
    finally:
        import shutil

        shutil.rmtree(workdir)


def test_cli_with_workdir_and_exit_status(shared):
    proc = _cli("--workdir", str(shared), "--", "sh", "-c", "exit 3")
    assert (proc.returncode, proc.stderr) == (3, "")


def test_cli_without_command():
    proc = _cli()
    assert proc.returncode == 2
    assert (
        proc.stderr
        == "garauth sandbox: give the command to run after --, e.g. garauth sandbox -- skopeo --version\n"
    )


def test_sigterm_stops_everything(workdir):
    # The command records that SIGTERM reached it; "started" says the sandbox (fake included) is up.
    script = 'trap "echo got-term > term.txt; exit 143" TERM; echo started; sleep 60 & wait'
    proc = subprocess.Popen(
        [sys.executable, "-m", "garauth.cli", "sandbox", "--workdir", str(workdir), "--", "sh", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "started", "the command did not start"
    assert _fakes_for(workdir), "the fake is not running while the command runs"
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 45  # well before the command's own 60 s were up
    deadline = time.monotonic() + 10
    while not (workdir / "term.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (workdir / "term.txt").read_text().strip() == "got-term", "SIGTERM did not reach the command"
    assert _fakes_for(workdir) == [], "the CLI returned before the fake had stopped"


def test_killed_caller_leaves_nothing_running(workdir):
    # Even SIGKILL of the process that started the sandbox stops it (parent-death signal).
    caller = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from garauth import sandbox; sandbox.run(['sleep', '60'], sys.argv[1])",
            str(workdir),
        ]
    )
    deadline = time.monotonic() + 20
    while not _fakes_for(workdir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _fakes_for(workdir), "the fake did not start"
    caller.kill()
    caller.wait()
    deadline = time.monotonic() + 10
    while _fakes_for(workdir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _fakes_for(workdir) == []
