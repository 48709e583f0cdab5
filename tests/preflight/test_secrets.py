"""Secret values from a program run never reach any report format, however a policy words its message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from preflight.record.program import record_program
from preflight.record.project import load_project, load_stack_config
from preflight.record.recording import Recording
from preflight.secrets import REDACTED, SECRET_PLACEHOLDER, SECRET_SIG, SIG_KEY, Scrubber, redact, secret_strings
from tests.helpers.harness import PROJECT
from tests.preflight.conftest import SECRET_TAG, write_project


def test_recording_keeps_secrets_marked_on_the_wire(s3_project: Path) -> None:
    recording = record_program(s3_project, "outside", "dev", {})
    plain = next(r for r in recording.resources if r.name == "plain")
    assert plain.inputs["tags"]["owner-token"] == {SIG_KEY: SECRET_SIG, "value": SECRET_TAG}
    # RandomPassword.result is an additional secret output: the engine marks it, and so does the record stage,
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
    # Every secret value, whatever its length or shape, is scrubbed exactly: never a longer word that holds it.
    assert secret_strings([wire]) == {"collector", "hunter2-long", "$2a$10$abcdef", "123456"}
    scrub = Scrubber(secret_strings([wire]))
    assert scrub("collector got hunter2-long and 123456 and 12345") == "[secret] got [secret] and [secret] and 12345"
    assert scrub("fluent-collector and collectors and 1234567 stay") == "fluent-collector and collectors and 1234567 stay"
    assert Scrubber([])("unchanged") == "unchanged"


@pytest.mark.parametrize(
    ("secret_value", "message", "scrubbed"),
    [
        ("pw", "password pw, user pw.", "password [secret], user [secret]."),
        ("hunter", "login hunter: denied", "login [secret]: denied"),
        ("dev", "bucket acme-dev-logs in dev", "bucket acme-dev-logs in [secret]"),
        ("a", "a bucket named abc", "[secret] bucket named abc"),
        ("logs", "host logs.example.com and logs", "host logs.example.com and [secret]"),
    ],
)
def test_short_and_plain_word_secrets_are_scrubbed_exactly(secret_value: str, message: str, scrubbed: str) -> None:
    assert Scrubber(secret_strings([{SIG_KEY: SECRET_SIG, "value": secret_value}]))(message) == scrubbed


def test_the_offline_stand_in_never_reaches_a_report() -> None:
    assert redact({"password": SECRET_PLACEHOLDER, "url": f"https://u:{SECRET_PLACEHOLDER}@h"}) == {"password": REDACTED, "url": REDACTED}
    assert Scrubber([])(f"got {SECRET_PLACEHOLDER}") == "got [secret]"


# The real pack quotes one URL out of a collector config given as a secret: the URL carries a password.
SECRET_CONFIG_PROGRAM = '''\
import pulumi
import pulumi_kubernetes as k8s

CONFIG = """
loki.write "central" {
  endpoint {
    url = "http://collector:pw-9d8e7f6a@loki.logging.svc:3100/loki/api/v1/push"
  }
}
"""
k8s.helm.v3.Release("alloy", chart="alloy", namespace="collectors",
                    values={"alloy": {"configMap": {"content": pulumi.Output.secret(CONFIG)}}})
'''


@pytest.mark.parametrize("format_", ["text", "markdown", "json", "sarif"])
def test_a_piece_of_a_secret_quoted_by_a_policy_is_scrubbed(cli, tmp_path: Path, pack_dir: Path, format_: str) -> None:
    project = write_project(tmp_path / "secret-config", SECRET_CONFIG_PROGRAM)
    output = tmp_path / f"report.{format_}"
    result = cli("--project-dir", project, "--policy-pack", pack_dir, "--format", format_, "--output", output)
    text = output.read_text(encoding="utf-8") + result.out + result.err
    assert result.code == 1
    assert "pw-9d8e7f6a" not in text
    if format_ == "json":
        messages = [
            v["message"] for v in json.loads(output.read_text(encoding="utf-8"))["violations"] if v["policy"] == "collector-backend-tls"
        ]
        assert messages == ["Alloy endpoint [secret] is not https"]


def test_secret_documents_are_scrubbed_word_by_word() -> None:
    document = 'url = "http://u:pw-9d8e7f6a@host.example:3100/push"\nuser collector\n'
    scrub = Scrubber(secret_strings([{SIG_KEY: SECRET_SIG, "value": document}]))
    assert scrub("endpoint http://u:pw-9d8e7f6a@host.example:3100/push is not https") == "endpoint [secret] is not https"
    assert scrub("password pw-9d8e7f6a") == "password [secret]"
    assert scrub("collector and On stay readable") == "collector and On stay readable"


def test_secret_documents_keep_their_non_secret_names_readable() -> None:
    kubeconfig = (
        "clusters:\n- cluster:\n    server: https://eks-a.example.com\n  name: acme-dev-logs\n"
        "users:\n- user:\n    token: tok-1\n    client-key-data: LS0tS0VZ\n"
    )
    scrub = Scrubber(secret_strings([{SIG_KEY: SECRET_SIG, "value": kubeconfig}]))
    assert scrub("bucket acme-dev-logs on https://eks-a.example.com") == "bucket acme-dev-logs on https://eks-a.example.com"
    assert scrub("token tok-1, key LS0tS0VZ") == "token [secret], key [secret]"
    assert scrub(kubeconfig) == "[secret]"
    as_json = json.dumps({"auth": {"password": "pw"}, "bucket": "acme-dev-logs"})
    scrub = Scrubber(secret_strings([{SIG_KEY: SECRET_SIG, "value": as_json}]))
    assert scrub("bucket acme-dev-logs, password pw") == "bucket acme-dev-logs, password [secret]"


PLAIN_URL_CONFIG_PROGRAM = SECRET_CONFIG_PROGRAM.replace("collector:pw-9d8e7f6a@", "")


@pytest.mark.parametrize("format_", ["text", "markdown", "json", "sarif"])
def test_a_non_secret_setting_of_a_secret_document_stays_readable(cli, tmp_path: Path, pack_dir: Path, format_: str) -> None:
    project = write_project(tmp_path / "plain-url", PLAIN_URL_CONFIG_PROGRAM)
    output = tmp_path / f"report.{format_}"
    result = cli("--project-dir", project, "--policy-pack", pack_dir, "--format", format_, "--output", output)
    assert result.code == 1
    assert "http://loki.logging.svc:3100/loki/api/v1/push" in output.read_text(encoding="utf-8")


PLAIN_READ_PROGRAM = """\
import pulumi
import pulumi_aws as aws

name = pulumi.Config().get("bucket")  # a secure value read as a plain string: no secret Output
aws.s3.Bucket("site", bucket=name, acl="public-read", tags={"name": name})
"""
SECURE_STACK = """\
config:
  outside:bucket:
    secure: v1:c2VjcmV0
  outside:login:
    user: admin
    password:
      secure: v1:cGFzcw==
"""


@pytest.mark.parametrize("format_", ["text", "markdown", "json", "sarif"])
def test_a_secure_value_read_as_plain_text_never_shows_its_stand_in(cli, tmp_path: Path, pack_dir: Path, format_: str) -> None:
    project = write_project(tmp_path / "plain-read", PLAIN_READ_PROGRAM, stack_config=SECURE_STACK)
    output = tmp_path / f"report.{format_}"
    result = cli("--project-dir", project, "--policy-pack", pack_dir, "--format", format_, "--output", output, "--stack", "dev")
    text = output.read_text(encoding="utf-8") + result.out + result.err
    assert result.code == 1, text
    assert SECRET_PLACEHOLDER not in text
    assert REDACTED in output.read_text(encoding="utf-8")


def test_each_undecrypted_secret_is_a_stand_in(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path / "plain-read", PLAIN_READ_PROGRAM, stack_config=SECURE_STACK))
    config = load_stack_config(project, "dev")
    recording = record_program(project.main, project.name, "dev", config.values, config.secret_keys, stand_ins=config.stand_ins)
    secrets = [s for s in recording.stand_ins if s.kind == "secret"]
    assert [(s.kind, s.subject) for s in secrets] == [("secret", "outside:bucket"), ("secret", "outside:login.password")]
    assert all("Pulumi.dev.yaml" in s.detail for s in secrets)


TYPED_READ_PROGRAM = """\
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
tags = {"port": str(config.get_int("port")), "on": str(config.get_bool("on")), "doc": str(config.get_object("doc"))}
aws.s3.Bucket("typed", bucket="acme-typed", tags=tags)
"""
TYPED_STACK = """\
config:
  outside:port:
    secure: v1:OTA5Mw==
  outside:on:
    secure: v1:dHJ1ZQ==
  outside:doc:
    secure: v1:e30=
"""


def test_a_secret_read_by_type_gets_a_typed_stand_in(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path / "typed", TYPED_READ_PROGRAM, stack_config=TYPED_STACK))
    config = load_stack_config(project, "dev")
    recording = record_program(project.main, project.name, "dev", config.values, config.secret_keys, stand_ins=config.stand_ins)
    (bucket,) = recording.of_type("aws:s3/bucket:Bucket")
    assert bucket.inputs["tags"] == {"port": "1", "on": "False", "doc": "{}"}
    assert {s.subject: s.detail.rsplit("; ", 1)[-1] for s in recording.stand_ins if s.kind == "secret"} == {
        "outside:port": "read as int: the program saw 1",
        "outside:on": "read as bool: the program saw false",
        "outside:doc": "read as object: the program saw {}",
    }


def _logmesh_dev_with(directory: Path, extra_config: str) -> Recording:
    """The logmesh program recorded with its dev stack file plus `extra_config` lines, as preflight reads them."""
    shutil.copy(PROJECT.directory / "Pulumi.yaml", directory / "Pulumi.yaml")
    shutil.copy(PROJECT.main, directory / "__main__.py")
    (directory / "stacks").mkdir()
    stack_file = PROJECT.stack_file("dev").read_text(encoding="utf-8")
    (directory / "stacks" / "Pulumi.dev.yaml").write_text(stack_file + extra_config, encoding="utf-8")
    project = load_project(directory)
    config = load_stack_config(project, "dev")
    return record_program(project.main, project.name, "dev", config.values, config.secret_keys, stand_ins=config.stand_ins)


def test_logmesh_with_kubeconfigs_set_as_one_secret_runs_offline(tmp_path: Path) -> None:
    """`pulumi config set --secret logmesh:kubeconfigs '{"dev-eks": "..."}'`: one secure value whose text is JSON."""
    recording = _logmesh_dev_with(tmp_path, "  logmesh:kubeconfigs:\n    secure: v1:e30=\n")
    assert recording.of_type("logmesh:platform:LogPlatform")
    assert [s.detail.rsplit("; ", 1)[-1] for s in recording.stand_ins if s.kind == "secret"] == ["read as object: the program saw {}"]


NUMBER_PROGRAM = """\
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
days = config.require_secret_int("days")
replicas = config.get_int("replicas")
size = config.require_object("size")  # declared `type: integer` in Pulumi.yaml
aws.s3.Bucket("numbers", bucket="acme-numbers", tags={"replicas": str(replicas * 2), "size": str(size + 1), "days": days.apply(str)})
"""
NUMBER_STACK = """\
config:
  outside:days:
    secure: v1:MzA=
  outside:replicas:
    secure: v1:Mw==
  outside:size:
    secure: v1:NTA=
"""


def test_a_whole_key_secret_number_gets_a_typed_plausible_stand_in(cli, tmp_path: Path, small_pack: Path) -> None:
    """A secure number read by a typed getter, or by the object getter where Pulumi.yaml declares its type, is the
    smallest positive number (0 would be no plausible count, size or day) and each is listed as a stand-in."""
    project = write_project(tmp_path / "numbers", NUMBER_PROGRAM, stack_config=NUMBER_STACK)
    with (project / "Pulumi.yaml").open("a", encoding="utf-8") as pulumi_yaml:
        pulumi_yaml.write("config:\n  size:\n    type: integer\n")
    loaded = load_project(project)
    config = load_stack_config(loaded, "dev")
    recording = record_program(loaded.main, loaded.name, "dev", config.values, config.secret_keys, stand_ins=config.stand_ins)
    (bucket,) = recording.of_type("aws:s3/bucket:Bucket")
    assert redact(bucket.inputs["tags"]) == {"replicas": "2", "size": "2", "days": REDACTED}
    assert {s.subject: s.detail.rsplit("; ", 1)[-1] for s in recording.stand_ins if s.kind == "secret"} == {
        "outside:days": "read as int: the program saw 1",
        "outside:replicas": "read as int: the program saw 1",
        "outside:size": "declared `type: integer` in Pulumi.yaml: the program reads 1",
    }
    output = tmp_path / "report.json"
    result = cli("--project-dir", project, "--policy-pack", small_pack, "--format", "json", "--output", output)
    report = json.loads(output.read_text(encoding="utf-8"))
    assert result.code == 1, result.err
    assert {s["subject"] for s in report["stand_ins"] if s["kind"] == "secret"} == {"outside:days", "outside:replicas", "outside:size"}
    assert SECRET_PLACEHOLDER not in output.read_text(encoding="utf-8") + result.out + result.err


def test_logmesh_with_a_secret_number_runs_offline(tmp_path: Path) -> None:
    """`pulumi config set --secret logmesh:daily_volume_gb 50`: logmesh reads its number keys with the int getter."""
    recording = _logmesh_dev_with(tmp_path, "  logmesh:daily_volume_gb:\n    secure: v1:NTA=\n")
    assert recording.of_type("logmesh:platform:LogPlatform")
    assert [s.detail.rsplit("; ", 1)[-1] for s in recording.stand_ins if s.kind == "secret"] == ["read as int: the program saw 1"]
