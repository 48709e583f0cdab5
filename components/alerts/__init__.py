"""Alert rules per cluster in each store's backend: the catalog of alerts, their rule bodies, the component."""
