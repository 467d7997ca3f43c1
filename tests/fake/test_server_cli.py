"""`garauth fake-registry` as a separate process: the ready line, the workdir it writes, reuse of
a state changed offline, a clean exit on SIGTERM and SIGINT, and one-line errors."""

from __future__ import annotations

import json
import os
import signal
import ssl
import stat
import subprocess
import sys

import httpx
import pytest

from garauth import data
from garauth.fake import demo
from garauth.fake.state import State
from garauth.fake.testing import route

from .conftest import IMAGE, REGISTRY


def start(workdir, listen="127.0.0.1:0"):
    proc = subprocess.Popen(
        [sys.executable, "-m", "garauth", "fake-registry", "--workdir", str(workdir), "--listen", listen],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stdout.readline().strip()
    assert first.startswith("ready https://127.0.0.1:"), (first, proc.stderr.read() if proc.poll() else "")
    port = int(first.rsplit(":", 1)[1])
    images = [proc.stdout.readline().strip() for _ in demo.IMAGES]
    return proc, port, images


def stop(proc, sig=signal.SIGTERM) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, err


def manifest_status(workdir, port, key_text) -> int:
    with route(data.all_hosts(), port):
        with httpx.Client(verify=ssl.create_default_context(cafile=str(workdir / "ca.pem"))) as c:
            r = c.get(f"https://{REGISTRY}/v2/{IMAGE}/manifests/1.0", auth=("_json_key", key_text))
            return r.status_code


def test_fresh_workdir_is_seeded_and_served(tmp_path):
    workdir = tmp_path / "w"
    proc, port, images = start(workdir)
    try:
        assert images == [f"image {ref}" for ref in demo.IMAGES]
        for account in demo.ACCOUNTS:
            path = workdir / "keys" / f"{account}.json"
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            assert json.loads(path.read_text())["client_email"] == demo.email(account)
        assert (workdir / "ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert manifest_status(workdir, port, (workdir / "keys" / "reader.json").read_text()) == 200
    finally:
        code, err = stop(proc)
    assert code == 0 and "Traceback" not in err
    assert State.exists(workdir)


def test_state_changed_offline_is_used_and_sigint_exits_cleanly(workdir):
    reader = (workdir / "keys" / "reader.json").read_text()
    state = State.load(workdir)
    state.delete_key(json.loads(reader)["private_key_id"])
    state.save(workdir)
    proc, port, _ = start(workdir)
    try:
        assert manifest_status(workdir, port, reader) == 401
        assert manifest_status(workdir, port, (workdir / "keys" / "writer.json").read_text()) == 200
    finally:
        code, err = stop(proc, signal.SIGINT)
    assert code == 0 and "Traceback" not in err
    assert "reader.json" in os.listdir(workdir / "keys")  # existing key files are kept


def test_request_log_holds_no_secrets(workdir):
    reader = (workdir / "keys" / "reader.json").read_text()
    proc, port, _ = start(workdir)
    try:
        manifest_status(workdir, port, reader)
        manifest_status(workdir, port, "not-json-at-all")
    finally:
        stop(proc)
    log = (workdir / "requests.log").read_text()
    records = [json.loads(line) for line in log.splitlines()]
    assert records and all({"host", "method", "path", "status"} <= set(r) for r in records)
    assert any(r.get("principal") == f"serviceAccount:{demo.email('reader')}" for r in records)
    assert any(r.get("sni") == REGISTRY for r in records)
    key = json.loads(reader)
    for secret in (key["private_key_id"], key["private_key"].splitlines()[1], "not-json-at-all", "Basic "):
        assert secret not in log


@pytest.mark.parametrize(
    "listen, message",
    [
        ("nonsense", "write HOST:PORT"),
        ("127.0.0.1:99999", "cannot listen"),
        ("192.0.2.77:1", "cannot listen"),
    ],
)
def test_bad_listen_is_one_line(tmp_path, listen, message):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "garauth",
            "fake-registry",
            "--workdir",
            str(tmp_path / "w"),
            "--listen",
            listen,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_broken_state_file_is_one_line(tmp_path):
    (tmp_path / "state.json").write_text("{broken")
    proc = subprocess.run(
        [sys.executable, "-m", "garauth", "fake-registry", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "state.json" in proc.stderr and "Traceback" not in proc.stderr


def test_push_is_saved_at_once_but_an_outside_change_is_not_overwritten(workdir):
    proc, port, _ = start(workdir)
    try:
        with route(data.all_hosts(), port):
            with httpx.Client(verify=ssl.create_default_context(cafile=str(workdir / "ca.pem"))) as c:
                writer = (workdir / "keys" / "writer.json").read_text()
                blob = b"saved on exit\n"
                import hashlib

                digest = "sha256:" + hashlib.sha256(blob).hexdigest()
                r = c.post(
                    f"https://{REGISTRY}/v2/{IMAGE}/blobs/uploads/",
                    params={"digest": digest},
                    content=blob,
                    auth=("_json_key", writer),
                )
                assert r.status_code == 201
    finally:
        assert stop(proc)[0] == 0
    resource = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.REPO}"
    assert State.load(workdir).has_blob(resource, digest)

    proc, port, _ = start(workdir)
    try:
        state = State.load(workdir)
        state.disable_account(demo.email("outsider"))
        state.save(workdir)
    finally:
        code, err = stop(proc)
    assert code == 0 and "changed while serving" in err
    assert not State.load(workdir).account_enabled(demo.email("outsider"))


def test_unusable_workdir_is_one_line_not_a_traceback(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "garauth",
            "fake-registry",
            "--workdir",
            str(blocker / "wd"),
            "--listen",
            "127.0.0.1:0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "cannot prepare the workdir" in proc.stderr


def test_a_sigterm_right_after_the_ready_line_still_stops_cleanly(tmp_path):
    """The signal arrives before uvicorn installs its handlers (here: sent from the ready line's
    own callback): the fake stops with status 0 and its state saved, instead of dying of it."""
    import subprocess
    import sys

    code = (
        "import os, signal, sys\n"
        "from garauth.fake.server import serve\n"
        "announce = lambda url, paths: os.kill(os.getpid(), signal.SIGTERM)\n"
        f"sys.exit(serve({str(tmp_path / 'w')!r}, '127.0.0.1', 0, announce=announce))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "w" / "state.json").is_file()
