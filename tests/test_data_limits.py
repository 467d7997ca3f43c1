"""Every limit in data/limits.toml is described, and every description names a limit."""

from garauth import data


def test_every_limit_has_a_description_and_no_description_is_stray():
    limits = data.limits()
    numbers = {f"{s}.{n}" for s, table in limits.items() if s not in ("sources", "describe") for n in table}
    assert numbers == set(limits["describe"])
