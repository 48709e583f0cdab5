"""The credentials of both hops, the same for every tier. Collectors authenticate to a tier with one user, its
password in the tier's credentials Secret; the tier writes to its backend as the backend's collector user, from the
backend's credentials Secret. The tier's pods get each as these environment variables (secretKeyRef)."""

from __future__ import annotations

FORWARD_USER = "collector"
FORWARD_USERNAME_ENV = "LOGMESH_FORWARD_USERNAME"
FORWARD_PASSWORD_ENV = "LOGMESH_FORWARD_PASSWORD"
OUTPUT_USERNAME_ENV = "LOGMESH_OUTPUT_USERNAME"
OUTPUT_PASSWORD_ENV = "LOGMESH_OUTPUT_PASSWORD"
