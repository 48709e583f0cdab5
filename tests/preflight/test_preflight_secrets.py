"""Secret values from a program run never reach any report format, however a policy words its message."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.recorder import record_program
from preflight.secrets import REDACTED, SECRET_SIG, SIG_KEY, Scrubber, redact, secret_strings
from tests.preflight.conftest import SECRET_TAG


def test_recording_keeps_secrets_marked_on_the_wire(s3_project: Path) -> None:
    recording = record_program(s3_project, "outside", "dev", {})
    plain = next(r for r in recording.resources if r.name == "plain")
    assert plain.inputs["tags"]["owner-token"] == {SIG_KEY: SECRET_SIG, "value": SECRET_TAG}
    # RandomPassword.result is an additional secret output: the engine marks it, and so does the recorder,
    # so the bucket that uses it receives a secret, not a plain string.
    token = next(r for r in recording.resources if r.name == "token")
    password = token.outputs["result"]
    assert password[SIG_KEY] == SECRET_SIG
    site = next(r for r in recording.resources if r.name == "site")
    assert site.inputs["tags"]["owner-token"] == {SIG_KEY: SECRET_SIG, "value": password["value"]}


@pytest.mark.parametrize("format_", ["text", "markdown", "json", "sarif"])
def test_no_secret_in_any_format(cli, s3_project: Path, small_pack: Path, format_: str, tmp_path: Path) -> None:
    recording = record_program(s3_project, "outside", "dev", {})
    password = next(r for r in recording.resources if r.name == "token").outputs["result"]["value"]
    for preview in ([], ["--preview"]):
        output = tmp_path / f"report.{format_}"
        result = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", format_, "--output", output, *preview)
        assert result.code == 1
        text = output.read_text(encoding="utf-8") + result.out + result.err
        assert SECRET_TAG not in text and password not in text
    # The echoing policy did see the value: the report shows it redacted.
    assert "tag owner-token = [secret]" in text


def test_redact_and_scrub() -> None:
    login = {"username": "collector", "password": "hunter2-long", "hash": "$2a$10$abcdef"}
    wire = {"a": {SIG_KEY: SECRET_SIG, "value": login}, "b": [1, {SIG_KEY: SECRET_SIG, "value": 123456}], "c": "x"}
    assert redact(wire) == {"a": REDACTED, "b": [1, REDACTED], "c": "x"}
    # Plain words beside a credential stay readable in messages; the credentials do not.
    assert secret_strings([wire]) == {"hunter2-long", "$2a$10$abcdef", "123456"}
    scrub = Scrubber(secret_strings([wire]))
    assert scrub("collector got hunter2-long and 123456 and 12345") == "collector got [secret] and [secret] and 12345"
    assert Scrubber([])("unchanged") == "unchanged"
