"""The test kit: what every platform's tests share, so that a platform is one reader, one
examples/ folder and one test module.

    availability  one check of what the real-client tests need (sandbox, clients, engines)
    live          one sandbox and one fake for the whole run (nsenter joins; the fake served
                  from this process), and the run's seeded workdir
    fake          the live fake: its State, resets, named changes, the request log
    changes       named state changes: delete key, disable account, expire token, remove binding
    workdir       a seeded workdir per test, and shell lines for the demo accounts' passwords
    runner        pull as written (engine of record: the Docker Engine), run a step as written
                  (`docker login`), the registry's answer, the token exchange, containerd pulls
    refusals      the one catalogue of refusals, and what each client prints for each
    outputs       stored program output (compare), client output helpers
    suite         PlatformSuite: the tests every platform gets from its declarations
    fixtures      the pytest fixtures (workdir, fake) and hooks, loaded by tests/conftest.py
"""

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
