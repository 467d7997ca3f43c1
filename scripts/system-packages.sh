#!/bin/sh
# Make sure the system packages the tests need are installed.
# As root, missing ones are installed with apt; otherwise this stops and names them.
#   python3-venv     Debian's Python needs it to create .venv (PYTHON names the interpreter);
#                    with --venv-only, that is all this checks (make serve)
#   skopeo, podman   real registry clients that run inside `garauth sandbox`
#   docker.io        only when no docker CLI is on PATH (the tests use `docker login` only)
#   iproute2, util-linux   `ip` and `unshare`, which build the sandbox's private network
#   curl             shows the registry's own error body in the sandbox tests
set -eu

missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
"${PYTHON:-python3}" -c 'import ensurepip' >/dev/null 2>&1 || missing="$missing python3-venv"
if [ "${1:-}" != "--venv-only" ]; then
need skopeo skopeo
need podman podman
need docker docker.io
need ip iproute2
need unshare util-linux
need curl curl
fi

[ -z "$missing" ] && exit 0
missing=$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/^ *//; s/ *$//')

if [ "$(id -u)" -ne 0 ]; then
    echo "make: the tests need these Debian packages, which are not installed: $missing" >&2
    echo "make: install them with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends $missing" >&2
    exit 1
fi

echo "installing system packages: $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
