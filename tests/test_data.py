"""The location facts: complete, consistent, and the single source for hosts."""

from garauth import data, refs


def test_49_locations_in_six_groups():
    locs = data.locations()
    assert len(locs) == 49
    assert len({loc.name for loc in locs}) == 49
    assert {loc.group for loc in locs} == {
        "Multi-region",
        "Africa",
        "Asia-Pacific",
        "Europe",
        "Middle East",
        "Americas",
    }


def test_multi_regions_and_new_regions_have_no_rep_host():
    by_name = {loc.name: loc for loc in data.locations()}
    for name in ("us", "europe", "asia", "asia-southeast3", "europe-north2", "northamerica-south1"):
        assert by_name[name].rep_host is None
    assert by_name["europe-west3"].rep_host == "docker.europe-west3.rep.pkg.dev"
    assert by_name["us-west8"].rep_host == "docker.us-west8.rep.pkg.dev"


def test_gcr_hosts_map_to_their_locations():
    assert {g.host: g.location for g in data.gcr_hosts()} == {
        "gcr.io": "us",
        "us.gcr.io": "us",
        "eu.gcr.io": "europe",
        "asia.gcr.io": "asia",
    }


def test_every_registry_host_parses_as_an_ar_host():
    for host, location in data.registry_hosts().items():
        if host.endswith("gcr.io"):
            ref = refs.parse(f"{host}/demo-project/app:1")
        else:
            ref = refs.parse(f"{host}/demo-project/repo/app:1")
        assert ref.ar.location == location


def test_every_source_is_https():
    assert all(url.startswith("https://") for url in data.sources().values())


def test_endpoints_are_distinct_from_registry_hosts():
    assert not set(data.endpoints().values()) & set(data.registry_hosts())
    assert len(data.all_hosts()) == len(set(data.all_hosts()))
