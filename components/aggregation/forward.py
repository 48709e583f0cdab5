"""What collectors authenticate to an aggregation tier with, the same for every tier: one user, its password in the
tier's credentials Secret, both handed to the tier's pods as these environment variables."""

from __future__ import annotations

FORWARD_USER = "collector"
FORWARD_USERNAME_ENV = "LOGMESH_FORWARD_USERNAME"
FORWARD_PASSWORD_ENV = "LOGMESH_FORWARD_PASSWORD"
