"""`python -m preflight.bench [--clusters N ...]`: preflight at fleet scale against the SDK's own floor.

For each fleet size it generates a valid stack (clusters spread over both clouds and several stores) and
measures, each run in a fresh process so peak RSS is that run's own:
  floor     the logmesh program under the Pulumi SDK's plain MockMonitor with no-op mocks (what any
            mock-based run costs: the SDK's registration machinery and the program itself, with CPython's
            default garbage-collector schedule; preflight's stages use preflight/heap.py's);
  preflight the full offline check: realistic mocks and recording, the policy pack through the
            analyzer servicer, and every report format rendered.
It prints resources, median wall seconds over the repeats (the modes alternate), peak RSS, milliseconds per
resource, ratio = preflight / floor, and the same for CPU seconds (steadier than wall time on a shared
machine); the last line names the ratio at the largest size run. A second table gives the cost of rendering
the Helm releases (preflight/record/charts.py) of the prod example stack, with Loki and with ELK, from the
chart cache (`make charts`) and without one (every release reported as not rendered).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import runpy
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from policies.lib import rendered
from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.chart_cache import CACHE_ENV, CACHE_FOLDER
from preflight.record.charts import RELEASE_TYPE, plain_values, render_releases
from preflight.record.mocks import RealisticMocks
from preflight.record.program import config_to_strings, record_program
from preflight.record.project import Project, load_project, load_stack_config
from preflight.report.evidence import build_evidence
from preflight.report.formats import FORMATS, render

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (1, 10, 50, 200, 500)
AWS_ACCOUNT = "444444444444"
AWS_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")
GCP_REGIONS = ("europe-west1", "europe-west4", "us-central1", "asia-northeast1")


def store_count(clusters: int) -> int:
    return max(1, min(clusters, 2 + clusters // 50))


def generate_stack(clusters: int) -> dict[str, Any]:
    """A valid prod stack with `clusters` clusters; stores alternate AWS/GCP, clusters round-robin over them."""
    stores: list[dict[str, Any]] = []
    for i in range(store_count(clusters)):
        cloud = "aws" if i % 2 == 0 else "gcp"
        store: dict[str, Any] = {"name": f"{cloud}-s{i}", "cloud": cloud, "cluster": ""}
        if cloud == "aws":
            store.update(region=AWS_REGIONS[i // 2 % len(AWS_REGIONS)], account_id=AWS_ACCOUNT)
        else:
            store.update(region=GCP_REGIONS[i // 2 % len(GCP_REGIONS)], project=f"acme-logs-s{i}", project_number=f"{100000000000 + i}")
        stores.append(store)
    fleet: list[dict[str, Any]] = []
    for i in range(clusters):
        store = stores[i % len(stores)]
        name = f"c{i:04d}-{store['cloud']}"
        cluster: dict[str, Any] = {
            "name": name,
            "cloud": store["cloud"],
            "region": store["region"],
            "context": f"ctx-{name}",
            "mesh": ("istio", "linkerd", "none")[i % 3],
            "collector": ("fluent-bit", "alloy")[i % 2],
            "store": store["name"],
        }
        if store["cloud"] == "aws":
            cluster["oidc_provider_arn"] = f"arn:aws:iam::{AWS_ACCOUNT}:oidc-provider/oidc.eks.{store['region']}.amazonaws.com/id/{i:032X}"
        else:
            cluster["project"] = store["project"]
        if not store["cluster"]:
            store["cluster"] = name
        fleet.append(cluster)
    return {
        "logmesh:environment": "prod",
        "logmesh:org": "bench",
        "logmesh:ingest_domain": "logs.bench.internal",
        "logmesh:alerting": {"alertmanager_url": "http://alertmanager-operated.monitoring.svc.cluster.local:9093"},
        "logmesh:backend": "loki",
        "logmesh:retention": {"hot_days": 30, "archive_days": 400, "immutable": True},
        "logmesh:stores": stores,
        "logmesh:clusters": fleet,
    }


def _peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _floor(project: Project, config: dict[str, Any]) -> int:
    """The program under the SDK's own MockMonitor with mocks that echo inputs: the cost of any mock run."""
    import pulumi
    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    class EchoMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            # The program looks up GCP service agents; answer as preflight does (a dictionary lookup).
            return invoke_answers.call(args)

    invoke_answers = RealisticMocks()
    mocks = EchoMocks()
    monitor = pulumi.runtime.mocks.MockMonitor(mocks)
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=project.name, stack="bench", monitor=monitor)
    pulumi.runtime.set_all_config(config_to_strings(config))
    sys.path.insert(0, str(project.directory))

    def program() -> None:
        runpy.run_path(str(project.main), run_name="__main__")

    _sync_await(run_pulumi_func(program))
    return len(monitor.resources)


def _full_preflight(project: Project, config: dict[str, Any]) -> int:
    """What `python -m preflight --stack prod` does, every report format rendered."""
    recording = record_program(project.main, project.name, "prod", config)
    render_releases(recording, project.directory / CACHE_FOLDER, CACHE_FOLDER)  # as the worker does, cache or not
    pack_dir = project.directory / "policies"
    pack = load_policy_pack(pack_dir)
    analysis = Analyzer(pack, resolve_config(pack, load_policy_config(pack_dir / "config" / "prod.json"))).analyze(recording)
    evidence = build_evidence(recording, analysis, project.directory)
    for format_ in FORMATS:
        render(evidence, format_, io.StringIO())
    return len(recording.resources)


def _measure_once(mode: str, clusters: int) -> dict[str, Any]:
    """Runs in a child process: one measurement of one mode at one size."""
    config = generate_stack(clusters)
    project = load_project(REPO_ROOT)
    measure = _floor if mode == "floor" else _full_preflight
    # A two-cluster run (one AWS and one GCP store) first loads the provider SDK modules the program touches
    # (pulumi_aws alone takes seconds), a one-off cost both modes share; the figures are for the steady state after it.
    measure(project, generate_stack(2))
    started, cpu_started = time.perf_counter(), time.process_time()
    count = measure(project, config)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "mode": mode,
        "clusters": clusters,
        "resources": count,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mib": _peak_rss_mib(),
    }


def _prod_config(backend: str) -> dict[str, Any]:
    """The prod example stack; with `elk`, switched to ELK as tests/helpers/harness.py elk_config does."""
    config = load_stack_config(load_project(REPO_ROOT), "prod").values
    if backend == "elk":
        config["logmesh:backend"] = "elk"
        for cluster in config["logmesh:clusters"]:
            if cluster.get("collector") == "alloy":
                cluster["collector"] = "filebeat"
    return config


def _measure_render(mode: str) -> dict[str, Any]:
    """Runs in a child process: rendering every release of prod (`render-<backend>-<cache|none>`) after recording it."""
    _, backend, cache = mode.split("-")
    project = load_project(REPO_ROOT)
    recording = record_program(project.main, project.name, "prod", _prod_config(backend))
    cached = Path(os.environ.get(CACHE_ENV) or REPO_ROOT / CACHE_FOLDER)
    folder = cached if cache == "cache" else cached / "absent"
    releases = [(r.urn, r.name, plain_values(r.inputs)) for r in recording.of_type(RELEASE_TYPE)]
    started = time.perf_counter()
    outcome = render_releases(recording, folder)
    seconds = time.perf_counter() - started
    # the `pulumi preview --policy-pack` path: the pack renders each Release itself (policies/lib/rendered.py)
    os.environ[CACHE_ENV] = str(folder)
    started = time.perf_counter()
    for urn, name, inputs in releases:
        rendered.render(urn, name, inputs)
    pack_seconds = time.perf_counter() - started
    return {
        "mode": mode,
        "releases": len(outcome.rendered) + len(outcome.not_rendered),
        "rendered": len(outcome.rendered),
        "objects": sum(outcome.rendered.values()),
        "seconds": seconds,
        "pack_seconds": pack_seconds,
        "peak_rss_mib": _peak_rss_mib(),
    }


def _render_table(repeat: int) -> None:
    print("rendering the Helm releases of prod (median s over the repeats; recording not included;")
    print("pack s: the pack rendering them itself, the `pulumi preview --policy-pack` path)")
    print(f"{'backend':>8} {'releases':>8} {'objects':>7} {'cache s':>8} {'pack s':>8} {'no cache s':>10} {'peak MiB':>8}")
    for backend in ("loki", "elk"):
        with_cache = [_measure(f"render-{backend}-cache", 0) for _ in range(repeat)]
        without = [_measure(f"render-{backend}-none", 0) for _ in range(repeat)]
        first = with_cache[0]
        cached = f"{statistics.median(r['seconds'] for r in with_cache):>8.2f}" if first["rendered"] else f"{'no cache':>8}"
        pack = f"{statistics.median(r['pack_seconds'] for r in with_cache):>8.2f}" if first["rendered"] else f"{'-':>8}"
        print(
            f"{backend:>8} {first['releases']:>8} {first['objects']:>7} {cached} {pack} "
            f"{statistics.median(r['seconds'] for r in without):>10.4f} {max(r['peak_rss_mib'] for r in with_cache):>8.0f}",
            flush=True,
        )


def _measure(mode: str, clusters: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "preflight.bench", "--child", mode, str(clusters)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise SystemExit(f"preflight.bench: {mode} at {clusters} clusters failed:\n{output.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m preflight.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--clusters", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="N")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size and mode; the median is printed")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode = args.child[0]
        print(json.dumps(_measure_render(mode) if mode.startswith("render-") else _measure_once(mode, int(args.child[1]))))
        return 0
    if any(n < 1 for n in args.clusters) or args.repeat < 1:
        parser.error("--clusters and --repeat take positive whole numbers")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}")
    header = (
        f"{'clusters':>8} {'resources':>9} {'floor s':>8} {'preflight s':>11} {'peak MiB':>8} {'ms/res':>7} {'ratio':>6}"
        f" {'floor cpu':>9} {'cpu s':>7} {'cpu ratio':>9}"
    )
    print(header)
    ratio = 0.0
    for clusters in args.clusters:
        # Alternating, so a change in the machine's load falls on both modes alike.
        floors, fulls = [], []
        for _ in range(args.repeat):
            floors.append(_measure("floor", clusters))
            fulls.append(_measure("preflight", clusters))
        floor_s = statistics.median(r["seconds"] for r in floors)
        full_s = statistics.median(r["seconds"] for r in fulls)
        floor_cpu = statistics.median(r["cpu_seconds"] for r in floors)
        full_cpu = statistics.median(r["cpu_seconds"] for r in fulls)
        resources = fulls[0]["resources"]
        peak = max(r["peak_rss_mib"] for r in fulls)
        ratio = full_s / floor_s
        print(
            f"{clusters:>8} {resources:>9} {floor_s:>8.2f} {full_s:>11.2f} {peak:>8.0f} {1000 * full_s / resources:>7.2f} {ratio:>6.2f}"
            f" {floor_cpu:>9.2f} {full_cpu:>7.2f} {full_cpu / floor_cpu:>9.2f}",
            flush=True,
        )
    print(f"ratio at {args.clusters[-1]} clusters: {ratio:.2f}")
    _render_table(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
