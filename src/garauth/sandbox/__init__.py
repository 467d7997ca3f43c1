"""A private place where the real registry hostnames reach the fake Artifact Registry.

From Python (tests, benchmarks):
    available() -> (ok, reason)        whether a sandbox can run here, and if not, why in one line
    run(argv, workdir, env=, input=, timeout=) -> CompletedProcess (output as text)
    command_argv(argv, workdir)        the command line, for a caller that wants its own Popen
    SandboxError                       raised when no sandbox can be set up

The command line is `garauth sandbox` (garauth.commands.sandbox), which describes what a sandbox
holds. The modules:
    outside   availability, the `unshare` command line, run(), passing signals on
    inside    PID 1 of the namespaces: network, mounts, hosts file, resolver; runs the command
    clients   per-client configuration and the environment commands get
    fake      the fake's lifecycle in the sandbox
    layout    the fake's address and where things live in a workdir
"""

from garauth.sandbox.errors import SETUP_FAILED, SandboxError
from garauth.sandbox.fake import READY_TIMEOUT
from garauth.sandbox.layout import FAKE_ADDR, FAKE_PORT
from garauth.sandbox.outside import available, command_argv, run

__all__ = [
    "FAKE_ADDR",
    "FAKE_PORT",
    "READY_TIMEOUT",
    "SETUP_FAILED",
    "SandboxError",
    "available",
    "command_argv",
    "run",
]
