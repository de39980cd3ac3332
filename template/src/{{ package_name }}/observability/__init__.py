"""Observability: structured logs, metrics, traces, the request log and health checks."""
