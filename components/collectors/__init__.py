"""The collector in every cluster: Fluent Bit (default), Grafana Alloy (Loki only) or Filebeat through ECK (ELK only)."""
