"""Kubernetes policies: network policies, TLS, backend auth and security, collector RBAC, credentials, non-root collectors."""
