"""GA2xx: image references, hosts and paths, and images the file does not determine."""

from __future__ import annotations

from collections.abc import Iterator

from garauth import refs
from garauth.boundary import Safe, fmt, own
from garauth.model import PullSpec, RefProblem, Severity
from garauth.rules import Hit, Rule

NAMES_PAGE = "https://cloud.google.com/artifact-registry/docs/docker/names"
LOCATIONS_PAGE = "https://cloud.google.com/artifact-registry/docs/repositories/repo-locations"


def _hit(spec: PullSpec, problem: RefProblem) -> Hit:
    return Hit(spec.position, Safe(problem.message), Safe(problem.hint) if problem.hint else None)


def _ar(spec: PullSpec, codes: tuple[str, ...]) -> Iterator[Hit]:
    if spec.image is not None:
        problems = refs.ar_problems(spec.image)
    elif (
        spec.image_text and spec.image_problem is None and not spec.unresolved
    ):  # a login or config names a host only
        host = spec.image_text.split("://", 1)[-1].split("/", 1)[0]
        problems = refs.host_problems(host)
    else:
        return
    for problem in problems:
        if problem.code in codes:
            yield _hit(spec, problem)


def reference_invalid(spec: PullSpec) -> Iterator[Hit]:
    if spec.image_problem is not None:
        yield _hit(spec, spec.image_problem)


def no_such_location(spec: PullSpec) -> Iterator[Hit]:
    yield from _ar(spec, ("no-such-location",))


def not_docker_host(spec: PullSpec) -> Iterator[Hit]:
    yield from _ar(spec, ("not-docker-host",))


def project_id_invalid(spec: PullSpec) -> Iterator[Hit]:
    yield from _ar(spec, ("bad-project-id", "no-project"))


def repository_missing(spec: PullSpec) -> Iterator[Hit]:
    yield from _ar(spec, ("no-repository", "no-image"))


def image_undetermined(spec: PullSpec) -> Iterator[Hit]:
    for reason in spec.unresolved:
        yield Hit(spec.position, Safe(reason))


def parameter_default(spec: PullSpec) -> Iterator[Hit]:
    for assumption in spec.assumptions:
        yield Hit(spec.position, Safe(assumption))


RULES = [
    Rule(
        id="GA201",
        name="reference-invalid",
        severity=Severity.ERROR,
        summary="The image reference is not one any registry accepts.",
        fix="Write HOST/PATH[:TAG][@sha256:DIGEST], with a lower-case path.",
        why=(
            "Image references follow the distribution reference grammar "
            "([distribution/reference](https://github.com/distribution/reference/blob/main/regexp.go)): "
            "lower-case path components, a tag of at most 128 characters, a digest of the form "
            "`sha256:` and 64 hex digits."
        ),
        bad="rules/GA201/bad.yml",
        good="circleci/json-key-raw.yml",
        check=reference_invalid,
    ),
    Rule(
        id="GA202",
        name="no-such-location",
        severity=Severity.ERROR,
        summary="The host looks like an Artifact Registry host, but names no location.",
        fix="Write LOCATION-docker.pkg.dev with a location from `gcloud artifacts locations list`.",
        why=(
            "Artifact Registry's Docker hosts are `LOCATION-docker.pkg.dev`, one per location "
            f"([locations]({LOCATIONS_PAGE})); `us-central-1` is a common typo for `us-central1`. "
            "A host that does not exist fails with `no such host` before any credential is sent."
        ),
        bad="circleci/broken/location-typo.yml",
        good="circleci/json-key-raw.yml",
        check=no_such_location,
    ),
    Rule(
        id="GA203",
        name="not-docker-host",
        severity=Severity.ERROR,
        summary="The host is an Artifact Registry host, but not one that serves Docker images.",
        fix="Docker images are pulled from LOCATION-docker.pkg.dev.",
        why=(
            f"Artifact Registry serves each format on its own host ([image names]({NAMES_PAGE})); "
            "`LOCATION-npm.pkg.dev` or `LOCATION-python.pkg.dev` do not answer the Docker registry API."
        ),
        bad="rules/GA203/bad.yml",
        good="circleci/json-key-raw.yml",
        check=not_docker_host,
    ),
    Rule(
        id="GA204",
        name="project-id-invalid",
        severity=Severity.ERROR,
        summary="The path does not start with a valid project ID.",
        fix="Start the path with the project ID (not its name or number), as `gcloud projects list` shows it.",
        why=(
            "The path of an Artifact Registry image starts with the project ID "
            f"([image names]({NAMES_PAGE})), 6 to 30 lower-case letters, digits or hyphens "
            "([project IDs](https://cloud.google.com/resource-manager/docs/creating-managing-projects)). "
            "A domain-scoped project `example.com:my-project` is written `example.com/my-project`."
        ),
        bad="rules/GA204/bad.yml",
        good="circleci/json-key-raw.yml",
        check=project_id_invalid,
    ),
    Rule(
        id="GA205",
        name="repository-missing",
        severity=Severity.ERROR,
        summary="The path names no repository.",
        fix="Write LOCATION-docker.pkg.dev/PROJECT-ID/REPOSITORY/IMAGE[:TAG].",
        why=(
            "On `pkg.dev` hosts the repository is part of every image path, between the project and "
            f"the image ([image names]({NAMES_PAGE})). Without it the registry looks for a "
            "repository named like the image and refuses the pull."
        ),
        bad="circleci/broken/no-repository.yml",
        good="circleci/json-key-raw.yml",
        check=repository_missing,
    ),
    Rule(
        id="GA206",
        name="image-undetermined",
        severity=Severity.WARNING,
        summary="The file does not say which image is pulled, or with which credential.",
        fix="Give the parameter a default or a value, or check the orb's page for its executor's image and credential.",
        why=(
            "An image from an orb's executor, a parameter with no value, or an expression known only "
            "when the pipeline runs (`<< pipeline.git.branch >>`) cannot be read from the file. "
            "garauth says so rather than guess."
        ),
        bad="rules/GA206/bad.yml",
        good="circleci/reusable-executor.yml",
        check=image_undetermined,
    ),
    Rule(
        id="GA207",
        name="pipeline-parameter-default",
        severity=Severity.INFO,
        summary="The image depends on a pipeline parameter; garauth takes its default.",
        fix="Nothing to do if pipelines run with the default; otherwise check the values they are triggered with.",
        why=(
            "A pipeline parameter can be given another value when the pipeline is triggered "
            "([pipeline parameters](https://circleci.com/docs/pipeline-variables/)); the image pulled "
            "then differs from the one garauth checked."
        ),
        bad="rules/GA207/bad.yml",
        good="circleci/json-key-raw.yml",
        check=parameter_default,
    ),
]

__all__ = ["RULES", "own", "fmt"]
