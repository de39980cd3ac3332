"""PII detection and redaction without a model: regexes, checksums and ``phonenumbers``.

Types: ``email``, ``phone`` (parsed and validated by ``phonenumbers``), ``card`` (13-19 digits
passing the Luhn check), ``iban`` (ISO 13616 mod-97 check), ``national_id`` (US SSN, UK
National Insurance number) and ``ip_address`` (IPv4 and IPv6, validated by ``ipaddress``).
Redaction replaces each finding with ``[TYPE_n]``; the mapping back to the original values is
kept only when the configuration allows reversible redaction.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers

PiiType = Literal["email", "phone", "card", "iban", "national_id", "ip_address"]
PII_TYPES: tuple[PiiType, ...] = ("email", "phone", "card", "iban", "national_id", "ip_address")

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
NINO = re.compile(r"\b(?![DFIQUV])[A-Z](?![DFIQUVO])[A-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


@dataclass(frozen=True)
class Finding:
    type: str
    start: int
    end: int
    value: str


def luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _ip(candidate: str) -> bool:
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


def find_pii(text: str, types: tuple[str, ...] = PII_TYPES, region: str = "US") -> list[Finding]:
    """Every PII finding of the given types, left to right, without overlaps."""
    found: list[Finding] = []

    def add(kind: str, pattern: re.Pattern[str], valid: object = None) -> None:
        if kind not in types:
            return
        for match in pattern.finditer(text):
            if valid is None or valid(match.group()):  # type: ignore[operator]
                found.append(Finding(kind, match.start(), match.end(), match.group()))

    add("email", EMAIL)
    add("iban", IBAN, iban_valid)
    add("card", CARD, lambda s: luhn(re.sub(r"\D", "", s)))
    add("national_id", SSN)
    add("national_id", NINO)
    add("ip_address", IPV4, _ip)
    add("ip_address", IPV6, lambda s: s.count(":") >= 2 and _ip(s))
    if "phone" in types:
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            found.append(Finding("phone", match.start, match.end, match.raw_string))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for finding in found:
        if not kept or finding.start >= kept[-1].end:
            kept.append(finding)
    return kept


@dataclass
class Redactor:
    """Replaces findings with numbered placeholders; the same value gets the same placeholder."""

    reversible: bool = False

    def __post_init__(self) -> None:
        self._placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def redact(self, text: str, findings: list[Finding]) -> str:
        pieces: list[str] = []
        last = 0
        for finding in findings:
            pieces.append(text[last : finding.start])
            pieces.append(self._placeholder(finding))
            last = finding.end
        pieces.append(text[last:])
        return "".join(pieces)

    def _placeholder(self, finding: Finding) -> str:
        if finding.value not in self._placeholders:
            count = self._counts.get(finding.type, 0) + 1
            self._counts[finding.type] = count
            self._placeholders[finding.value] = f"[{finding.type.upper()}_{count}]"
        return self._placeholders[finding.value]

    @property
    def mapping(self) -> dict[str, str]:
        """Placeholder -> original value; empty unless reversible redaction is allowed."""
        if not self.reversible:
            return {}
        return {placeholder: value for value, placeholder in self._placeholders.items()}

    def restore(self, text: str) -> str:
        for placeholder, value in self.mapping.items():
            text = text.replace(placeholder, value)
        return text
