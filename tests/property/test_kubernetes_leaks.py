"""Property tests for Kubernetes manifests: a secret planted anywhere in a pull Secret (its
password, username, auth, registry key, name, the whole .dockerconfigjson, base64 or not), in a
Pod or in a ServiceAccount never comes back out of `garauth check`, in any output format, and
never as a traceback (the same checks as test_no_leaks, for the Kubernetes reader)."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import strategies as st
from planted import Secret, key_secrets, secrets
from test_no_leaks import PROFILE, check_everywhere

IMAGE = "us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0"
HOST = "us-central1-docker.pkg.dev"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


def _config(where: str, text: str) -> str:
    if where == "password":
        entry = {"auth": b64("_json_key:" + text)}
    elif where == "username":
        entry = {"auth": b64(text + ":x")}
    elif where == "auth":
        entry = {"auth": text}
    elif where == "fields":
        entry = {"username": "_json_key", "password": text}
    elif where == "identitytoken":
        entry = {"identitytoken": text}
    elif where == "helper":
        return json.dumps({"auths": {}, "credHelpers": {HOST: text}})
    elif where == "registry-key":
        return json.dumps({"auths": {text: {"auth": b64("_json_key:x")}}})
    elif where == "whole":
        return text
    else:
        raise AssertionError(where)
    return json.dumps({"auths": {HOST: entry}})


CONFIG_PLACES = ("password", "username", "auth", "fields", "identitytoken", "helper", "registry-key", "whole")


def manifest(where: str, secret: Secret, encoded: bool) -> str:
    text = secret.text
    name, image, annotation = "ar-pull", IMAGE, "reader@demo-project.iam.gserviceaccount.com"
    config = _config(where, text) if where in CONFIG_PLACES else _config("password", "x")
    if where == "secret-name":
        name = text
    elif where == "image":
        image = text
    elif where == "annotation":
        annotation = text
    value = b64(config) if encoded else config
    field = "data" if encoded else "stringData"
    return f"""apiVersion: v1
kind: Secret
metadata:
  name: {json.dumps(name)}
type: kubernetes.io/dockerconfigjson
{field}:
  .dockerconfigjson: {json.dumps(value)}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  annotations:
    iam.gke.io/gcp-service-account: {json.dumps(annotation)}
---
apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  serviceAccountName: app
  containers:
    - name: app
      image: {json.dumps(image)}
  imagePullSecrets:
    - name: {json.dumps(name)}
"""


PLACES = (*CONFIG_PLACES, "secret-name", "image", "annotation")


@PROFILE
@given(secret=secrets(), where=st.sampled_from(PLACES), encoded=st.booleans())
def test_a_secret_planted_in_a_manifest_never_leaks(secret, where, encoded):
    check_everywhere("k8s.yaml", manifest(where, secret, encoded), secret)


def test_every_place_with_every_key_form():
    """Not left to chance: each place with a raw key, a base64 key, and a password."""
    kinds = {s.kind: s for s in key_secrets()}
    fixed = [
        kinds["raw key"],
        kinds["base64 key"],
        Secret("password", "Q7xAbcdefGhijKlmn0123456789Zz", "Q7xAbcdefGhijKlmn0123456789Zz"),
    ]
    for where in PLACES:
        for secret in fixed:
            for encoded in (True, False):
                check_everywhere("k8s.yaml", manifest(where, secret, encoded), secret)
