"""Named changes to the fake's state, each made through the State's own methods, so that a test
or a troubleshooting case says what happened ("delete key") rather than how.

    apply("delete key", state, keys_dir)     # keys_dir holds the workdir's keys/ACCOUNT.json

They act on the demo's reader account unless told otherwise, and work on the live fake's state
(kit.fake.LiveFake.change) as on a state loaded from a workdir.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from garauth.fake import demo
from garauth.fake.state import ACCESS_TOKEN_LIFETIME, WORKLOAD_IDENTITY_USER, State


def delete_key(state: State, keys: Path, who: str = "reader") -> None:
    """The account's key, as in keys/WHO.json, is deleted (rotation, a leak)."""
    key_id = json.loads((keys / f"{who}.json").read_text())["private_key_id"]
    state.delete_key(key_id)


def disable_account(state: State, keys: Path, who: str = "reader") -> None:
    state.disable_account(demo.email(who))


def expire_token(state: State, keys: Path) -> None:
    """An hour passes: every access token issued so far has expired (Google's default lifetime)."""
    state.advance(ACCESS_TOKEN_LIFETIME + 60)


def remove_binding(state: State, keys: Path, who: str = "reader") -> None:
    """Nobody may impersonate the account any more: its workloadIdentityUser members are revoked."""
    account = f"projects/{demo.PROJECT}/serviceAccounts/{demo.email(who)}"
    for member in list(state.iam.get(account, {}).get(WORKLOAD_IDENTITY_USER, [])):
        state.revoke(account, WORKLOAD_IDENTITY_USER, member)


CHANGES: dict[str, Callable[[State, Path], None]] = {
    "delete key": delete_key,
    "disable account": disable_account,
    "expire token": expire_token,
    "remove binding": remove_binding,
}


def apply(name: str, state: State, keys: Path) -> None:
    try:
        change = CHANGES[name]
    except KeyError:
        raise AssertionError(f"no state change {name!r}; the kit knows {', '.join(CHANGES)}") from None
    change(state, keys)
