"""Imported once by the CLI worker's forkserver in the suite (tests/conftest.py adds it to `cli.PRELOAD`), so that each
run the suite makes through `preflight.cli.main` forks a process that already has the logmesh program's modules and
the provider SDK packages its stacks use loaded. A run is still a fresh process: nothing a run does reaches the
forkserver. Speed only: a package missing here is loaded by the run that needs it, as outside the suite."""

from __future__ import annotations

# The program's own modules (pydantic models included) and the pack's policies.
import components.config.loading
import components.platform  # noqa: F401
import policies.registry  # noqa: F401
from preflight.record.sdk_types import load_module

# The SDKs create each package lazily (pulumi._utils.lazy_import) and load it on first attribute access, about 18 s
# for these under load: the packages the example stacks use (found by recording every example stack), each loaded
# with the packages above it as the recorder loads them.
SDK_PACKAGES = (
    "pulumi_aws.cloudtrail",
    "pulumi_aws.cloudwatch",
    "pulumi_aws.iam",
    "pulumi_aws.kms",
    "pulumi_aws.s3",
    "pulumi_aws.sns",
    "pulumi_gcp.kms",
    "pulumi_gcp.projects",
    "pulumi_gcp.serviceaccount",
    "pulumi_gcp.storage",
    "pulumi_kubernetes.apiextensions",
    "pulumi_kubernetes.batch.v1",
    "pulumi_kubernetes.core.v1",
    "pulumi_kubernetes.helm.v3",
    "pulumi_kubernetes.meta.v1",
    "pulumi_kubernetes.networking.v1",
    "pulumi_kubernetes.rbac.v1",
    "pulumi_kubernetes.scheduling.v1alpha3",
    "pulumi_kubernetes.storage.v1",
)

for _name in SDK_PACKAGES:
    load_module(_name)
