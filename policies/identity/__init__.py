"""Workload identity policies: backend IAM, IRSA trust, GKE Workload Identity."""
