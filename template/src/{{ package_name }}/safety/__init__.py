"""Safety: guardrails on what enters a prompt and what comes back, and PII redaction."""
