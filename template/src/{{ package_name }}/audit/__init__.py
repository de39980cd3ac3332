"""Audit: a tamper-evident record of every AI interaction and admin action."""
