"""Growth curves: time and peak memory of `garauth check` against input size, for inputs of
several shapes, beside the loader garauth used before (ruamel.yaml's pure-Python round-trip
loader) on the same files, in the same run.

    .venv/bin/python bench/parse_growth.py [--sizes 0.25,0.5,1,2,5] [--baseline-timeout 30]

Each measurement is a fresh process (cold, as a user's run is): it loads the file, validates it
and runs the rules, and reports its own wall time and peak RSS. The goal from issue 7 is a 5 MB
config under 2 s and 200 MB on the project's machine (2 cores), whatever its shape; the last
column says whether each 5 MB row meets it. Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

MB = 1_000_000
IMAGE = "us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0"


class _Lines(list):
    """Lines that keep count of their total length (a running sum, not a sum per line)."""

    length = 0

    def add(self, *lines: str) -> None:
        self.extend(lines)
        self.length += sum(len(line) + 1 for line in lines)


def jobs(size: int) -> str:
    """Many small jobs, each with an image and a credential: the common large config."""
    out, i = _Lines(), 0
    out.add("version: 2.1", "jobs:")
    while out.length < size:
        out.add(
            f"  job{i}:",
            "    docker:",
            f"      - image: {IMAGE}",
            "        auth:",
            "          username: _json_key",
            "          password: $GCLOUD_SERVICE_KEY",
            "    steps:",
            "      - checkout",
            f"      - run: make test TARGET=t{i}",
        )
        i += 1
    return "\n".join(out) + "\n"


def long_steps(size: int) -> str:
    """Few jobs with long run scripts (lines of 5,000 characters)."""
    out = _Lines()
    out.add("version: 2.1", "jobs:", "  build:", "    docker:", f"      - image: {IMAGE}", "    steps:")
    while out.length < size:
        out.add("      - run: echo " + "x" * 5000)
    return "\n".join(out) + "\n"


def flat_list(size: int) -> str:
    """One long block list of tiny values: the most values per byte."""
    count = max(1, (size - 20) // 4)
    return "version: 2.1\nk:\n" + "- 1\n" * count


def comments(size: int) -> str:
    """Comment lines of 50,000 characters (below the line limit)."""
    out = _Lines()
    out.add("version: 2.1")
    while out.length < size:
        out.add("# " + "c" * 50_000)
    return "\n".join(out) + "\n"


def aliases(size: int) -> str:
    """Jobs that share their docker block through an anchor, as large configs often do."""
    out = _Lines()
    out.add(
        "version: 2.1",
        "x:",
        "  d: &d",
        f"    - image: {IMAGE}",
        "      auth: {username: _json_key, password: $GCLOUD_SERVICE_KEY}",
        "jobs:",
    )
    i = 0
    while out.length < size:
        out.add(f"  job{i}:", "    docker: *d", "    steps: [checkout]")
        i += 1
    return "\n".join(out) + "\n"


SHAPES = {
    "jobs": jobs,
    "long-steps": long_steps,
    "flat-list": flat_list,
    "comments": comments,
    "aliases": aliases,
}

MEASURE = r"""
import json, os, resource, sys, time
sys.stdout = open(os.devnull, "w")
start = time.perf_counter()
which, path = sys.argv[1], sys.argv[2]
if which == "garauth":
    from garauth.cli import main
    code = main(["check", path])
else:
    from ruamel.yaml import YAML
    YAML(typ="rt").load(open(path).read())
    code = 0
print(json.dumps({"s": time.perf_counter() - start, "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "code": code}), file=sys.stderr)
"""


def measure(which: str, path: Path, timeout: float) -> dict | None:
    try:
        proc = subprocess.run(
            [sys.executable, "-c", MEASURE, which, str(path)], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None
    return json.loads(proc.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.25,0.5,1,2,5", help="sizes in MB, comma-separated")
    parser.add_argument("--baseline-timeout", type=float, default=30.0)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    print(
        f"{'shape':<11} {'MB':>5} {'garauth s':>10} {'garauth MB':>11} {'exit':>5} {'ruamel rt s':>12} {'ratio':>7}  5 MB goal"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes.split(","):
            for size in sizes:
                path = Path(tmp) / f"{shape}-{size}.yml"
                path.write_text(SHAPES[shape](int(size * MB)))
                ours = measure("garauth", path, 120)
                base = measure("ruamel", path, args.baseline_timeout)
                base_s = f"{base['s']:.2f}" if base else f">{args.baseline_timeout:.0f}"
                ratio = f"{base['s'] / ours['s']:.1f}x" if base and ours else "-"
                goal = ""
                if size == 5 and ours:
                    goal = "met" if ours["s"] < 2 and ours["mb"] < 200 else "missed"
                print(
                    f"{shape:<11} {size:>5} {ours['s']:>10.2f} {ours['mb']:>11.0f} {ours['code']:>5} {base_s:>12} {ratio:>7}  {goal}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
