"""Monitoring policies: a collector in every cluster and an ingestion-gap alert."""
