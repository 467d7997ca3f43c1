"""Hostile inputs get an answer: every class of input that once hung garauth, blew its memory or
gave a traceback now ends with exit 0, 1 or 2 and one line naming the limit it crossed.

Each input runs `garauth check` in its own process with a hard timeout (a hang is a failure, not
a slow run) and its peak memory read from the kernel. The figures themselves (time and memory
against input size) are in bench/parse_growth.py; this module asserts behaviour only.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

HANG = 60  # seconds: far above any normal run; reaching it means garauth did not stop
MEMORY_MB = 600  # peak RSS far above a normal run (~60 MB); reaching it means a blow-up

JOB = "  j{i}:\n    docker:\n      - image: us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0\n    steps: [checkout]\n"


def bomb(where: str, levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels):
        prev = f"*a{n - 1}"
        lines.append(f"a{n}: &a{n} [{', '.join([prev] * 10)}]")
    anchors = "\n".join("  " + line for line in lines)
    last = f"*a{levels - 1}"
    places = {
        "steps": f"version: 2.1\nx:\n{anchors}\njobs:\n  b:\n    docker: [{{image: cimg/base:1.0}}]\n    steps: {last}\n",
        "environment": f"version: 2.1\nx:\n{anchors}\njobs:\n  b:\n    docker: [{{image: cimg/base:1.0}}]\n    environment: {{K: {last}}}\n    steps: [checkout]\n",
        "parameter-default": f"version: 2.1\nx:\n{anchors}\njobs:\n  b:\n    parameters: {{p: {{type: string, default: {last}}}}}\n    docker: [{{image: cimg/base:1.0}}]\n    steps: [checkout]\n",
        "merge-key": f"version: 2.1\nx:\n{anchors}\n  m: &m {{k: {last}}}\njobs:\n  b:\n    <<: *m\n    docker: [{{image: cimg/base:1.0}}]\n    steps: [checkout]\n",
        "auth": f"version: 2.1\nx:\n{anchors}\njobs:\n  b:\n    docker: [{{image: cimg/base:1.0, auth: {{username: u, password: {last}}}}}]\n    steps: [checkout]\n",
    }
    return places[where]


def matrix(params: int, values: int) -> str:
    lines = "".join(
        f"              p{i}: [{', '.join(str(v) for v in range(values))}]\n" for i in range(params)
    )
    declared = "".join(f"      p{i}: {{type: string}}\n" for i in range(params))
    return (
        "version: 2.1\njobs:\n  b:\n    parameters:\n"
        + declared
        + "    docker:\n      - image: cimg/base:1.0\n    steps: [checkout]\nworkflows:\n  w:\n    jobs:\n      - b:\n"
        + "          matrix:\n            parameters:\n"
        + lines
    )


CASES: dict[str, tuple[str, str]] = {
    # name: (content, what the one line must say; "" when the file is simply read)
    **{
        f"alias bomb in {w}": (bomb(w), "values once its aliases")
        for w in ("steps", "environment", "parameter-default", "merge-key", "auth")
    },
    "flow sequence 10,000 deep": ("[" * 10_000 + "]" * 10_000, "nested more than 100 levels"),
    "block mapping 500 deep": (
        "".join("  " * i + f"k{i}:\n" for i in range(500)),
        "nested more than 100 levels",
    ),
    "10,000 jobs": (
        "version: 2.1\njobs:\n" + "".join(JOB.format(i=i) for i in range(10_000)),
        "garauth reads configs of up to",
    ),
    "10,000 workflow entries": (
        "version: 2.1\njobs:\n" + JOB.format(i=0) + "workflows:\n  w:\n    jobs:\n" + "      - j0\n" * 10_001,
        "the workflows run more than",
    ),
    "5 MB comment line": ("version: 2.1\n# " + "x" * 5_000_000 + "\n", "garauth reads lines of up to"),
    "matrix 5 x 10": (matrix(5, 10), "this matrix expands to more than"),
    "matrix 8 x 10": (matrix(8, 10), "this matrix expands to more than"),
    "matrix 20 x 3": (matrix(20, 3), "this matrix expands to more than"),
    "9 MB file": ("version: 2.1\nk: [" + "1," * 4_500_000 + "1]\n", "larger than"),
    "an integer of 5,000 digits": ("version: 2.1\nn: " + "9" * 5000 + "\n", "more than 4,000 digits"),
    "%YAML 1.3": ("%YAML 1.3\n---\nversion: 2.1\n", "not valid YAML"),
    "!!omap": ("version: 2.1\nx: !!omap [a: 1]\n", "the YAML tag !!omap"),
    "!! alone": ("!!\n", "not valid YAML"),
    "escaped surrogate": ('version: 2.1\nx: "\\ud800"\n', "not valid YAML"),
    "many short values": ("version: 2.1\nk:\n" + "- 1\n" * 1_100_000, "values once its aliases"),
}


def run_limited(path: Path) -> tuple[subprocess.CompletedProcess, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, "-m", "garauth", "check", str(path)], capture_output=True, text=True, timeout=HANG
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc, max(peak, before) // 1024


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_gets_one_line(name, tmp_path):
    content, says = CASES[name]
    path = tmp_path / "config.yml"
    path.write_text(content)
    proc, peak_mb = run_limited(path)
    assert proc.returncode in (0, 1, 2), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr[-2000:]
    if says:
        assert proc.returncode == 2 and says in proc.stderr, proc.stderr[-2000:]
        assert proc.stderr.count("\n") == 1
    assert peak_mb < MEMORY_MB


def test_dev_zero_is_refused_at_the_size_limit():
    proc, peak_mb = run_limited(Path("/dev/zero"))
    assert proc.returncode == 2 and "larger than" in proc.stderr
    assert peak_mb < MEMORY_MB
