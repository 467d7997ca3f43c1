"""The command reference shows each command's --help; the files it includes are compared with
what the commands print (at 100 columns). GARAUTH_UPDATE_OUTPUTS=1 rewrites them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.outputs import compare

CLI = Path(__file__).resolve().parents[2] / "examples" / "cli"


@pytest.mark.parametrize("expected", sorted(CLI.glob("*.help.txt")), ids=lambda p: p.name)
def test_help_matches_the_reference_page(expected):
    command = expected.name.removesuffix(".help.txt")
    result = subprocess.run(
        [sys.executable, "-m", "garauth", command, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    compare(expected, result.stdout)
