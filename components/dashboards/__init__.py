"""Dashboards as code: Grafana dashboards and Kibana saved objects generated from data (pure, no Pulumi)."""
