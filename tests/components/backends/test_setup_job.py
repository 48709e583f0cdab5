"""The Elasticsearch setup Job and its script."""

from __future__ import annotations

from tests.helpers.backend_lookups import (
    backends,
    elk_backend_recording,
)
from tests.helpers.support import below, plain


def test_es_setup_job_reads_the_elastic_password_from_a_mounted_secret() -> None:
    recording = elk_backend_recording("prod")
    for backend in backends(recording):
        job = plain(below(recording, backend, "kubernetes:batch/v1:Job")[0].inputs)
        pod = job["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["es-user"]["secret"]["secretName"] == "logmesh-es-elastic-user"
        assert "env" not in pod["containers"][0] and "envFrom" not in pod["containers"][0]
        script = plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].inputs)["data"]["setup.sh"]
        assert "--netrc-file /tmp/netrc" in script and "/etc/es-user/elastic" in script
        for path in (
            "_ilm/policy/logmesh-logs",
            "_index_template/logmesh-logs",
            "_snapshot/logmesh-archive",
            "_slm/policy/logmesh-nightly",
        ):
            assert f"put {path} " in script
        assert (
            volumes["setup"]["configMap"]["name"]
            == plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].outputs)["metadata"]["name"]
        )
