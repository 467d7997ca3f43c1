"""Where the sandbox cannot run, `garauth sandbox` says why in one line. These tests need no
namespaces, so they run (and matter most) exactly where the other sandbox tests are skipped."""

import os
import subprocess
import sys

from garauth import sandbox


def test_cli_without_unshare_says_why_in_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "garauth.cli", "sandbox", "--workdir", str(tmp_path), "--", "true"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(tmp_path)},  # no unshare on PATH
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == sandbox.SETUP_FAILED
    assert proc.stderr == "garauth sandbox: `unshare` is not installed (Debian package util-linux)\n"


def test_cli_without_a_command_says_what_to_give(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "garauth.cli", "sandbox", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "give the command to run after --" in proc.stderr
