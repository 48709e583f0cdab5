"""Every alert's LogQL parses, and the anomaly alerts' arithmetic fires on synthetic per-minute series as it should."""

from __future__ import annotations

import pytest

from components.alerts import catalog
from components.alerts.rules import kibana_rule, logql, loki_rule_group
from components.config.schema import ClusterConfig
from components.names import data_stream
from tests.helpers.esql import Doc, run
from tests.helpers.logql import LogQLSyntaxError, Stream, evaluate, parse

CLUSTER = ClusterConfig(name="eu-1", cloud="aws", region="eu-west-1", context="eu-1")
DAY = 24 * 60
NOW = DAY + 60  # one day and an hour of history; the rule is evaluated at the end of this minute
ANOMALIES = {catalog.MESH_5XX_ANOMALY: "503", catalog.MESH_AUTH_ANOMALY: "403"}


def series(ok: int, bad: int, status: str, *, recent_ok: int | None = None, recent_bad: int | None = None) -> list[Stream]:
    """`ok` and `bad` answers a minute all day; the last 15 minutes `recent_ok`/`recent_bad` instead."""
    window = catalog.ANOMALY_WINDOW_MINUTES

    def minutes(usual: int, recent: int | None) -> list[int]:
        return [usual] * (NOW + 1 - window) + [usual if recent is None else recent] * window

    labels = {"cluster": CLUSTER.id, "namespace": "shop"}
    return [
        Stream({**labels, "status": "200"}, minutes(ok, recent_ok)),
        Stream({**labels, "status": status}, minutes(bad, recent_bad)),
        # Lines without a status (application logs) count in no rate.
        Stream({**labels, "line": "started"}, [50] * (NOW + 1)),
        Stream({"cluster": "other", "status": status}, [500] * (NOW + 1)),
    ]


@pytest.mark.parametrize("alert", catalog.ALERT_NAMES)
def test_every_alert_query_parses(alert: str) -> None:
    parse(logql(alert, CLUSTER))


def test_the_checker_refuses_bad_logql() -> None:
    for bad in ('sum(count_over_time({cluster="a"} | status=~"5.(" [5m]))', 'count_over_time({cluster="a"} |= "x")', "sum(rate(x[5m]) >"):
        with pytest.raises(LogQLSyntaxError):
            parse(bad)


def test_the_fixed_threshold_spike_fires_on_the_same_series() -> None:
    """The evaluator agrees with the older alerts too: 20% 5xx over 5 minutes is a spike, 2% is not."""
    assert evaluate(logql(catalog.MESH_5XX_SPIKE, CLUSTER), series(80, 20, "503"), NOW) is not None
    assert evaluate(logql(catalog.MESH_5XX_SPIKE, CLUSTER), series(98, 2, "503"), NOW) is None


@pytest.mark.parametrize("alert", catalog.ALERT_NAMES)
def test_every_loki_rule_carries_a_summary_a_description_and_its_runbook(alert: str) -> None:
    (rule,) = loki_rule_group(alert, CLUSTER)["groups"][0]["rules"]
    annotations = rule["annotations"]
    assert annotations["summary"] == catalog.summary(alert, CLUSTER.id)
    assert annotations["description"] == catalog.description(alert, CLUSTER.id)
    assert annotations["runbook_url"] == f"docs/runbooks.md#{alert}"


@pytest.mark.parametrize("alert", ANOMALIES)
def test_the_kibana_anomaly_rule_is_the_same_statistic_in_esql(alert: str) -> None:
    create, _ = kibana_rule(alert, CLUSTER)
    params = create["params"]
    assert params["searchType"] == "esqlQuery"
    assert (params["timeWindowSize"], params["timeWindowUnit"]) == (24 * 60 + 15, "m")  # the baseline day and the window
    assert (params["thresholdComparator"], params["threshold"]) == (">", [0])  # fires when the query returns a row
    esql = params["esqlQuery"]["esql"]
    commands = [line.split()[0] for line in esql.splitlines()[1:]]
    assert esql.startswith(f"FROM {data_stream(CLUSTER)}\n") and set(commands) <= {"|"}
    assert [line.split()[1] for line in esql.splitlines()[1:]] == ["WHERE", "EVAL", "STATS", "EVAL", "WHERE", "KEEP"]
    assert f"NOW() - {catalog.ANOMALY_WINDOW_MINUTES} minutes" in esql
    assert f"requests_now >= {catalog.ANOMALY_MIN_REQUESTS} AND bad_now >= {catalog.ANOMALY_MIN_MATCHING}" in esql
    assert f"rate_now > rate_baseline * {catalog.ANOMALY_FACTOR:g} + {catalog.ANOMALY_FLOOR:g}" in esql


@pytest.mark.parametrize("alert", catalog.ALERT_NAMES)
def test_every_kibana_rule_records_its_summary_and_runbook(alert: str) -> None:
    create, _ = kibana_rule(alert, CLUSTER)
    for action in create["actions"]:
        (document,) = action["params"]["documents"]
        assert document["logmesh"]["runbook_url"] == catalog.runbook_url(alert)
        assert document["logmesh"]["summary"] == catalog.summary(alert, CLUSTER.id)


# Synthetic series through the Loki rule's LogQL (tests/helpers/logql.py) and the Kibana rule's ES|QL
# (tests/helpers/esql.py): each fires exactly where it should, so both backends agree.
CASES = {
    # 2% errors all day and in the window: high, but the cluster's normal.
    "steady": ((98, 2), {}, False),
    "spike": ((98, 2), {"recent_bad": 20}, True),
    "spike after a clean day": ((100, 0), {"recent_bad": 10}, True),
    # 0.5% -> 1.5% triples the rate, but stays within the floor: no page.
    "rise within the floor": ((995, 5), {"recent_ok": 985, "recent_bad": 15}, False),
    # 13 requests a window, half of them failing in the window: below ANOMALY_MIN_REQUESTS.
    "quiet cluster": ((1, 0), {"recent_ok": 0, "recent_bad": 1}, False),
}


def documents(streams: list[Stream]) -> list[Doc]:
    """The cluster's own streams as documents of its data stream (the other cluster has its own index)."""
    return [
        Doc(minute, int(s.fields["status"]) if "status" in s.fields else None, n)
        for s in streams
        if s.fields.get("cluster") == CLUSTER.id
        for minute, n in enumerate(s.per_minute)
        if n
    ]


@pytest.mark.parametrize("alert", ANOMALIES)
@pytest.mark.parametrize("case", CASES)
def test_the_esql_rule_fires_exactly_where_the_logql_rule_does(alert: str, case: str) -> None:
    (ok, bad), recent, fires = CASES[case]
    streams = series(ok, bad, ANOMALIES[alert], **recent)
    params = kibana_rule(alert, CLUSTER)[0]["params"]
    rows = run(params["esqlQuery"]["esql"], documents(streams), NOW, params["timeWindowSize"])
    assert (len(rows) > 0) is fires, rows
    assert (evaluate(logql(alert, CLUSTER), streams, NOW) is not None) is fires
