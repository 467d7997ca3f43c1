"""CircleCI, on the test kit: what the platform gives the examples' variables, what its jobs
check out, how it words a failed job-image pull, and the failures its troubleshooting page shows.
Everything else (every example read and schema-checked, every image pulled as written through
the Docker Engine, every job that logs in run step by step, every page output reproduced) comes
from kit.suite.PlatformSuite.
"""

from __future__ import annotations

from pathlib import Path

from garauth import schemas, yamlfile
from garauth.fake import demo
from garauth.fake.state import State
from garauth.readers import circleci
from garauth.readers.circleci import IMPLICIT_GCP_VARIABLES
from kit.refusals import PASSWORDS
from kit.suite import Case, PlatformSuite
from kit.workdir import IMAGE, RESOURCE, Workdir

SHA = "3f1c0ffee9b1d5e7a2c4b6d8e0f1a3c5b7d9e2f4"  # $CIRCLE_SHA1 in the steps


class TestCircleCI(PlatformSuite):
    platform = "circleci"
    reader = circleci
    # A Docker executor's job images, and the engine setup_remote_docker and the machine
    # executor give a job, are Docker Engines.
    engine = "docker"
    step_environment = {"CIRCLE_SHA1": SHA}
    checkout = {"Dockerfile": f"FROM {IMAGE}\n"}  # what `checkout` gives docker build here
    # CircleCI's own words around the engine's message when it cannot pull a job image, as
    # public job logs show them: blue-oil/blueoil#68, CircleCI-Public/circleci-cli#518,
    # getlocalci/local-ci#72. The message after them is the Docker client's, as `docker pull`
    # prints it.
    job_image_error = "Error pulling image {image}: {error}"

    def variables(self, workdir: Workdir) -> dict[str, str]:
        """What the snippets' project and context variables hold in the tests (secret values)."""
        raw, base64 = PASSWORDS["key"], PASSWORDS["key as base64"]
        return {
            "GCLOUD_SERVICE_KEY": raw(workdir, "reader"),
            "GCLOUD_SERVICE_KEY_B64": base64(workdir, "reader"),
            "GCLOUD_WRITER_KEY_B64": base64(workdir, "writer"),
            IMPLICIT_GCP_VARIABLES["oidc_service_account"]: demo.email("reader"),
            IMPLICIT_GCP_VARIABLES["workload_identity_pool"]: demo.pool_name(),
            IMPLICIT_GCP_VARIABLES["workload_identity_provider"]: demo.PROVIDER_ID,
        }

    def prepare(self, state: State) -> None:
        """The extra image the secondary-container example pulls."""
        digest, media_type, content = state.get_manifest(RESOURCE, "hello", "1.0")
        state.put_manifest(RESOURCE, "test-db", "16", content, media_type)

    def check_job(self, path: Path, job: str, workdir: Workdir, outputs: list) -> None:
        pushed = [s for s in self.steps(path) if s.job == job and "docker push" in s.command]
        if pushed:  # setup_remote_docker: built FROM the private image, pushed with the login
            stored = workdir.state.get_manifest(RESOURCE, "app", SHA)
            assert stored is not None, f"{path.name}: docker push left no app:{SHA} in the repository"

    cases = [
        Case("base64-with-json-key", "json-key-raw.yml", "base64-with-json-key", "GCLOUD_SERVICE_KEY"),
        Case(
            "raw-with-json-key-base64",
            "json-key-base64.yml",
            "raw-with-json-key-base64",
            "GCLOUD_SERVICE_KEY_B64",
        ),
        Case("double-underscore", "broken/double-underscore.yml", "double-underscore"),
        Case("key-in-quotes", "json-key-raw.yml", "key-in-quotes", "GCLOUD_SERVICE_KEY"),
        Case("escaped-newlines", "json-key-raw.yml", "escaped-newlines", "GCLOUD_SERVICE_KEY"),
        Case("location-typo", "broken/location-typo.yml", "location-typo", registry=False, static=True),
        Case("no-repository", "broken/no-repository.yml", "no-repository", static=True),
        Case("wrong-location", "broken/wrong-location.yml", "wrong-location"),
        Case("no-reader-role", "json-key-raw.yml", "no-reader-role", "GCLOUD_SERVICE_KEY"),
        Case(
            "unauthenticated-request",
            "broken/no-auth.yml",
            "unauthenticated-request",
            unset=tuple(IMPLICIT_GCP_VARIABLES.values()),
            static=True,
        ),  # fmt: skip
        Case("deleted-key", "json-key-raw.yml", "deleted-key"),
        Case("disabled-account", "json-key-raw.yml", "disabled-account"),
        Case(
            "expired-access-token", "broken/access-token.yml", "expired-access-token", "GCLOUD_ACCESS_TOKEN"
        ),
        Case("environment-only", "broken/environment-only.yml", runtime=False, static=True),
        Case("pool-with-project-id", "broken/pool-with-project-id.yml", registry=False),
    ]

    def test_the_schema_check_catches_a_misspelt_password(self, tmp_path):
        good = (self.folder() / "json-key-raw.yml").read_text()
        bad = tmp_path / "bad.yml"
        bad.write_text(good.replace("password:", "passwrd:"))
        errors = schemas.validate(yamlfile.load(bad), "circleci")
        assert errors and {e.message for e in errors} == {
            "password is a required property",
            "these keys are not allowed here: passwrd",
        }
        assert errors[0].path == "$.jobs.build.docker[0].auth"
        assert errors[0].line == good.splitlines().index("        auth:") + 1
