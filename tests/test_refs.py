"""Image reference parsing: every part of a good reference, and a precise message for a bad one."""

from __future__ import annotations

import pytest

from garauth import boundary, refs
from garauth.model import ArPath

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "reference, host, ar, tag, digest",
    [
        (
            "us-central1-docker.pkg.dev/my-project/my-repo/app:1.0",
            "us-central1-docker.pkg.dev",
            ArPath("us-central1", "my-project", "my-repo", "app"),
            "1.0",
            None,
        ),
        (
            "europe-docker.pkg.dev/my-project/my-repo/web/api",
            "europe-docker.pkg.dev",
            ArPath("europe", "my-project", "my-repo", "web/api"),
            None,
            None,
        ),
        (
            f"us-docker.pkg.dev/example.com/my-project/repo/img@{DIGEST}",
            "us-docker.pkg.dev",
            ArPath("us", "example.com:my-project", "repo", "img"),
            None,
            DIGEST,
        ),
        (
            f"asia-east1-docker.pkg.dev/my-project/repo/img:v2@{DIGEST}",
            "asia-east1-docker.pkg.dev",
            ArPath("asia-east1", "my-project", "repo", "img"),
            "v2",
            DIGEST,
        ),
        (
            "docker.europe-west3.rep.pkg.dev/my-project/repo/img:Release_1",
            "docker.europe-west3.rep.pkg.dev",
            ArPath("europe-west3", "my-project", "repo", "img"),
            "Release_1",
            None,
        ),
        ("gcr.io/my-project/app:1.0", "gcr.io", ArPath("us", "my-project", "gcr.io", "app"), "1.0", None),
        (
            "eu.gcr.io/my-project/team/app",
            "eu.gcr.io",
            ArPath("europe", "my-project", "eu.gcr.io", "team/app"),
            None,
            None,
        ),
    ],
)
def test_ar_references(reference, host, ar, tag, digest):
    ref = refs.parse(reference)
    assert (ref.host, ref.ar, ref.tag, ref.digest) == (host, ar, tag, digest)
    assert str(ref) == reference


@pytest.mark.parametrize(
    "reference, host, path",
    [
        ("ubuntu", "docker.io", "library/ubuntu"),
        ("cimg/base:2024.01", "docker.io", "cimg/base"),
        ("localhost:5000/team/app:1", "localhost:5000", "team/app"),
        ("quay.io/org/app", "quay.io", "org/app"),
    ],
)
def test_other_registries_have_no_ar_part(reference, host, path):
    ref = refs.parse(reference)
    assert (ref.host, ref.path, ref.ar) == (host, path, None)


def test_latest_is_the_default_reference():
    assert refs.parse("us-docker.pkg.dev/my-project/repo/app").reference == "latest"


def problem_of(reference: str):
    """The first thing wrong with a reference: a syntax error, or what Artifact Registry refuses."""
    try:
        ref = refs.parse(reference)
    except refs.RefError as err:
        return err.problem
    problems = refs.ar_problems(ref)
    return problems[0] if problems else None


@pytest.mark.parametrize(
    "reference, code, message",
    [
        (
            "us-central-1-docker.pkg.dev/my-project/my-repo/app:1.0",
            "no-such-location",
            "us-central-1-docker.pkg.dev is not an Artifact Registry host: there is no location us-central-1. "
            "Did you mean us-central1-docker.pkg.dev?",
        ),
        (
            "us-west1-docker.pkg.dev/my-project/my-image:v1",
            "no-repository",
            "The path has no repository segment: my-image follows the project directly.",
        ),
        (
            "https://us-central1-docker.pkg.dev/my-project/my-repo/app",
            "scheme",
            "The image reference starts with a scheme (https://). Image references have none: "
            "write us-central1-docker.pkg.dev/my-project/my-repo/app",
        ),
        (
            "docker://us-central1-docker.pkg.dev/my-project/my-repo/app",
            "scheme",
            "The image reference starts with a scheme (docker://).",
        ),
        (
            "us-central1-docker.pkg.dev/My-Project/my-repo/app",
            "upper-case",
            "Image names must be lower case (only the tag may have capitals). "
            "Write us-central1-docker.pkg.dev/my-project/my-repo/app",
        ),
        ("us-central1-docker.pkg.dev/my-project/my-repo/app:-1", "bad-tag", "The tag (-1) is not valid."),
        ("us-central1-docker.pkg.dev/my-project/my-repo/app:" + "x" * 129, "bad-tag", "is not valid."),
        (
            "us-central1-docker.pkg.dev/my-project/my-repo/app@sha256:abc",
            "bad-digest",
            "The sha256 digest must be 64 lower-case hex digits; it has 3 characters.",
        ),
        (
            "us-central1-docker.pkg.dev/my-project/my-repo/app@md5:abc",
            "bad-digest",
            "The digest algorithm md5 is not supported.",
        ),
        (
            "us-central1-docker.pkg.dev/my-project/my-repo/app@sha256",
            "bad-digest",
            "The digest (sha256) is not valid.",
        ),
        (
            "us-central1-docker.pkg.dev/my-project",
            "no-repository",
            "The reference names a project but no repository or image.",
        ),
        (
            "us-central1-docker.pkg.dev/my_project/repo/app",
            "bad-project-id",
            "my_project is not a valid project ID.",
        ),
        ("us-central1-docker.pkg.dev/12345/repo/app", "bad-project-id", "12345 is not a valid project ID."),
        (
            "us-central1-npm.pkg.dev/my-project/repo/app",
            "not-docker-host",
            "us-central1-npm.pkg.dev is not an Artifact Registry Docker host.",
        ),
        (
            "us-central1-docker.pkg.dev/my-project/repo/app..x",
            "bad-component",
            "The path component app..x is not valid.",
        ),
        (
            " us-docker.pkg.dev/my-project/repo/app",
            "white-space",
            "The image reference contains white space.",
        ),
        ("", "empty", "The image reference is empty."),
    ],
)
def test_bad_references_say_what_is_wrong(reference, code, message):
    problem = problem_of(reference)
    assert problem is not None and problem.code == code
    assert message in f"{problem.message} {problem.hint}"


def test_a_secret_in_a_reference_is_described_not_echoed():
    token = "ya29.a0AfB_byC" + "x7Qk2LmN9pRt5VwY3zA8bC1dE4fG6hJ0kL" * 2
    # A token is a valid tag: the reference parses, and the boundary describes the tag.
    shown = boundary.image(refs.parse(f"us-docker.pkg.dev/p-roject/r/i:{token}"))
    assert token[5:25] not in shown and "its tag is a 82-character string" in shown
    # Lower-cased it is a valid path component too, with a "!" it is not.
    problem = problem_of(f"us-docker.pkg.dev/p-roject/r/{token.lower()}!")
    text = f"{problem.message} {problem.hint}"
    assert problem.code == "bad-component" and token.lower()[5:25] not in text
