"""What a literal password looks like, without repeating it."""

from __future__ import annotations

import base64
import json

import pytest

from garauth.secretlike import kind_of_secret

FAKE_KEY = json.dumps({"type": "service_account", "project_id": "acme-ci-123", "private_key": "FAKE"})


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (FAKE_KEY, "a service-account JSON key"),
        ('{"type": "service_account", "private_key": "broken', "a service-account JSON key"),
        (base64.b64encode(FAKE_KEY.encode()).decode(), "a base64-encoded service-account JSON key"),
        ("ya29.FAKE-token", "an OAuth 2.0 access token (ya29.)"),
        ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "a JWT"),
        ("-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----", "a PEM private key"),
        ("hunter2", "a literal password"),
        ('{"auths": {}}', "a literal password"),
        ("  ", None),
    ],
)
def test_kind_of_secret(value, kind):
    assert kind_of_secret(value) == kind
