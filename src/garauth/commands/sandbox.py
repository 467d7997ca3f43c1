"""Run a command where the real registry hostnames reach the fake Artifact Registry.

    garauth sandbox [--workdir DIR] [--engine docker] [--engine containerd] -- COMMAND [ARG...]

COMMAND runs in private network, mount and PID namespaces (`unshare`). There:

  * the only network device is `lo`, with 127.0.0.1 and 192.0.2.10 (TEST-NET-1) on it, so
    nothing can leave the machine; /etc/resolv.conf names a resolver on 127.0.0.53 that answers
    every query with NXDOMAIN, so a name that is not routed fails with "no such host";
  * a private /etc/hosts maps every Artifact Registry, gcr.io and Google endpoint hostname to
    192.0.2.10, where the fake (`garauth fake-registry`) listens on port 443 with TLS.
    Not 127.0.0.1: the docker CLI skips certificate checks for a registry on a loopback address;
  * the fake's CA is trusted through SSL_CERT_FILE (skopeo, podman, docker), REQUESTS_CA_BUNDLE
    (requests, google-auth) and CURL_CA_BUNDLE, so clients verify TLS as they would against Google;
  * HOME, DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME and the containers
    configuration (registries, policy, signature lookaside, vfs storage for podman) point into
    the workdir, so nothing from the machine's ~/.docker or /etc/containers is read, and nothing
    is written outside the workdir;
  * /dev/shm is private and /var/lib and /run are overlays on a tmpfs, so what root podman,
    skopeo and dockerd would leave on the machine (a lock table, a blob-info cache, a plugin
    directory) goes away with the sandbox;
  * with --engine docker, the Docker Engine (dockerd, Debian's docker.io) runs in the sandbox
    before COMMAND, with its data, run state, socket and configuration in the workdir's docker/
    (no iptables, no bridge, vfs storage), and DOCKER_HOST names it; with --engine containerd,
    containerd runs likewise in containerd/, CONTAINERD_ADDRESS names it, and certs.d/ holds
    its registry hosts (for `ctr images pull --hosts-dir`). Both trust the fake's CA and are
    stopped before the sandbox ends. They need root;
  * COMMAND runs with the workdir as its current directory; its output passes through. It is
    in its own PID namespace: when the sandbox ends (or the process that started it dies),
    everything started in it ends too.

The workdir holds the fake's state.json, ca.pem and keys/{reader,writer,outsider}.json; the fake
seeds them on first use. Without --workdir a new temporary directory is used (and kept; its path
is printed). Give the same --workdir again to reuse the state and the keys.

Exit status: COMMAND's; 125 when the sandbox could not be set up (one line says why).
Needs root, or unprivileged user namespaces (then it runs under `unshare --map-root-user`).

From Python (tests): `available()` -> (ok, reason); `run(argv, workdir, env=, input=,
timeout=, engines=)` -> CompletedProcess with the command's output as text; `command_argv(argv,
workdir, engines=)` for a caller that wants its own Popen.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from garauth.sandbox import READY_TIMEOUT, SETUP_FAILED, SandboxError, available, command_argv
from garauth.sandbox.engines import ENGINES
from garauth.sandbox.inside import strip_dashes
from garauth.sandbox.outside import check_engines, follow


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="directory for the fake's state, CA and keys, and the clients' HOME (default: a new temp dir)",
    )
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=READY_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for the fake to start (default {READY_TIMEOUT:g})",
    )
    parser.add_argument(
        "--engine",
        action="append",
        default=[],
        choices=list(ENGINES),
        help="start this container engine in the sandbox first (repeat for both)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")


def run(args: argparse.Namespace) -> int:
    command = strip_dashes(list(args.command))
    if not command:
        print(
            "garauth sandbox: give the command to run after --, e.g. garauth sandbox -- skopeo --version",
            file=sys.stderr,
        )
        return 2
    ok, reason = available()
    if not ok:
        print(f"garauth sandbox: {reason}", file=sys.stderr)
        return SETUP_FAILED
    try:
        check_engines(args.engine)
    except SandboxError as err:
        print(f"garauth sandbox: {err}", file=sys.stderr)
        return SETUP_FAILED
    if args.workdir is not None:
        workdir = args.workdir.resolve()
        try:
            workdir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            print(f"garauth sandbox: cannot use --workdir {args.workdir}: {err.strerror}", file=sys.stderr)
            return 2
    else:
        workdir = Path(tempfile.mkdtemp(prefix="garauth-sandbox-"))
        print(f"garauth sandbox: workdir {workdir} (kept; reuse it with --workdir)", file=sys.stderr)
    argv = command_argv(command, workdir, ready_timeout=args.ready_timeout, engines=args.engine)
    return follow(subprocess.Popen(argv))
