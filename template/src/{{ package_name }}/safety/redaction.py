"""PII redaction for stored audit content and log lines, on the guardrails' detectors
(``guardrails/pii.py``: e-mail, phone, Luhn-checked card, IBAN, national id, IP address).

Each finding becomes a numbered placeholder such as ``[EMAIL_1]``; nothing maps it back.
"""

from __future__ import annotations

from .pii import Redactor, find_pii


def redact_pii(text: str) -> str:
    """Return ``text`` with every PII finding replaced by its placeholder."""
    findings = find_pii(text)
    return Redactor().redact(text, findings) if findings else text
