"""A KMS key whose policy is written with aws.iam.get_policy_document, the usual idiom. Flaw: it grants kms:* to "*"."""

import pulumi
import pulumi_aws as aws

caller = aws.get_caller_identity()
account_root = {
    "sid": "EnableRoot",
    "actions": ["kms:*"],
    "resources": ["*"],
    "principals": [{"type": "AWS", "identifiers": [f"arn:aws:iam::{caller.account_id}:root"]}],
}
everyone = {"sid": "Everyone", "actions": ["kms:*"], "resources": ["*"], "principals": [{"type": "*", "identifiers": ["*"]}]}
open_policy = aws.iam.get_policy_document(statements=[account_root, everyone])
scoped_policy = aws.iam.get_policy_document(statements=[account_root])
open_key = aws.kms.Key("open", description="app data", enable_key_rotation=True, deletion_window_in_days=30, policy=open_policy.json)
scoped_key = aws.kms.Key("scoped", description="app data", enable_key_rotation=True, deletion_window_in_days=30, policy=scoped_policy.json)
pulumi.export("open_key_arn", open_key.arn)
pulumi.export("scoped_key_arn", scoped_key.arn)
