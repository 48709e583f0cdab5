"""Programs that call provider functions (invokes) run under preflight's mocks with realistic answers."""

from __future__ import annotations

from pathlib import Path

from preflight.record.program import record_program

PROGRAM = """
import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

provider = aws.Provider("scoped", region="eu-west-1", allowed_account_ids=["210987654321"])
identity = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider))
agent = gcp.storage.get_project_service_account(project="acme-logs")
pulumi.export("account", identity.account_id)
pulumi.export("agent", agent.email_address)
"""


def test_invokes_answer_from_the_provider_scope(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    recording = record_program(tmp_path, "invokes", "dev", {})
    assert recording.stack_outputs["account"] == "210987654321"
    agent = recording.stack_outputs["agent"]
    assert agent.startswith("service-") and agent.endswith("@gs-project-accounts.iam.gserviceaccount.com")
