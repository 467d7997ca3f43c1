"""PlatformSuite: the tests every platform gets from what its test module declares.

A platform is a reader (garauth.readers.X), a folder examples/<platform>/ and one test module
with a subclass of PlatformSuite that declares:

    platform          the folder's name under examples/
    reader            the reader module: read(path) -> ReadResult; run_steps(path) if the
                      platform has shell steps
    pattern           which files of the folder are configs (default "*.yml")
    engine            the engine its job images are pulled with (default: the Docker Engine)
    variables(wd)     the values the platform gives the examples' variables (secrets included)
    step_environment  variables the platform sets in every step (e.g. the commit SHA)
    checkout          files a job's checkout gives its steps (e.g. a Dockerfile to build)
    prepare(state)    what the examples need in the fake beyond the demo state
    cases             the failures its troubleshooting page shows (Case), each naming its
                      refusal in the catalogue (kit.refusals)
    job_image_error   how the platform words a failed job-image pull around the engine's message

and gets the tests below (parametrized by kit.fixtures' pytest_generate_tests): every example
reads cleanly; every Artifact Registry image it pulls is pulled as written through its engine;
every job that logs in runs its steps as written; every troubleshooting case produces exactly the
stored outputs the page shows; every stored output belongs to a case or an example.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import ClassVar

from garauth.fake.state import State, repository_name
from kit import EXAMPLES
from kit.availability import needs_sandbox
from kit.outputs import client_lines, compare, describe
from kit.refusals import REFUSALS
from kit.runner import ENGINE_OF_RECORD, Basic, credential, pull, run_step, token_request
from kit.workdir import Workdir


@dataclass(frozen=True)
class Case:
    """One failure a troubleshooting page shows; its stored outputs are errors/NAME.*.txt:

    NAME.docker.txt     the engine's message, worded as the platform shows a failed job image
    NAME.podman.txt     what `podman pull` prints
    NAME.registry.txt   the token endpoint's own answer (curl)
    NAME.exchange.txt   what google-auth prints when the token exchange is refused
    NAME.pulls.txt      what `garauth pulls` says about the config before anything runs
    """

    name: str
    config: str  # relative to examples/<platform>/
    refusal: str | None = None  # its entry in kit.refusals.REFUSALS
    password_in: str | None = None  # the variable that gets the refusal's password
    unset: tuple[str, ...] = ()  # variables the platform does not set for this case
    runtime: bool = True  # False: what happens at pull time is not reproducible here
    registry: bool = True  # also show the token endpoint's answer
    static: bool = False  # `garauth pulls` reports it before anything runs


class PlatformSuite:
    platform: ClassVar[str]
    reader: ClassVar[ModuleType]
    pattern: ClassVar[str] = "*.yml"
    engine: ClassVar[str] = ENGINE_OF_RECORD
    step_environment: ClassVar[Mapping[str, str]] = {}
    checkout: ClassVar[Mapping[str, str]] = {}
    cases: ClassVar[list[Case]] = []
    job_image_error: ClassVar[str] = "{error}"

    def variables(self, workdir: Workdir) -> dict[str, str]:
        return {}

    def prepare(self, state: State) -> None:
        pass

    # --- what the tests are parametrized with ----------------------------------------------

    @classmethod
    def folder(cls) -> Path:
        return EXAMPLES / cls.platform

    @classmethod
    def examples(cls) -> list[Path]:
        return sorted(cls.folder().glob(cls.pattern))

    @classmethod
    def ar_pulls(cls, path: Path) -> list:
        result = cls.reader.read(path)
        return [s for s in result.pullspecs if s.image is not None and s.image.ar is not None]

    @classmethod
    def steps(cls, path: Path) -> list:
        return cls.reader.run_steps(path) if hasattr(cls.reader, "run_steps") else []

    @classmethod
    def login_jobs(cls, path: Path) -> list[str]:
        """Jobs with a step that logs in to a registry: their steps are run as written."""
        jobs = [s.job for s in cls.steps(path) if "docker login" in s.command]
        return list(dict.fromkeys(jobs))

    @classmethod
    def errors_folder(cls) -> Path:
        return cls.folder() / "errors"

    # --- the tests -------------------------------------------------------------------------

    def test_example_reads_cleanly(self, example: Path):
        """The reader, with the platform's own schema, accepts the example."""
        result = self.reader.read(example)
        assert result.errors == [], "\n".join(map(str, result.errors))

    @needs_sandbox
    def test_image_pulls_as_written(self, pullspec, workdir: Workdir):
        path, spec = pullspec
        self.prepare(workdir.state)
        result = pull(spec, workdir, self.variables(workdir), engine=self.engine)
        assert result.ok, result.describe()
        ar = spec.image.ar
        expected = workdir.state.get_manifest(
            repository_name(ar.project, ar.location, ar.repository), ar.image, spec.image.reference
        )
        assert expected is not None and result.digest == expected[0], result.describe()

    @needs_sandbox
    def test_steps_run_as_written(self, job, workdir: Workdir):
        """Each step of a job that logs in, as written, in order, through the shared engine,
        in a checkout holding the platform's `checkout` files."""
        path, name = job
        self.prepare(workdir.state)
        checkout = workdir.path / "checkout"
        checkout.mkdir()
        for file, text in self.checkout.items():
            (checkout / file).write_text(text)
        bound = {**self.variables(workdir), **self.step_environment}
        outputs = []
        try:
            for step in [s for s in self.steps(path) if s.job == name]:
                proc = run_step(step.command, workdir, bound, cwd=checkout)
                assert proc.returncode == 0, (
                    f"{step.position}: {step.name or 'step'} failed\n{describe(proc)}"
                )
                outputs.append(proc)
        finally:
            run_step(_CLEAN_ENGINE, workdir)
        assert any("Login Succeeded" in p.stdout for p in outputs), "no step logged in"
        self.check_job(path, name, workdir, outputs)

    def check_job(self, path: Path, job: str, workdir: Workdir, outputs: list) -> None:
        """What the platform checks after a job's steps ran (pushes arrived, and so on)."""

    def test_every_example_is_exercised(self):
        """An example that pulls nothing from Artifact Registry must at least log in in a step."""
        for path in self.examples():
            assert self.ar_pulls(path) or self.login_jobs(path), f"{path.name}: nothing in it is run"

    @needs_sandbox
    def test_failure_prints_what_the_page_shows(self, case: Case, workdir: Workdir):
        errors = self.errors_folder()
        (spec,) = self.reader.read(self.folder() / case.config).pullspecs
        refusal = REFUSALS[case.refusal] if case.refusal else None
        password = refusal.password_for(workdir) if refusal else ""  # made once: a token is new each time
        bound = self.bound(case, workdir, password)
        if refusal:
            # The page's failure is the catalogue's refusal: the same image and credential.
            wanted = Basic(refusal.username, password) if refusal.username else None
            assert (spec.image_text, credential(spec, bound)) == (refusal.image, wanted), (
                f"{case.name} is not {refusal.name}"
            )
            if refusal.change:
                workdir.fake.change(refusal.change)
        if case.static:
            compare(errors / f"{case.name}.pulls.txt", self.report(case.config).stdout)
        if not case.runtime:
            return
        result = pull(spec, workdir, bound, engine=self.engine)
        assert not result.ok, f"{case.name}: the pull was expected to fail\n{result.describe()}"
        if result.stage == "exchange":  # refused before any pull: what google-auth prints
            compare(errors / f"{case.name}.exchange.txt", result.proc.stderr)
            return
        message = client_lines(result.proc.stderr)[-1]
        compare(
            errors / f"{case.name}.docker.txt",
            self.job_image_error.format(image=spec.image_text, error=message) + "\n",
        )
        podman = pull(spec, workdir, bound, engine="podman")
        assert not podman.ok, podman.describe()
        compare(errors / f"{case.name}.podman.txt", podman.proc.stderr)
        if case.registry:
            answer = token_request(spec, workdir, bound)
            assert answer.returncode == 0, answer.stderr
            assert '"token"' not in answer.stdout, f"{case.name}: the registry issued a token"
            compare(errors / f"{case.name}.registry.txt", answer.stdout)

    def bound(self, case: Case, workdir: Workdir, password: str) -> dict[str, str]:
        """The platform's variables for the case: the refusal's password in `password_in`."""
        bound = self.variables(workdir)
        if case.password_in:
            bound[case.password_in] = password
        for name in case.unset:
            bound.pop(name, None)
        return bound

    def test_every_stored_output_belongs_to_a_case(self):
        names = {c.name for c in self.cases}
        strays = [p.name for p in self.errors_folder().glob("*.txt") if p.name.split(".")[0] not in names]
        assert strays == []

    def test_report_matches_the_stored_file(self, output: Path):
        """`garauth pulls` output a page shows (output/NAME.pulls.txt, for NAME.yml)."""
        result = self.report(output.name.removesuffix(".pulls.txt") + ".yml")
        assert result.returncode == 0, result.stderr
        compare(output, result.stdout)

    def report(self, config: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "garauth", "pulls", config],
            cwd=self.folder(),
            capture_output=True,
            text=True,
            timeout=60,
        )


# Steps leave images in the shared engine; the next test starts without them.
_CLEAN_ENGINE = "docker image ls -aq | sort -u | xargs -r docker image rm -f >/dev/null"


def generate(metafunc) -> None:
    """Parametrize a PlatformSuite's tests from the class's declarations."""
    cls = metafunc.cls
    if cls is None or not issubclass(cls, PlatformSuite) or not hasattr(cls, "platform"):
        return
    names = metafunc.fixturenames
    if "example" in names:
        metafunc.parametrize("example", cls.examples(), ids=lambda p: p.name)
    if "pullspec" in names:
        pulls = [(path, spec) for path in cls.examples() for spec in cls.ar_pulls(path)]
        ids = [f"{p.name}:{s.position.line}:{s.context.get('job', '')}" for p, s in pulls]
        metafunc.parametrize("pullspec", pulls, ids=ids)
    if "job" in names:
        jobs = [(path, job) for path in cls.examples() for job in cls.login_jobs(path)]
        metafunc.parametrize("job", jobs, ids=[f"{p.name}:{j}" for p, j in jobs])
    if "case" in names:
        metafunc.parametrize("case", cls.cases, ids=[c.name for c in cls.cases])
    if "output" in names:
        metafunc.parametrize(
            "output", sorted((cls.folder() / "output").glob("*.pulls.txt")), ids=lambda p: p.name
        )
