#!/bin/sh
# Make sure the system packages the tests need are installed.
# As root, missing ones are installed with apt; otherwise this stops and names them.
#   python3-venv     Debian's Python needs it to create .venv (PYTHON names the interpreter);
#                    with --venv-only, that is all this checks (make serve)
#   skopeo, podman   real registry clients that run inside `garauth sandbox`
#   docker.io        the Docker Engine (dockerd 20.10) and a docker CLI: CI job images, `docker
#                    login` and `docker pull` run through it, inside the sandbox
#   containerd       containerd 1.6 and ctr: the runtime Kubernetes nodes pull with
#   iproute2, util-linux   `ip`, `unshare` and `nsenter`, which build and join the sandbox
#   curl             shows the registry's own error body in the sandbox tests
#   jq               minifies a key file as examples/github/store-key.sh does
#   openssl          runs the guide's GitLab script that makes DOCKER_AUTH_CONFIG (openssl base64 -A)
# The engines are checked by their daemons (dockerd, containerd), not by a `docker` command:
# a docker CLI alone is not an engine. They are installed without starting the machine's own
# services (policy-rc.d): the tests start their own, inside the sandbox, and stop them.
set -eu

missing=""
# In PATH, or in an sbin directory a non-root PATH may lack.
need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] || missing="$missing $2"; }
"${PYTHON:-python3}" -c 'import ensurepip' >/dev/null 2>&1 || missing="$missing python3-venv"
if [ "${1:-}" != "--venv-only" ]; then
need skopeo skopeo
need podman podman
need dockerd docker.io
need containerd containerd
need ctr containerd
need ip iproute2
need unshare util-linux
need nsenter util-linux
need curl curl
need jq jq
need openssl openssl
need chromium chromium  # the browser tests (tests/browser), driven by Playwright
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
# Keep the packages' services (docker, containerd) from starting: nothing may be left running.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
