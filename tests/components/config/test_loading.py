"""Stack configuration: the example stacks load, and every kind of mistake names its key and registers nothing."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from components.config import schema
from components.config.loading import parse_config
from components.config.schema import ConfigError
from preflight.record.program import record_program
from preflight.record.recording import Recording
from tests.helpers.harness import PROJECT, STACKS, example_recording, run, secret_keys_of, stack_config


def failing(config: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        run(config)
    assert caught.value.registrations == []  # type: ignore[attr-defined]
    return caught.value


def test_example_stacks_build_a_platform(example: Recording) -> None:
    platforms = example.of_type("logmesh:platform:LogPlatform")
    assert len(platforms) == 1
    summary = example.stack_outputs["summary"]
    config = stack_config(example.stack)
    assert set(summary["stores"]) == {s["name"] for s in config["logmesh:stores"]}
    assert set(summary["clusters"]) == {c["name"] for c in config["logmesh:clusters"]}
    for cluster in summary["clusters"].values():
        assert cluster["ships_to"] in summary["stores"]


def test_prod_spans_both_clouds_meshes_and_collectors() -> None:
    config = stack_config("prod")
    stores, clusters = config["logmesh:stores"], config["logmesh:clusters"]
    assert {s["cloud"] for s in stores} == {"aws", "gcp"}
    assert len(clusters) >= 4
    assert {c["cloud"] for c in clusters} == {"aws", "gcp"}
    assert {c["mesh"] for c in clusters} >= {"istio", "linkerd"}
    assert len({c["collector"] for c in clusters}) > 1


def test_the_example_stacks_together_use_every_choice() -> None:
    """Issue 16: every enumerated option is exercised by some example stack (ELK, Logstash, Filebeat and an unmeshed
    cluster by staging-elk)."""
    configs = [stack_config(stack) for stack in STACKS]
    stores = [s for c in configs for s in c["logmesh:stores"]]
    clusters = [k for c in configs for k in c["logmesh:clusters"]]
    used = {
        "environment": {c["logmesh:environment"] for c in configs},
        "backend": {c["logmesh:backend"] for c in configs},
        "cloud": {s["cloud"] for s in stores},
        "aggregation": {s["aggregation"] for s in stores if "aggregation" in s},
        "mesh": {k["mesh"] for k in clusters},
        "collector": {k["collector"] for k in clusters},
    }
    choices = {
        "environment": schema.Environment,
        "backend": schema.Backend,
        "cloud": schema.Cloud,
        "aggregation": schema.Aggregation,
        "mesh": schema.Mesh,
        "collector": schema.Collector,
    }
    expected = {key: set(get_args(literal)) for key, literal in choices.items()}
    assert used == expected


def test_cluster_store_defaults_to_the_store_of_its_cloud() -> None:
    recording = example_recording("staging")
    clusters = recording.stack_outputs["summary"]["clusters"]
    assert clusters["stg-eks"]["ships_to"] == "aws-main"
    assert clusters["stg-gke"]["ships_to"] == "gcp-main"


def _set(config: dict[str, Any], path: str, value: Any) -> None:
    key, *rest = path.split(".")
    target: Any = config
    parts: list[Any] = [key]
    for part in rest:
        parts += [int(p) if p.isdigit() else p for p in part.replace("]", "").split("[")]
    for part in parts[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value


_DELETE = object()

BAD_VALUES = [
    ("logmesh:environment", "production", "logmesh:environment", "'dev', 'staging' or 'prod'"),
    ("logmesh:backend", "splunk", "logmesh:backend", "'loki' or 'elk'"),
    ("logmesh:clusters.1.mesh", "consul", "logmesh:clusters[1].mesh", "'istio', 'linkerd' or 'none'"),
    ("logmesh:clusters.0.collector", "vector", "logmesh:clusters[0].collector", "'fluent-bit', 'alloy' or 'filebeat'"),
    ("logmesh:retention.hot_days", 0, "logmesh:retention.hot_days", "greater than or equal to 1"),
    ("logmesh:retention.hot_days", "30", "logmesh:retention.hot_days", "valid integer"),
    ("logmesh:retention.archive_days", 10, "logmesh:retention", "archive_days (10) must be >= hot_days (30)"),
    ("logmesh:retention.immutable", False, "logmesh:retention.immutable", "must be true in prod"),
    ("logmesh:org", "Acme_Corp", "logmesh:org", "lowercase DNS label"),
    ("logmesh:stores.0.name", "Bad_Name", "logmesh:stores[0].name", "lowercase DNS label"),
    ("logmesh:stores.0.account_id", "12345", "logmesh:stores[0].account_id", "12-digit AWS account id"),
    ("logmesh:stores.1.project_number", 987654321098, "logmesh:stores[1].project_number", "valid string"),
    ("logmesh:clusters.0.oidc_provider_arn", "arn:aws:iam::333333333333:role/x", "logmesh:clusters[0].oidc_provider_arn", "EKS OIDC"),
    ("logmesh:clusters.0.region", "mars-1", "logmesh:clusters[0].region", "AWS region"),
]


@pytest.mark.parametrize(("path", "value", "key", "expected"), BAD_VALUES, ids=[f"{b[0]}={b[1]!r}" for b in BAD_VALUES])
def test_bad_value_names_the_key(path: str, value: Any, key: str, expected: str) -> None:
    config = stack_config("prod")
    _set(config, path, value)
    error = failing(config)
    assert any(line.startswith(f"{key}:") and expected in line for line in error.problems), error.problems


def test_unknown_top_level_and_nested_keys() -> None:
    config = stack_config("prod")
    config["logmesh:retension"] = {"hot_days": 1}
    config["logmesh:clusters"][2]["colector"] = "alloy"
    error = failing(config)
    assert any(p.startswith("logmesh:retension: unknown key") for p in error.problems)
    assert any(p.startswith("logmesh:clusters[2].colector: unknown key") for p in error.problems)


@pytest.mark.parametrize("key", ["logmesh:environment", "logmesh:org", "logmesh:retention", "logmesh:stores"])
def test_missing_required_key(key: str) -> None:
    config = stack_config("dev")
    del config[key]
    error = failing(config)
    assert f"{key}: required key is missing" in error.problems


def test_missing_nested_key() -> None:
    config = stack_config("prod")
    del config["logmesh:clusters"][3]["context"]
    error = failing(config)
    assert "logmesh:clusters[3].context: required key is missing" in error.problems
    config = stack_config("prod")
    del config["logmesh:stores"][0]["account_id"]
    error = failing(config)
    assert any(p.startswith("logmesh:stores[0].account_id: required key is missing") for p in error.problems)


def test_dangling_references() -> None:
    config = stack_config("prod")
    config["logmesh:clusters"][1]["store"] = "aws-euw1"
    config["logmesh:stores"][1]["cluster"] = "prod-gke-usc1"
    error = failing(config)
    assert any(p.startswith("logmesh:clusters[1].store: no store named 'aws-euw1'; use one of aws-use1, gcp-euw1") for p in error.problems)
    assert any(p.startswith("logmesh:stores[1].cluster: no cluster named 'prod-gke-usc1'") for p in error.problems)


def test_duplicate_names() -> None:
    config = stack_config("prod")
    config["logmesh:clusters"][3]["name"] = "prod-gke-euw1"
    error = failing(config)
    assert any(p.startswith("logmesh:clusters[3].name: 'prod-gke-euw1' is already used by clusters[2]") for p in error.problems)


def test_collector_must_match_backend() -> None:
    config = stack_config("prod")
    config["logmesh:backend"] = "elk"
    error = failing(config)
    assert any(p.startswith("logmesh:clusters[1].collector: 'alloy' ships only to Loki") for p in error.problems)
    config = stack_config("dev")
    config["logmesh:clusters"][0]["collector"] = "filebeat"
    error = failing(config)
    assert any(p.startswith("logmesh:clusters[0].collector: 'filebeat' ships only to Elasticsearch") for p in error.problems)


def test_backend_cluster_must_be_in_the_store_cloud_and_account() -> None:
    config = stack_config("prod")
    config["logmesh:stores"][0]["cluster"] = "prod-gke-euw1"
    error = failing(config)
    assert any(p.startswith("logmesh:stores[0].cluster: cluster 'prod-gke-euw1' is in gcp") for p in error.problems)
    config = stack_config("prod")
    config["logmesh:stores"][0]["account_id"] = "444444444444"
    error = failing(config)
    assert any("IRSA needs the provider in the store's account" in p for p in error.problems)


def test_a_copied_cluster_that_keeps_the_other_clusters_context_is_refused() -> None:
    config = stack_config("prod")
    config["logmesh:clusters"][3]["context"] = config["logmesh:clusters"][2]["context"]
    error = failing(config)
    assert any(
        p.startswith("logmesh:clusters[3].context: 'gke_acme-logs-prod_europe-west1_prod-euw1' is already the context of clusters[2]")
        for p in error.problems
    )
    # With its own kubeconfig a cluster may repeat a context name: the name is only unique within a kubeconfig.
    config["logmesh:kubeconfigs"] = {"prod-gke-euw4": "apiVersion: v1\nkind: Config\n"}
    recording = record_program(PROJECT.main, PROJECT.name, "prod", config, secret_keys=["logmesh:kubeconfigs"])
    assert len(recording.of_type("pulumi:providers:kubernetes")) == 4


def test_an_eks_cluster_with_the_oidc_provider_of_another_region_is_refused() -> None:
    config = stack_config("prod")
    config["logmesh:clusters"][1]["oidc_provider_arn"] = config["logmesh:clusters"][0]["oidc_provider_arn"]
    error = failing(config)
    assert any(
        p.startswith("logmesh:clusters[1].oidc_provider_arn: the OIDC provider is in us-east-1, but the cluster is in us-west-2")
        for p in error.problems
    )


def test_two_gcp_stores_in_one_project_are_refused() -> None:
    config = stack_config("prod")
    config["logmesh:stores"].append(
        {**config["logmesh:stores"][1], "name": "gcp-euw4", "region": "europe-west4", "cluster": "prod-gke-euw4"}
    )
    config["logmesh:clusters"][2]["store"] = "gcp-euw1"
    config["logmesh:clusters"][3]["store"] = "gcp-euw4"
    config["logmesh:clusters"][3]["project"] = "acme-logs-prod"
    error = failing(config)
    assert error.problems == [
        "logmesh:stores[2].project: 'acme-logs-prod' already holds stores[1] (gcp-euw1); a GCP store owns its project's "
        "Data Access audit configuration (storage, cloudkms), and retiring one of two stores would turn it off for both: "
        "put each GCP store in its own project"
    ]
    config["logmesh:stores"][2] |= {"project": "acme-logs-prod-euw4", "project_number": "987654321099"}
    assert run(config).of_type("logmesh:storage:GcpLogStore")


def test_ambiguous_default_store() -> None:
    config = stack_config("prod")
    config["logmesh:stores"].append(
        {"name": "aws-usw2", "cloud": "aws", "region": "us-west-2", "account_id": "333333333333", "cluster": "prod-eks-usw2"}
    )
    config["logmesh:clusters"][0].pop("store", None)
    config["logmesh:clusters"][1]["store"] = "aws-usw2"
    error = failing(config)
    assert "logmesh:clusters[0].store: required when the stack has 2 aws stores; use one of aws-use1, gcp-euw1, aws-usw2" in error.problems


def test_structured_value_that_is_not_json() -> None:
    config = stack_config("dev")
    config["logmesh:retention"] = "{hot_days: 7"
    error = failing(config)
    assert error.problems[0].startswith("logmesh:retention:")


SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def test_kubeconfigs_must_be_secret() -> None:
    config = stack_config("dev")
    config["logmesh:kubeconfigs"] = {"dev-eks": "apiVersion: v1\nkind: Config\n"}
    error = failing(config)
    assert any(p.startswith("logmesh:kubeconfigs: holds credentials and must be a secret") for p in error.problems)


def test_kubeconfig_for_unknown_cluster() -> None:

    config = stack_config("dev")
    config["logmesh:kubeconfigs"] = {"dev-gke": "apiVersion: v1\nkind: Config\n"}
    with pytest.raises(ConfigError) as caught:
        record_program(PROJECT.main, PROJECT.name, "test", config, secret_keys=["logmesh:kubeconfigs"])
    assert any(p.startswith("logmesh:kubeconfigs.dev-gke: no cluster named 'dev-gke'") for p in caught.value.problems)


def test_secret_kubeconfig_reaches_the_provider_as_a_secret() -> None:

    kubeconfig = "apiVersion: v1\nkind: Config\nusers: [{name: admin, user: {token: s3cr3t-token}}]\n"
    config = stack_config("dev")
    config["logmesh:kubeconfigs"] = {"dev-eks": kubeconfig}
    recording = record_program(PROJECT.main, PROJECT.name, "test", config, secret_keys=["logmesh:kubeconfigs"])
    (provider,) = [r for r in recording.resources if r.type == "pulumi:providers:kubernetes"]
    assert provider.inputs["kubeconfig"] == {"4dabf18193072939515e22adb298388d": SECRET_SIG, "value": kubeconfig}


def test_ingest_domain_is_required_when_a_cluster_ships_to_another_clusters_backend() -> None:
    config = stack_config("prod")
    del config["logmesh:ingest_domain"]
    error = failing(config)
    [problem] = [p for p in error.problems if p.startswith("logmesh:ingest_domain:")]
    assert "prod-eks-usw2 -> aws-use1, prod-gke-euw4 -> gcp-euw1" in problem
    # Every cluster of the dev and staging examples ships to the backend it runs: no domain needed.
    assert "logmesh:ingest_domain" not in stack_config("staging")
    assert example_recording("staging").resources


@pytest.mark.parametrize("domain", ["Logs.Example", "localhost", "logs..example.internal", "-logs.example"])
def test_ingest_domain_must_be_a_dns_domain(domain: str) -> None:
    config = stack_config("prod")
    config["logmesh:ingest_domain"] = domain
    error = failing(config)
    assert any(p.startswith("logmesh:ingest_domain: must be a lowercase DNS domain") and repr(domain) in p for p in error.problems)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, "greater than or equal to 1"), (30001, "less than or equal to 30000"), ("big", "is not valid")]
)
def test_daily_volume_gb_is_bounded(value: Any, expected: str) -> None:
    config = stack_config("dev")
    config["logmesh:daily_volume_gb"] = value
    error = failing(config)
    assert any(p.startswith("logmesh:daily_volume_gb:") and expected in p for p in error.problems), error.problems


def test_new_backend_keys_have_defaults() -> None:
    from components.config.loading import parse_config

    raw = {k.removeprefix("logmesh:"): v for k, v in stack_config("dev").items()}
    parsed = parse_config(raw)
    assert (parsed.daily_volume_gb, parsed.ingest_domain) == (100, None)
    prod = parse_config({k.removeprefix("logmesh:"): v for k, v in stack_config("prod").items()})
    assert (prod.daily_volume_gb, prod.ingest_domain) == (500, "logs.acme.internal")


def test_mesh_namespaces_are_dns_labels_on_a_cluster_with_a_mesh() -> None:
    config = stack_config("staging")
    config["logmesh:clusters"][0]["mesh_namespaces"] = ["Shop_Frontend"]
    assert failing(config).problems == [
        "logmesh:clusters[0].mesh_namespaces[0]: must be a lowercase DNS label "
        "(a-z, 0-9 and '-', starting and ending with a letter or digit) (got 'Shop_Frontend')"
    ]
    config = stack_config("staging")
    config["logmesh:clusters"][1].update(mesh="none", mesh_namespaces=["emojivoto"])
    assert failing(config).problems == [
        "logmesh:clusters[1].mesh_namespaces: only for a cluster with a mesh; set mesh: istio or linkerd, or remove it"
    ]


# --- logmesh:alerting ------------------------------------------------------------------------------------------------

ALERTMANAGER = "http://alertmanager-operated.monitoring.svc.cluster.local:9093"


def _alerting_problems(alerting: Any, stack: str = "staging", secret: bool = False) -> list[str]:
    config = stack_config(stack)
    config["logmesh:alerting"] = alerting
    with pytest.raises(ConfigError) as caught:
        record_program(
            PROJECT.main, PROJECT.name, "test", config, secret_keys=(["logmesh:alerting"] if secret else []) + secret_keys_of(config)
        )
    assert caught.value.registrations == []  # type: ignore[attr-defined]
    return caught.value.problems


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("alertmanager:9093", "must be an http or https URL of an Alertmanager"),
        ("ftp://alertmanager.monitoring.svc:9093", "must be an http or https URL of an Alertmanager"),
        ("http://:9093", "must be an http or https URL of an Alertmanager"),
        ("http://alertmanager:99999", "must be an http or https URL of an Alertmanager"),
        ("https://ops:hunter22@alertmanager.example.com", "must not carry credentials"),
        ("http://alertmanager:9093/?tenant=a", "must have no query or fragment"),
    ],
)
def test_alertmanager_url_must_be_a_plain_http_url(url: str, expected: str) -> None:
    problems = _alerting_problems({"alertmanager_url": url})
    assert len(problems) == 1 and problems[0].startswith(f"logmesh:alerting.alertmanager_url: {expected}"), problems
    assert "hunter22" not in problems[0]


def test_alerting_rejects_unknown_and_missing_nested_keys() -> None:
    assert _alerting_problems({"url": ALERTMANAGER}) == [
        "logmesh:alerting.alertmanager_url: required key is missing",
        "logmesh:alerting.url: unknown key; remove it or check its spelling",
    ]
    # A bare URL instead of the mapping: config values arrive as strings, so it is named as a broken structure.
    assert _alerting_problems("http://alertmanager:9093") == [
        "logmesh:alerting: is not valid YAML/JSON structure (got 'http://alertmanager:9093')"
    ]
    assert _alerting_problems(["http://alertmanager:9093"]) == [
        "logmesh:alerting: Input should be a valid dictionary or instance of AlertingConfig"
    ]


def test_alertmanager_credentials_must_be_secret() -> None:
    url = "https://alertmanager.ops.example.com"
    assert _alerting_problems({"alertmanager_url": url, "bearer_token": "t0ken-abc"}) == [
        "logmesh:alerting.bearer_token: holds credentials and must be a secret; set it with "
        "`pulumi config set --secret --path 'logmesh:alerting.bearer_token' <value>`"
    ]
    problems = _alerting_problems({"alertmanager_url": url, "username": "ruler", "password": "pw-12345"})
    assert problems == [
        "logmesh:alerting.password: holds credentials and must be a secret; set it with "
        "`pulumi config set --secret --path 'logmesh:alerting.password' <value>`"
    ]


def test_alertmanager_credentials_need_https_and_one_scheme() -> None:
    assert _alerting_problems({"alertmanager_url": ALERTMANAGER, "bearer_token": "t0ken-abc"}, secret=True) == [
        "logmesh:alerting.alertmanager_url: must be https when credentials are set, so they never cross the network in clear"
    ]
    url = "https://alertmanager.ops.example.com"
    assert _alerting_problems({"alertmanager_url": url, "bearer_token": "t", "username": "u", "password": "p"}, secret=True) == [
        "logmesh:alerting.bearer_token: set either bearer_token or username and password, not both"
    ]
    assert _alerting_problems({"alertmanager_url": url, "username": "u"}, secret=True) == [
        "logmesh:alerting.password: required with username (basic auth)"
    ]


def test_prod_with_loki_requires_alerting_and_elk_does_not() -> None:
    config = stack_config("prod")
    del config["logmesh:alerting"]
    assert failing(config).problems == [
        "logmesh:alerting: required key is missing in prod (SOC 2 CC7.3: fired alerts must reach responders); "
        f"set alertmanager_url, such as {ALERTMANAGER}"
    ]
    from components.config.loading import parse_config

    raw = {k.removeprefix("logmesh:"): v for k, v in config.items()}
    assert parse_config({**raw, "backend": "elk", "clusters": [{**c, "collector": "fluent-bit"} for c in raw["clusters"]]}).alerting is None
    assert parse_config(raw | {"environment": "staging"}).alerting is None


def test_alerting_parses_and_names_the_in_cluster_namespace() -> None:
    from components.config.loading import parse_config

    raw = {k.removeprefix("logmesh:"): v for k, v in stack_config("prod").items()}
    alerting = parse_config(raw).alerting
    assert alerting is not None
    assert (alerting.alertmanager_url, alerting.port, alerting.in_cluster_namespace) == (ALERTMANAGER, 9093, "monitoring")
    secret = {"alertmanager_url": "https://am.ops.example.com/x", "bearer_token": "t0ken-abc"}
    parsed = parse_config(raw | {"alerting": secret}, secret_keys=["alerting"]).alerting
    assert parsed is not None and (parsed.port, parsed.in_cluster_namespace, parsed.has_credentials) == (443, None, True)
    assert "t0ken-abc" not in repr(parsed)


@pytest.mark.parametrize(
    ("region", "arn"),
    [
        ("us-gov-west-1", "arn:aws-us-gov:iam::111111111111:oidc-provider/oidc.eks.us-gov-west-1.amazonaws.com/id/ABCDEF0123456789"),
        ("cn-north-1", "arn:aws-cn:iam::111111111111:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABCDEF0123456789"),
    ],
)
def test_eks_clusters_in_govcloud_and_china_partitions(region: str, arn: str) -> None:
    config = stack_config("dev")
    config["logmesh:stores"][0]["region"] = region
    config["logmesh:clusters"][0].update(region=region, oidc_provider_arn=arn)
    parsed = parse_config({k.removeprefix("logmesh:"): v for k, v in config.items()})
    assert parsed.clusters[0].oidc_issuer == arn.split("oidc-provider/", 1)[1]
    config["logmesh:clusters"][0]["oidc_provider_arn"] = arn.replace("arn:aws-", "arn:aws-xx-")
    error = failing(config)
    assert any(p.startswith("logmesh:clusters[0].oidc_provider_arn:") for p in error.problems)
