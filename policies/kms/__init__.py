"""Encryption key policies: AWS KMS and Cloud KMS."""
