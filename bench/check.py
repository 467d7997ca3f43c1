"""`garauth check` against check-jsonschema with its built-in CircleCI schema, over the same
1,000 generated CircleCI configs, cold (a fresh process each), in the same run.

    .venv/bin/python bench/check.py [--files 1000] [--repeat 3]

check-jsonschema only validates the schema; garauth check also reads every pull and runs every
rule. The goal (issue 8) is a ratio at or below 1. Prints the median of --repeat runs of each.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
LOCATIONS = ["us-central1", "europe-west1", "asia-northeast1", "us", "europe"]


def config(n: int, rng: random.Random) -> str:
    """One realistic config: a few jobs pulling with keys, base64 keys, keyless, and secondary containers."""
    loc = rng.choice(LOCATIONS)
    image = f"{loc}-docker.pkg.dev/acme-ci-{n % 97:03d}/ci-images/builder"
    jobs = []
    for j in range(rng.randint(2, 6)):
        kind = rng.choice(["key", "base64", "keyless", "secondary"])
        if kind == "key":
            docker = f"      - image: {image}:{j}.0\n        auth:\n          username: _json_key\n          password: $GCLOUD_SERVICE_KEY\n"
        elif kind == "base64":
            docker = f"      - image: {image}:{j}.1\n        auth:\n          username: _json_key_base64\n          password: $GCLOUD_SERVICE_KEY_B64\n"
        elif kind == "keyless":
            docker = (
                f"      - image: {image}:{j}.2\n        gcp_auth:\n"
                f"          oidc_service_account: puller@acme-ci-{n % 97:03d}.iam.gserviceaccount.com\n"
                "          workload_identity_pool: projects/123456789012/locations/global/workloadIdentityPools/circleci\n"
                "          workload_identity_provider: circleci\n"
            )
        else:
            docker = f"      - image: {image}:{j}.3\n        auth:\n          username: _json_key\n          password: $KEY\n      - image: cimg/postgres:16.1\n        name: db\n"
        steps = "".join(f"      - run: make step{s}\n" for s in range(rng.randint(2, 8)))
        jobs.append(f"  job{j}:\n    docker:\n{docker}    steps:\n      - checkout\n{steps}")
    workflow = "".join(f"      - job{j}\n" for j in range(len(jobs)))
    return f"version: 2.1\njobs:\n{''.join(jobs)}workflows:\n  main:\n    jobs:\n{workflow}"


def timed(argv: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "configs"
        folder.mkdir()
        files = []
        for n in range(args.files):
            path = folder / f"config-{n:04d}.yml"
            path.write_text(config(n, rng))
            files.append(str(path))
        ours, theirs = [], []
        for _ in range(args.repeat):
            seconds, code = timed([str(BIN / "garauth"), "check", str(folder)])
            assert code == 0, f"garauth check found something in the generated configs (exit {code})"
            ours.append(seconds)
            seconds, code = timed(
                [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.circle-ci", *files]
            )
            assert code == 0, f"check-jsonschema rejected a generated config (exit {code})"
            theirs.append(seconds)
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"{args.files} CircleCI configs, median of {args.repeat} cold runs")
    print(f"  garauth check                                 {a:8.2f} s  (schema, pulls and every rule)")
    print(f"  check-jsonschema --builtin-schema circle-ci   {b:8.2f} s  (schema only)")
    print(f"  ratio garauth / check-jsonschema              {a / b:8.2f}   (goal: at or below 1)")


if __name__ == "__main__":
    main()
