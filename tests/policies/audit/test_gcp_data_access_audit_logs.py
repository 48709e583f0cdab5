"""gcp-data-access-audit-logs attributes a resource to the project of its parent (key ring, key, bucket), not to the
provider's default project."""

from __future__ import annotations

from collections.abc import Callable

from preflight.analyze.findings import Analysis
from tests.policies.conftest import flagged


def test_a_key_is_audited_in_its_key_rings_project(analyze: Callable[..., Analysis]) -> None:
    analysis = analyze("gcp_parent_project")
    assert flagged(analysis, "gcp-data-access-audit-logs") == {"elsewhere-key"}
    [message] = [v.message for v in analysis.violations if v.policy == "gcp-data-access-audit-logs"]
    assert message == "project acme-other has no DATA_READ/DATA_WRITE audit logs for cloudkms.googleapis.com"
