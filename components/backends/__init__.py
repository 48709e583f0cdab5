"""Log backends on Kubernetes: Grafana Loki (default) or Elasticsearch + Kibana through ECK (see interface.py)."""
