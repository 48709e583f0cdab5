"""The data sources preflight computes offline from their inputs, by invoke token: pure functions of the wire
arguments that return the wire result, so a policy document built with the provider's function reaches the policies
exactly as the provider would render it. A document the provider would refuse raises PolicyDocumentError."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from preflight.record.aws_policy_document import AWS_POLICY_DOCUMENT_TOKEN, aws_policy_document
from preflight.record.gcp_iam_policy import GCP_IAM_POLICY_TOKEN, gcp_iam_policy
from preflight.record.terraform import PolicyDocumentError

POLICY_DOCUMENT_INVOKES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    AWS_POLICY_DOCUMENT_TOKEN: aws_policy_document,
    GCP_IAM_POLICY_TOKEN: gcp_iam_policy,
}

__all__ = ["POLICY_DOCUMENT_INVOKES", "PolicyDocumentError", "aws_policy_document", "gcp_iam_policy"]
