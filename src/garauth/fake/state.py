"""The fake Google Cloud's state, apart from any HTTP: projects, repositories, service accounts and
their keys, IAM bindings, Workload Identity pools and providers, images, issued tokens, a clock.

On disk, in a workdir:
- WORKDIR/state.json: everything but tokens and image content (public keys only), mode 0600;
- WORKDIR/tokens.jsonl: issued tokens, one JSON line each, as SHA-256 hashes only, mode 0600;
- WORKDIR/blobs/sha256/HEX: image content (see blobstore.py), mode 0644;
- WORKDIR/oidc-issuer-key.pem: the OIDC issuer's signing key (test material made per workdir,
  mode 0600).

Two ways to use a workdir:
- `State.load(workdir)` reads it into memory; `state.save(workdir)` writes it back. A test can
  load a workdir, change it (delete a key, disable an account, move the clock), save it, and start
  the fake on it, in this process or another.
- `State.open(workdir)` attaches the state to the workdir, as the running fake does: images are
  read from disk when served, every token is appended to tokens.jsonl as it is issued, and
  `sync()` (which the app calls before it answers any request) writes state.json whenever it
  changed. Each write is durable (temporary file, fsync, rename), so the fake can be killed with
  SIGKILL at any moment and restart with every change it had acknowledged. If another process
  rewrites state.json meanwhile, the attached state stops writing it (their change wins) and says
  so in `detached_reason`.

Every method is safe to call from several threads (one re-entrant lock). Services read and change
the state through its methods only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from garauth import data, keyfile
from garauth.fake.blobstore import (
    DIR_MODE,
    DirectoryBlobs,
    MemoryBlobs,
    Upload,
    make_dir,
    write_durably,
)
from garauth.fake.blobstore import digest_of as digest_of
from garauth.fake.errors import DOWNLOAD, GET_ACCESS_TOKEN, UPLOAD

STATE_FILE = "state.json"
TOKENS_FILE = "tokens.jsonl"
ISSUER_KEY_FILE = "oidc-issuer-key.pem"
BLOB_DIR = "blobs"
UPLOAD_DIR = "uploads"
STATE_MODE = 0o600  # IAM bindings and token hashes: nobody else's business
MAX_TOKENS = 2000  # expired tokens are dropped past this many

logger = logging.getLogger("garauth.fake")

READER = "roles/artifactregistry.reader"
WRITER = "roles/artifactregistry.writer"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"

# Which permissions each role carries (only the ones the fake checks).
# https://cloud.google.com/iam/docs/roles-permissions/artifactregistry and
# https://cloud.google.com/iam/docs/roles-permissions/iam
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    READER: frozenset({DOWNLOAD}),
    WRITER: frozenset({DOWNLOAD, UPLOAD}),
    "roles/artifactregistry.repoAdmin": frozenset({DOWNLOAD, UPLOAD}),
    "roles/artifactregistry.admin": frozenset({DOWNLOAD, UPLOAD}),
    "roles/artifactregistry.createOnPushWriter": frozenset({DOWNLOAD, UPLOAD}),
    WORKLOAD_IDENTITY_USER: frozenset({GET_ACCESS_TOKEN}),
    TOKEN_CREATOR: frozenset({GET_ACCESS_TOKEN}),
}

# The admin APIs' permissions (what the guide's gcloud commands need), each named in its method's
# REST reference page (https://cloud.google.com/iam/docs/reference/rest,
# https://cloud.google.com/resource-manager/reference/rest/v1/projects,
# https://cloud.google.com/artifact-registry/docs/reference/rest). The fake grants them only
# through roles/owner, which holds every permission
# (https://cloud.google.com/iam/docs/roles-overview#basic).
OWNER_ROLE = "roles/owner"
ADMIN_PERMISSIONS = frozenset(
    {
        "resourcemanager.projects.get",
        "resourcemanager.projects.getIamPolicy",
        "resourcemanager.projects.setIamPolicy",
        "iam.serviceAccounts.create",
        "iam.serviceAccounts.get",
        "iam.serviceAccounts.list",
        "iam.serviceAccounts.getIamPolicy",
        "iam.serviceAccounts.setIamPolicy",
        "iam.serviceAccountKeys.create",
        "iam.serviceAccountKeys.get",
        "iam.serviceAccountKeys.list",
        "iam.serviceAccountKeys.delete",
        "iam.workloadIdentityPools.create",
        "iam.workloadIdentityPools.get",
        "iam.workloadIdentityPoolProviders.create",
        "iam.workloadIdentityPoolProviders.get",
        "artifactregistry.repositories.create",
        "artifactregistry.repositories.get",
        "artifactregistry.repositories.list",
        "artifactregistry.repositories.getIamPolicy",
        "artifactregistry.repositories.setIamPolicy",
    }
)
ROLE_PERMISSIONS[OWNER_ROLE] = ADMIN_PERMISSIONS | {DOWNLOAD, UPLOAD}

ACCESS_TOKEN_LIFETIME = 3600  # Google's default (reference §1.5)
REGISTRY_TOKEN_LIFETIME = 3600  # UNCONFIRMED for AR (gcr.io was seen giving 43200, §1.3)
IAM_PREFIX = "//iam.googleapis.com/"

# Resource IDs, as the REST reference pages give them: a service account ID is 6-30 characters
# (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create); a pool or
# provider ID 4-32 of [a-z0-9-], `gcp-` reserved
# (https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools/create).
# The repository ID rule is gcloud's own check (googlecloudsdk/command_lib/artifacts/util.py).
ACCOUNT_ID = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]")
REPOSITORY_ID = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
WIF_ID = re.compile(r"[a-z0-9-]{4,32}")


def _etag_bytes(etag: str) -> bytes:
    """An etag's bytes, from either base64 alphabet (gcloud sends back the URL-safe one)."""
    try:
        return base64.b64decode(etag.replace("-", "+").replace("_", "/"))
    except ValueError:
        return etag.encode()


def _check_wif_id(kind: str, value: str) -> None:
    if not WIF_ID.fullmatch(value) or value.startswith("gcp-"):
        raise Invalid(
            f"Invalid {kind} ID [{value}]: use 4 to 32 lowercase letters, digits and hyphens, "
            "not starting with gcp-."
        )


class NotFound(KeyError):
    """A project, repository, account, key or pool that the state does not hold."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class AlreadyExists(Exception):
    """A create for a name the state already holds; the message is Google's text where known."""


class Invalid(ValueError):
    """A request the state refuses as an invalid argument; the message says what is wrong."""


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a service account, a federated identity, or nobody."""

    kind: str  # "serviceAccount", "federated", "anonymous"
    name: str  # email, principal:// URI, or ""
    attributes: dict = field(default_factory=dict, hash=False, compare=False)
    pool: str = ""  # for federated: projects/N/locations/global/workloadIdentityPools/P

    @property
    def anonymous(self) -> bool:
        return self.kind == "anonymous"

    def __str__(self) -> str:
        if self.kind == "serviceAccount":
            return f"serviceAccount:{self.name}"
        return self.name or "anonymous"

    def members(self) -> set[str]:
        """The IAM member strings that include this principal."""
        out = {"allUsers"}
        if self.anonymous:
            return out
        out.add("allAuthenticatedUsers")
        if self.kind == "serviceAccount":
            out.add(f"serviceAccount:{self.name}")
        elif self.kind == "federated":
            base = f"principalSet://iam.googleapis.com/{self.pool}"
            out.add(self.name)
            out.add(f"{base}/*")
            for name, value in self.attributes.items():
                if name == "google.groups":
                    for group in value if isinstance(value, list) else [value]:
                        out.add(f"{base}/group/{group}")
                elif name.startswith("attribute."):
                    out.add(f"{base}/{name}/{value}")
        return out


ANONYMOUS = Principal("anonymous", "")


def repository_name(project: str, location: str, repository: str) -> str:
    return f"projects/{project}/locations/{location}/repositories/{repository}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class State:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.clock_offset = 0.0
        self.projects: dict[str, dict] = {}  # project id -> {"number"}
        self.repositories: dict[
            str, dict
        ] = {}  # resource name -> {"format", "images": {...}, "blobs": [...]}
        self.service_accounts: dict[str, dict] = {}  # email -> {"project", "enabled", "unique_id"}
        self.keys: dict[str, dict] = {}  # key id -> {"email", "public_key", "created"}
        self.iam: dict[str, dict[str, list[str]]] = {}  # resource -> role -> members
        self.pools: dict[
            str, dict
        ] = {}  # projects/N/locations/global/workloadIdentityPools/P -> {"disabled"}
        self.providers: dict[str, dict] = {}  # pool/providers/X -> settings
        self.tokens: dict[str, dict] = {}  # sha256(token) -> {"kind", "principal", "expires", ...}
        self.issuer_public_key = ""  # PEM of the OIDC issuer's signing key
        self.issuer_key_id = ""
        self._issuer_private_pem = ""  # never saved to state.json
        self.operations: dict[str, dict] = {}  # long-running operation name -> {"done", "response"}
        self._blobs: MemoryBlobs | DirectoryBlobs = MemoryBlobs()  # digest -> content
        self.lock = threading.RLock()
        self.root: Path | None = None  # the workdir this state is attached to (State.open)
        self.detached_reason = ""  # why an attached state stopped writing its workdir
        self._written = ""  # state.json as this state last wrote or read it
        self._written_stat: tuple | None = None

    # --- clock -----------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (persisted as an offset by save)."""
        with self.lock:
            self.clock_offset += seconds

    # --- projects, repositories ------------------------------------------------------------

    def add_project(self, project_id: str, number: str) -> None:
        with self.lock:
            self.projects[project_id] = {"number": str(number), "created": self.now()}

    def project_id_for_number(self, number: str) -> str | None:
        for pid, proj in self.projects.items():
            if proj["number"] == str(number):
                return pid
        return None

    def add_repository(self, project: str, location: str, repository: str, public: bool = False) -> str:
        if project not in self.projects:
            raise NotFound(f"no project {project}")
        name = repository_name(project, location, repository)
        with self.lock:
            self.repositories.setdefault(name, {"format": "DOCKER", "images": {}, "blobs": []})
            if public:
                self.grant(name, READER, "allUsers")
        return name

    def repository(self, project: str, location: str, repository: str) -> dict | None:
        return self.repositories.get(repository_name(project, location, repository))

    def has_repository(self, resource: str) -> bool:
        return resource in self.repositories

    def is_public(self, resource: str) -> bool:
        return "allUsers" in self.iam.get(resource, {}).get(READER, [])

    # --- service accounts and keys ---------------------------------------------------------

    def add_service_account(self, project: str, account_id: str) -> str:
        if project not in self.projects:
            raise NotFound(f"no project {project}")
        email = f"{account_id}@{project}.iam.gserviceaccount.com"
        with self.lock:
            self.service_accounts.setdefault(
                email,
                {
                    "project": project,
                    "enabled": True,
                    "unique_id": str(10**20 + secrets.randbelow(9 * 10**20)),
                },
            )
        return email

    def set_account_enabled(self, email: str, enabled: bool) -> None:
        with self.lock:
            self._account(email)["enabled"] = enabled

    def disable_account(self, email: str) -> None:
        self.set_account_enabled(email, False)

    def _account(self, email: str) -> dict:
        try:
            return self.service_accounts[email]
        except KeyError:
            raise NotFound(f"no service account {email}") from None

    def create_key(self, email: str) -> dict:
        """Create a key for the account; return the key file dict (the only copy of its private key)."""
        account = self._account(email)
        new = keyfile.new_key_file(account["project"], email, account["unique_id"])
        with self.lock:
            self.keys[new.key_id] = {"email": email, "public_key": new.public_key_pem, "created": self.now()}
        return new.key_file

    def delete_key(self, key_id: str) -> None:
        with self.lock:
            if self.keys.pop(key_id, None) is None:
                raise NotFound(f"no key {key_id}")

    def live_key(self, key_id: str, email: str) -> dict | None:
        key = self.keys.get(key_id)
        return key if key and key["email"] == email else None

    def account_enabled(self, email: str) -> bool:
        account = self.service_accounts.get(email)
        return bool(account and account["enabled"])

    def has_service_account(self, email: str) -> bool:
        return email in self.service_accounts

    def service_account_resource(self, email: str) -> str | None:
        """`projects/P/serviceAccounts/EMAIL`, the resource IAM bindings on the account use."""
        account = self.service_accounts.get(email)
        return f"projects/{account['project']}/serviceAccounts/{email}" if account else None

    def public_keys(self, email: str, key_id: str | None = None) -> list[str]:
        """Public-key PEMs of the account's live keys (only `key_id`'s, when given)."""
        with self.lock:
            return [
                k["public_key"]
                for kid, k in self.keys.items()
                if k["email"] == email and (key_id is None or kid == key_id)
            ]

    def check_key_file(self, key: dict) -> Principal:
        """The service account a parsed key file authenticates, or raise CredentialRefused.

        Accepted only if `type` is service_account, `private_key_id` is a live key of
        `client_email`, the private key matches that key's registered public key, and the account
        is enabled.
        """
        if not isinstance(key, dict) or key.get("type") != "service_account":
            raise CredentialRefused("not a service-account key")
        email, key_id = key.get("client_email"), key.get("private_key_id")
        registered = self.live_key(str(key_id), str(email))
        if registered is None:
            raise CredentialRefused("key unknown or deleted")
        try:
            public = keyfile.public_pem_of_key_file(key)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise CredentialRefused("private key unreadable") from None
        if public != registered["public_key"]:
            raise CredentialRefused("private key does not match")
        if not self.account_enabled(str(email)):
            raise CredentialRefused("account disabled")
        return Principal("serviceAccount", str(email))

    # --- IAM -------------------------------------------------------------------------------

    def grant(self, resource: str, role: str, member: str) -> None:
        with self.lock:
            members = self.iam.setdefault(resource, {}).setdefault(role, [])
            if member not in members:
                members.append(member)

    def revoke(self, resource: str, role: str, member: str) -> None:
        with self.lock:
            members = self.iam.get(resource, {}).get(role, [])
            if member in members:
                members.remove(member)

    def has_permission(self, principal: Principal, permission: str, resource: str) -> bool:
        """Does a binding on the resource or one of its parents give the principal the permission?"""
        if principal.kind == "serviceAccount" and not self.account_enabled(principal.name):
            return False
        members = principal.members()
        parts = resource.split("/")
        for depth in range(2, len(parts) + 1, 2):
            bindings = self.iam.get("/".join(parts[:depth]), {})
            for role, bound in bindings.items():
                if permission in ROLE_PERMISSIONS.get(role, ()) and members.intersection(bound):
                    return True
        return False

    # --- tokens ----------------------------------------------------------------------------

    def issue_token(
        self,
        principal: Principal,
        kind: str = "access",
        lifetime: int = ACCESS_TOKEN_LIFETIME,
        expires: float | None = None,
    ) -> tuple[str, float]:
        """Mint a token for the principal; return (token, expiry time). Only its hash is kept."""
        prefix = {"access": "ya29.", "federated": "ya29.d.", "registry": "ar."}[kind]
        token = prefix + secrets.token_urlsafe(48)
        expiry = min(self.now() + lifetime, expires) if expires else self.now() + lifetime
        record = {
            "kind": kind,
            "principal_kind": principal.kind,
            "principal": principal.name,
            "pool": principal.pool,
            "attributes": principal.attributes,
            "expires": expiry,
        }
        with self.lock:
            self._expire_tokens()
            self.tokens[_hash_token(token)] = record
            self._journal_token(_hash_token(token), record)
        return token, expiry

    def token_principal(self, token: str, kinds: tuple[str, ...] = ("access",)) -> Principal | None:
        """Who a live token of one of `kinds` belongs to; None if unknown, expired or disabled."""
        record = self.tokens.get(_hash_token(token))
        if not record or record["kind"] not in kinds or record["expires"] <= self.now():
            return None
        principal = Principal(
            record["principal_kind"], record["principal"], record["attributes"], record["pool"]
        )
        if principal.kind == "serviceAccount" and not self.account_enabled(principal.name):
            return None
        return principal

    def _expire_tokens(self) -> None:
        now = self.now()
        if len(self.tokens) > MAX_TOKENS:
            for h in [h for h, r in self.tokens.items() if r["expires"] <= now]:
                del self.tokens[h]

    # --- Workload Identity Federation ------------------------------------------------------

    def add_pool(self, project_number: str, pool_id: str) -> str:
        name = f"projects/{project_number}/locations/global/workloadIdentityPools/{pool_id}"
        with self.lock:
            self.pools.setdefault(name, {"disabled": False})
        return name

    def add_oidc_provider(
        self,
        pool: str,
        provider_id: str,
        issuer: str,
        allowed_audiences: list[str],
        attribute_mapping: dict[str, str],
        attribute_condition: str | None = None,
    ) -> str:
        if pool not in self.pools:
            raise NotFound(f"no pool {pool}")
        name = f"{pool}/providers/{provider_id}"
        with self.lock:
            self.providers[name] = {
                "issuer": issuer,
                "allowed_audiences": list(allowed_audiences),
                "attribute_mapping": dict(attribute_mapping),
                "attribute_condition": attribute_condition,
                "disabled": False,
            }
        return name

    def active_provider(self, provider_name: str) -> dict | None:
        """The settings of a provider (POOL/providers/ID) whose pool and itself exist and are
        enabled; None otherwise."""
        pool_name = provider_name.rsplit("/providers/", 1)[0]
        pool, provider = self.pools.get(pool_name), self.providers.get(provider_name)
        if not pool or not provider or pool.get("disabled") or provider.get("disabled"):
            return None
        return dict(provider)

    # --- OIDC issuer standing in for CircleCI's --------------------------------------------

    def ensure_issuer_key(self) -> None:
        with self.lock:
            if self._issuer_private_pem:
                return
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self._issuer_private_pem = private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            self.issuer_public_key = keyfile.public_pem_of(private)
            self.issuer_key_id = hashlib.sha256(self.issuer_public_key.encode()).hexdigest()[:32]

    @property
    def issuer_private_pem(self) -> str:
        self.ensure_issuer_key()
        return self._issuer_private_pem

    # --- images ----------------------------------------------------------------------------

    def _repo(self, resource: str) -> dict:
        try:
            return self.repositories[resource]
        except KeyError:
            raise NotFound(f"no repository {resource}") from None

    def put_blob(self, resource: str, content: bytes) -> str:
        with self.lock:
            repo = self._repo(resource)
            digest = self._blobs.put(content)
            if digest not in repo["blobs"]:
                repo["blobs"].append(digest)
        return digest

    def new_upload(self) -> Upload:
        """Somewhere to receive a blob (memory, then a file in the workdir when attached)."""
        return self._blobs.new_upload()

    def put_upload(self, resource: str, upload: Upload) -> str:
        """Store a finished upload as a blob of the repository; return its digest."""
        with self.lock:
            repo = self._repo(resource)
            digest = self._blobs.put_upload(upload)
            if digest not in repo["blobs"]:
                repo["blobs"].append(digest)
        return digest

    def mount_blob(self, source: str, target: str, digest: str) -> bool:
        """Make a blob of repository `source` a blob of `target` too; False if source lacks it."""
        with self.lock:
            if not self.has_blob(source, digest):
                return False
            repo = self._repo(target)
            if digest not in repo["blobs"]:
                repo["blobs"].append(digest)
        return True

    def has_blob(self, resource: str, digest: str) -> bool:
        repo = self.repositories.get(resource)
        return bool(repo) and digest in repo["blobs"] and self._blobs.has(digest)

    def blob_size(self, resource: str, digest: str) -> int | None:
        return self._blobs.size(digest) if self.has_blob(resource, digest) else None

    def get_blob(self, resource: str, digest: str) -> bytes | None:
        return self._blobs.read(digest) if self.has_blob(resource, digest) else None

    def open_blob(self, resource: str, digest: str):
        """A binary file object to read the blob from (the caller closes it), or None."""
        return self._blobs.open(digest) if self.has_blob(resource, digest) else None

    def put_manifest(self, resource: str, image: str, reference: str, content: bytes, media_type: str) -> str:
        """Store a manifest under image; tag it if reference is a tag. Return its digest."""
        digest = self.put_blob(resource, content)
        with self.lock:
            img = self._repo(resource)["images"].setdefault(image, {"tags": {}, "manifests": {}})
            img["manifests"][digest] = media_type
            img.setdefault("uploaded", {}).setdefault(digest, int(self.now() * 1000))
            if not reference.startswith("sha256:"):
                img["tags"][reference] = digest
        return digest

    def get_manifest(self, resource: str, image: str, reference: str) -> tuple[str, str, bytes] | None:
        """(digest, media type, content) of a manifest by tag or digest, or None."""
        repo = self.repositories.get(resource)
        img = repo and repo["images"].get(image)
        if not img:
            return None
        digest = reference if reference.startswith("sha256:") else img["tags"].get(reference)
        if not isinstance(digest, str) or digest not in img["manifests"]:
            return None
        content = self._blobs.read(digest)
        return None if content is None else (digest, img["manifests"][digest], content)

    def listing(self, resource: str, image: str) -> dict | None:
        """What AR's tags/list says of a name (`image` "" for the repository itself): its tags,
        `child` (the next path segment of every image below it) and `manifest` (each manifest's
        digest with its tags, media type, size in bytes and times, as go-containerregistry's
        google.ManifestInfo reads them). None if the repository has neither the image nor any
        image below it."""
        repo = self.repositories.get(resource)
        if repo is None:
            return None
        with self.lock:
            prefix = f"{image}/" if image else ""
            children = sorted(
                {
                    n[len(prefix) :].split("/")[0]
                    for n in repo["images"]
                    if n.startswith(prefix) and n != image
                }
            )
            img = repo["images"].get(image) if image else None
            if img is None and not children and image:
                return None
            manifests = {}
            for digest, media_type in (img or {}).get("manifests", {}).items():
                uploaded = (img.get("uploaded") or {}).get(digest, 0)
                manifests[digest] = {
                    "imageSizeBytes": str(self._image_size(digest)),
                    "mediaType": media_type,
                    "tag": sorted(t for t, d in img["tags"].items() if d == digest),
                    "timeCreatedMs": str(uploaded),
                    "timeUploadedMs": uploaded,
                }
            return {"tags": sorted((img or {}).get("tags", {})), "child": children, "manifest": manifests}

    def _image_size(self, digest: str) -> int:
        """The manifest's size plus the sizes of the blobs it names (UNCONFIRMED how AR counts)."""
        content = self._blobs.read(digest) or b""
        total = len(content)
        try:
            doc = json.loads(content)
            for desc in [doc.get("config", {}), *doc.get("layers", [])]:
                size = desc.get("size") if isinstance(desc, dict) else None
                total += size if isinstance(size, int) else 0
        except (ValueError, AttributeError, TypeError):
            pass
        return total

    def tags(self, resource: str, image: str) -> list[str] | None:
        repo = self.repositories.get(resource)
        img = repo and repo["images"].get(image)
        return sorted(img["tags"]) if img else None

    # --- admin APIs: what the guide's gcloud commands create and change -------------------
    # The REST services (resourcemanager.py, iam.py, workload_pools.py, artifactregistry.py) and the
    # stand-in gcloud (gcloud.py) both go through these, so they accept and refuse the same things.

    def project(self, id_or_number: str) -> tuple[str, dict]:
        """(project ID, record) of a project named by its ID or its number; raise NotFound."""
        pid = id_or_number if id_or_number in self.projects else self.project_id_for_number(id_or_number)
        if pid is None:
            raise NotFound(f"no project {id_or_number}")
        return pid, self.projects[pid]

    def create_service_account(
        self, project: str, account_id: str, display_name: str = "", description: str = ""
    ) -> str:
        """Create account_id@project.iam.gserviceaccount.com; return its email."""
        if not ACCOUNT_ID.fullmatch(account_id):
            raise Invalid(
                f"Invalid account ID [{account_id}]: it must be 6 to 30 characters, start with a lowercase "
                "letter, and hold only lowercase letters, digits and hyphens, not ending with a hyphen."
            )
        with self.lock:
            pid, _ = self.project(project)
            email = f"{account_id}@{pid}.iam.gserviceaccount.com"
            if email in self.service_accounts:
                raise AlreadyExists(
                    f"Service account {account_id} already exists within project projects/{pid}."
                )
            self.add_service_account(pid, account_id)
            self.service_accounts[email].update(display_name=display_name, description=description)
        return email

    def find_service_account(self, email_or_unique_id: str) -> str | None:
        """The email of the account named by its email or its unique ID, or None."""
        if email_or_unique_id in self.service_accounts:
            return email_or_unique_id
        return next(
            (e for e, a in self.service_accounts.items() if a["unique_id"] == email_or_unique_id), None
        )

    def keys_of(self, email: str) -> list[tuple[str, dict]]:
        """(key ID, record) of each live key of the account, oldest first."""
        return sorted(
            ((k, v) for k, v in self.keys.items() if v["email"] == email), key=lambda kv: kv[1]["created"]
        )

    def create_repository(
        self, project: str, location: str, repository_id: str, fmt: str = "DOCKER", description: str = ""
    ) -> str:
        """Create a repository; return its resource name."""
        if location not in data.location_names():
            raise Invalid(f"Location {location} is not an Artifact Registry location.")
        if not REPOSITORY_ID.fullmatch(repository_id):
            raise Invalid(
                f"Invalid repository ID [{repository_id}]: use lowercase letters, digits and hyphens, "
                "start with a letter, end with a letter or digit, at most 63 characters."
            )
        if fmt != "DOCKER":
            raise Invalid(f"The fake models DOCKER repositories only, not {fmt}.")
        with self.lock:
            pid, _ = self.project(project)
            if repository_name(pid, location, repository_id) in self.repositories:
                raise AlreadyExists("the repository already exists")
            name = self.add_repository(pid, location, repository_id)
            self.repositories[name].update(description=description, created=self.now())
        return name

    def policy(self, resource: str) -> dict[str, list[str]]:
        """The IAM bindings on a resource (role -> members), roles without members left out."""
        return {role: list(members) for role, members in self.iam.get(resource, {}).items() if members}

    def policy_etag(self, resource: str) -> str:
        """An etag that changes whenever the resource's bindings do (the fake's own form)."""
        canonical = json.dumps(sorted((r, sorted(m)) for r, m in self.policy(resource).items()))
        return base64.b64encode(hashlib.sha256(canonical.encode()).digest()[:8]).decode()

    def set_policy(self, resource: str, bindings: dict[str, list[str]], etag: str | None = None) -> None:
        """Replace the resource's bindings; with an etag, only if it is the current one (else raise
        Conflict)."""
        with self.lock:
            if etag and _etag_bytes(etag) != _etag_bytes(self.policy_etag(resource)):
                raise Conflict(resource)
            self.iam[resource] = {
                role: list(dict.fromkeys(members)) for role, members in bindings.items() if members
            }

    def create_pool(
        self, project_number: str, pool_id: str, display_name: str = "", description: str = ""
    ) -> str:
        """Create a Workload Identity pool; return its resource name."""
        _check_wif_id("pool", pool_id)
        name = f"projects/{project_number}/locations/global/workloadIdentityPools/{pool_id}"
        with self.lock:
            self.project(project_number)
            if name in self.pools:
                raise AlreadyExists("Requested entity already exists")
            self.add_pool(project_number, pool_id)
            self.pools[name].update(display_name=display_name, description=description)
        return name

    def create_oidc_provider(
        self,
        pool: str,
        provider_id: str,
        issuer: str,
        allowed_audiences: list[str],
        attribute_mapping: dict[str, str],
        attribute_condition: str | None = None,
        display_name: str = "",
    ) -> str:
        """Create an OIDC provider in a pool; return its resource name."""
        _check_wif_id("provider", provider_id)
        if not issuer.startswith("https://"):
            raise Invalid("The issuer URI must start with https://.")
        if "google.subject" not in attribute_mapping:
            raise Invalid("The attribute mapping must map google.subject.")
        from garauth.fake.github_oidc import condition_problem  # it imports this module

        problem = condition_problem(issuer, attribute_condition)
        if problem:
            raise Invalid(problem)
        with self.lock:
            if pool not in self.pools:
                raise NotFound(f"no pool {pool}")
            if f"{pool}/providers/{provider_id}" in self.providers:
                raise AlreadyExists("Requested entity already exists")
            name = self.add_oidc_provider(
                pool, provider_id, issuer, allowed_audiences, attribute_mapping, attribute_condition
            )
            self.providers[name]["display_name"] = display_name
        return name

    def start_operation(self, name: str, response: dict) -> None:
        """Record a long-running operation that will answer `response` once done."""
        with self.lock:
            self.operations[name] = {"done": False, "response": response}

    def poll_operation(self, name: str) -> dict:
        """The operation's record; the fake finishes every operation when it is first polled."""
        with self.lock:
            try:
                record = self.operations[name]
            except KeyError:
                raise NotFound(f"no operation {name}") from None
            record["done"] = True
            return dict(record)

    # --- persistence -----------------------------------------------------------------------

    def to_json(self) -> dict:
        """What state.json holds: everything but tokens (tokens.jsonl) and content (blobs/)."""
        with self.lock:
            return {
                "version": 2,
                "clock_offset": self.clock_offset,
                "projects": self.projects,
                "repositories": self.repositories,
                "service_accounts": self.service_accounts,
                "keys": self.keys,
                "iam": self.iam,
                "pools": self.pools,
                "providers": self.providers,
                "issuer": {"public_key": self.issuer_public_key, "key_id": self.issuer_key_id},
                "operations": self.operations,
            }

    def _state_text(self) -> str:
        return json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n"

    def _tokens_text(self) -> str:
        now = self.now()
        return "".join(
            json.dumps({"hash": h, **r}, sort_keys=True) + "\n"
            for h, r in self.tokens.items()
            if r["expires"] > now
        )

    def save(self, workdir: str | os.PathLike) -> None:
        """Write the whole state to a workdir, durably: blobs first, then the issuer key, the
        tokens and state.json, so a kill at any moment leaves a workdir that loads."""
        root = Path(workdir)
        with self.lock:
            if self.root is not None and root.resolve() == self.root.resolve():
                if not self.detached_reason:
                    self._write_tokens(root)
                    self.sync()
                return
            make_dir(root, DIR_MODE)
            blobs = DirectoryBlobs(root / BLOB_DIR, root / UPLOAD_DIR)
            for digest in self._blobs.digests():
                if not blobs.has(digest):
                    content = self._blobs.read(digest)
                    if content is not None:
                        blobs.put(content)
            if self._issuer_private_pem:
                key_path = root / ISSUER_KEY_FILE
                if not key_path.exists():
                    keyfile.write_private(key_path, self._issuer_private_pem)
            self._write_tokens(root)
            write_durably(root / STATE_FILE, self._state_text().encode(), STATE_MODE)

    def _write_tokens(self, root: Path) -> None:
        write_durably(root / TOKENS_FILE, self._tokens_text().encode(), STATE_MODE)

    @classmethod
    def load(cls, workdir: str | os.PathLike, clock: Callable[[], float] = time.time) -> State:
        """Read a workdir into memory (blobs included); the state is not attached to it."""
        root = Path(workdir)
        state = cls._read(root, clock)
        for repo in state.repositories.values():
            for digest in repo["blobs"]:
                if not state._blobs.has(digest):
                    path = root / BLOB_DIR / "sha256" / digest.split(":", 1)[1]
                    state._blobs.put(path.read_bytes())
        return state

    @classmethod
    def open(cls, workdir: str | os.PathLike, clock: Callable[[], float] = time.time) -> State:
        """Attach to a workdir, as the running fake does (see the module docstring)."""
        root = Path(workdir)
        state = cls._read(root, clock)
        blobs = DirectoryBlobs(root / BLOB_DIR, root / UPLOAD_DIR)
        blobs.remove_leftovers()
        missing = [d for repo in state.repositories.values() for d in repo["blobs"] if not blobs.has(d)]
        if missing:
            raise ValueError(f"{len(missing)} blobs named in state.json are missing from blobs/")
        with state.lock:
            state._blobs = blobs
            state.root = root
            state._write_tokens(root)  # compact: live tokens only, no torn last line
            state._written = (root / STATE_FILE).read_text()
            state._written_stat = _stat_of(root / STATE_FILE)
        return state

    @classmethod
    def _read(cls, root: Path, clock: Callable[[], float]) -> State:
        raw = json.loads((root / STATE_FILE).read_text())
        if not isinstance(raw, dict):
            raise ValueError("state.json does not hold a JSON object")
        state = cls(clock=clock)
        state.clock_offset = float(raw.get("clock_offset", 0.0))
        state.projects = raw["projects"]
        state.repositories = raw["repositories"]
        state.service_accounts = raw["service_accounts"]
        state.keys = raw["keys"]
        state.iam = raw["iam"]
        state.pools = raw.get("pools", {})
        state.providers = raw.get("providers", {})
        state.tokens = raw.get("tokens", {})  # version 1 kept tokens in state.json
        state.operations = raw.get("operations", {})
        state.issuer_public_key = raw.get("issuer", {}).get("public_key", "")
        state.issuer_key_id = raw.get("issuer", {}).get("key_id", "")
        state.tokens.update(_read_tokens(root / TOKENS_FILE))
        key_path = root / ISSUER_KEY_FILE
        if key_path.exists():
            state._issuer_private_pem = key_path.read_text()
        return state

    def sync(self) -> bool:
        """Write state.json if the state changed since it was last written (attached states only).

        Returns True if it wrote. Stops writing for good, and says why in `detached_reason`, when
        another process has rewritten state.json since this state last wrote it."""
        with self.lock:
            if self.root is None or self.detached_reason:
                return False
            text = self._state_text()
            if text == self._written:
                return False
            if not self._still_ours():
                return False
            path = self.root / STATE_FILE
            write_durably(path, text.encode(), STATE_MODE)
            self._written, self._written_stat = text, _stat_of(path)
            return True

    def owns_workdir(self) -> bool:
        """Is state.json still what this attached state last wrote? (False once someone else
        rewrote it; see `detached_reason`.)"""
        with self.lock:
            return self.root is not None and self._still_ours()

    def _still_ours(self) -> bool:
        if self.detached_reason:
            return False
        if _stat_of(self.root / STATE_FILE) != self._written_stat:
            self.detached_reason = f"{self.root / STATE_FILE} was changed by another process"
            logger.warning("%s; the fake no longer writes it", self.detached_reason)
            return False
        return True

    def _journal_token(self, token_hash: str, record: dict) -> None:
        """Append one issued token to tokens.jsonl (attached states), one write, then fdatasync."""
        if self.root is None or not self._still_ours():
            return
        line = (json.dumps({"hash": token_hash, **record}, sort_keys=True) + "\n").encode()
        fd = os.open(self.root / TOKENS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, STATE_MODE)
        try:
            os.write(fd, line)
            os.fdatasync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def exists(workdir: str | os.PathLike) -> bool:
        return (Path(workdir) / STATE_FILE).exists()


class Conflict(Exception):
    """A setIamPolicy whose etag is no longer the policy's: someone changed it in between."""


def _stat_of(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _read_tokens(path: Path) -> dict[str, dict]:
    """Tokens from tokens.jsonl; a line cut short by a kill (the last one) is skipped."""
    out: dict[str, dict] = {}
    try:
        text = path.read_text()
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        try:
            record = json.loads(line)
            out[record.pop("hash")] = record
        except (ValueError, KeyError, AttributeError, TypeError):
            continue
    return out


class CredentialRefused(Exception):
    """A credential that parsed but that Google would refuse; the reason is for logs only."""
