"""The audit log: one record per AI interaction and per admin action, in a hash chain.

Each record stores the hash of the one before it and its own hash over every field, so
editing, reordering or deleting a record breaks the chain, and ``audit verify`` names the
first broken record. Records are appended under a lock (an advisory lock on PostgreSQL, the
write lock on SQLite, taken before the head is read) in the same transaction as the request's
own rows, by the group-commit writer (``foundation/writer.py``) for chat requests: a request
whose record cannot be written fails.

Prompt and response content is kept as AUDIT_CONTENT says: ``none``; ``hash`` (a SHA-256 of
the content, to prove later what was said); ``redacted`` (PII masked); ``encrypted`` (AES-GCM
under the first AUDIT_ENCRYPTION_KEYS key, its id stored so keys can rotate). The chain covers
a digest of the stored content, not the content, so erasing content for a data subject leaves a
tombstone (``erased_at``) and a chain that still verifies. Retention purges the oldest records
and appends an ``audit.purge`` record holding the hash the remaining chain starts from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request
from sqlalchemy import CursorResult, Engine, delete, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..foundation.errors import AuditUnavailableError, ConfigError
from ..foundation.settings import AuditContent, Settings
from ..identity.access import AllTenants, Tenancy, TenantScope, tenant_session
from ..identity.principal import Principal
from ..safety.redaction import redact_pii
from .models import AuditRecord

GENESIS = "0" * 64
SYSTEM_TENANT = "system"
PURGE = "audit.purge"
# Every column the hash covers, in a fixed order (content and erased_at are not among them).
HASHED = (
    "created_at", "request_id", "tenant_id", "principal", "subject", "action", "route",
    "prompt_name", "prompt_version", "target", "prompt_tokens", "completion_tokens",
    "cost_usd", "decisions", "outcome", "content_mode", "content_digest", "content_key_id",
    "prev_hash",
)  # fmt: skip
_ADVISORY_LOCK = 0x5A5D17  # any constant shared by every replica
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Entry:
    """What happened; ``append`` turns it into a chained record."""

    request_id: str
    tenant_id: str
    principal: str
    action: str
    route: str
    outcome: str
    subject: str | None = None
    target: str | None = None
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    decisions: Mapping[str, Any] = field(default_factory=dict)
    content: Mapping[str, Any] | None = None


def admin_entry(request: Request, principal: Principal, action: str, **details: Any) -> Entry:
    """The audit entry of an admin action taken through the API."""
    return Entry(
        request_id=request.state.request_id,
        tenant_id=principal.tenant,
        principal=principal.actor,
        action=action,
        route=f"{request.method} {request.url.path}",
        outcome="ok",
        decisions=details,
    )


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(data: str) -> str:
    return hashlib.sha256(data.encode()).hexdigest()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def record_hash(record: AuditRecord | Mapping[str, Any]) -> str:
    """The hash of a stored record (a row or the values about to be inserted)."""
    if isinstance(record, Mapping):
        fields = {name: record[name] for name in HASHED}
    else:
        fields = {name: getattr(record, name) for name in HASHED}
    fields["created_at"] = _utc(fields["created_at"]).isoformat(timespec="microseconds")
    return sha256(canonical(fields))


class ContentPolicy:
    """How prompt and response content is stored (AUDIT_CONTENT, AUDIT_ENCRYPTION_KEYS)."""

    def __init__(self, mode: AuditContent, keys: Mapping[str, bytes] | None = None) -> None:
        keys = dict(keys or {})
        if mode == "encrypted" and not keys:
            raise ConfigError(
                "AUDIT_CONTENT=encrypted needs AUDIT_ENCRYPTION_KEYS (KEY_ID:BASE64_32_BYTES)"
            )
        self.mode = mode
        self._keys = keys

    @classmethod
    def from_settings(cls, settings: Settings) -> ContentPolicy:
        return cls(settings.audit_content, settings.audit_keys())

    def seal(
        self, content: Mapping[str, Any] | None, aad: str
    ) -> tuple[str | None, str | None, str | None]:
        """Return (stored content, digest, key id) for a record."""
        if content is None or self.mode == "none":
            return None, None, None
        if self.mode == "hash":
            return None, sha256(canonical(content)), None
        if self.mode == "redacted":
            stored = redact_pii(canonical(content))
            return stored, sha256(stored), None
        key_id, key = next(iter(self._keys.items()))
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, canonical(content).encode(), aad.encode())
        stored = base64.b64encode(nonce + sealed).decode()
        return stored, sha256(stored), key_id

    def open(self, record: AuditRecord) -> Any:
        """The record's content as stored (decrypted), or None when none is kept."""
        if record.content is None:
            return None
        if record.content_key_id is None:
            return json.loads(record.content)
        key = self._keys.get(record.content_key_id)
        if key is None:
            raise ConfigError(
                f"audit record {record.id} is encrypted with key id {record.content_key_id!r}, "
                "which AUDIT_ENCRYPTION_KEYS no longer holds"
            )
        raw = base64.b64decode(record.content)
        try:
            plain = AESGCM(key).decrypt(raw[:12], raw[12:], _aad(record).encode())
        except InvalidTag as exc:
            raise ConfigError(f"audit record {record.id}: content fails authentication") from exc
        return json.loads(plain)


def _aad(record: AuditRecord | Entry) -> str:
    """Ciphertext is bound to its record: moved to another record it fails to decrypt."""
    return f"{record.tenant_id}/{record.request_id}"


@contextmanager
def transaction(engine: Engine, tenant: str | Tenancy) -> Iterator[Session]:
    """A session of ``tenant`` (or the operator's, across tenants) that may ``append``: the
    chain is locked until it commits."""
    opened = tenant_session(engine, tenant) if isinstance(tenant, str) else tenant.session(engine)
    with _LOCK, opened as session:
        try:
            if engine.dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
            elif engine.dialect.name == "sqlite":
                # Take the write lock before reading the head: another process's append waits
                # instead of both chaining to the same head.
                session.execute(text("BEGIN IMMEDIATE"))
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise AuditUnavailableError(
                "The request could not be recorded in the audit log; it was not completed."
            ) from exc


def _head(session: Session) -> str:
    """The newest record's hash, whichever tenant it belongs to: the chain spans tenants. On
    PostgreSQL a tenant's session sees only its own records, so migration 0005's
    ``audit_chain_head()`` answers (as the owner, and nothing but the hash)."""
    if session.get_bind().dialect.name == "postgresql":
        head = session.scalar(text("SELECT audit_chain_head()"))
    else:
        last = select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
        head = session.scalars(last).first()
    return head or GENESIS


def _values(entry: Entry, policy: ContentPolicy, now: datetime, prev_hash: str) -> dict[str, Any]:
    """The row ``entry`` becomes, chained to ``prev_hash`` and hashed."""
    stored, digest, key_id = policy.seal(entry.content, _aad(entry))
    values: dict[str, Any] = {
        "created_at": _utc(now),
        "request_id": entry.request_id,
        "tenant_id": entry.tenant_id,
        "principal": entry.principal,
        "subject": entry.subject,
        "action": entry.action,
        "route": entry.route,
        "prompt_name": entry.prompt_name,
        "prompt_version": entry.prompt_version,
        "target": entry.target,
        "prompt_tokens": entry.prompt_tokens,
        "completion_tokens": entry.completion_tokens,
        "cost_usd": float(entry.cost_usd),
        "decisions": canonical(dict(entry.decisions)),
        "outcome": entry.outcome,
        "content_mode": policy.mode,
        "content": stored,
        "content_digest": digest,
        "content_key_id": key_id,
        "erased_at": None,
        "prev_hash": prev_hash,
    }
    values["hash"] = record_hash(values)
    return values


def append_many(
    session: Session,
    entries: Sequence[Entry],
    policy: ContentPolicy,
    now: datetime | None = None,
    head: str | None = None,
) -> list[dict[str, Any]]:
    """Chain ``entries`` in order after ``head`` (default: the current head) in one statement.

    Call inside ``transaction``: the chain stays locked until the batch commits, so concurrent
    writers (threads, processes, replicas) append one batch after another.
    """
    moment = now or datetime.now(UTC)
    head = _head(session) if head is None else head
    rows = []
    for entry in entries:
        row = _values(entry, policy, moment, head)
        head = row["hash"]
        rows.append(row)
    if rows:
        session.execute(insert(AuditRecord), rows)
    return rows


def append(
    session: Session, entry: Entry, policy: ContentPolicy, now: datetime | None = None
) -> AuditRecord:
    """Append ``entry`` to the chain; call inside ``transaction``."""
    record = AuditRecord(**_values(entry, policy, now or datetime.now(UTC), _head(session)))
    session.add(record)
    session.flush()
    return record


def record(engine: Engine, entry: Entry, policy: ContentPolicy) -> AuditRecord:
    """Append one record in its own transaction (admin actions without rows of their own)."""
    with transaction(engine, entry.tenant_id) as session:
        return append(session, entry, policy)


# ---------------------------------------------------------------------------------------------
# Verification, retention, erasure
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    checked: int
    head: str
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def _anchor(session: Session) -> str:
    """The hash the remaining chain starts from: the newest purge's, else the genesis hash."""
    decisions = session.scalars(
        select(AuditRecord.decisions)
        .where(AuditRecord.action == PURGE)
        .order_by(AuditRecord.id.desc())
        .limit(1)
    ).first()
    if decisions is None:
        return GENESIS
    anchor = json.loads(decisions).get("purged_through_hash", GENESIS)
    return str(anchor)


def _problem(row: AuditRecord, expected_prev: str) -> str | None:
    if row.prev_hash != expected_prev:
        return "prev_hash does not match the previous record (deleted or reordered)"
    if record_hash(row) != row.hash:
        return "hash does not match the record's fields (modified)"
    if row.content is not None and sha256(row.content) != row.content_digest:
        return "stored content does not match its digest (modified)"
    kept = row.content_mode in ("redacted", "encrypted") and row.content_digest is not None
    if kept and row.content is None and row.erased_at is None:
        return "content removed without an erasure tombstone"
    return None


def verify(engine: Engine) -> Verdict:
    """Walk the chain oldest first; stop at the first record that does not check out.

    The chain spans tenants: this is an operator's path (the owner role on PostgreSQL)."""
    with AllTenants("audit verify").session(engine) as session:
        expected = _anchor(session)
        checked = 0
        rows = session.scalars(
            select(AuditRecord).order_by(AuditRecord.id).execution_options(yield_per=500)
        )
        try:
            for row in rows:
                problem = _problem(row, expected)
                if problem:
                    return Verdict(checked, expected, row.id, problem)
                checked += 1
                expected = row.hash
        finally:
            rows.close()  # a server-side cursor on PostgreSQL
        return Verdict(checked, expected)


@dataclass(frozen=True)
class Purged:
    count: int
    cutoff: datetime


def purge(
    engine: Engine,
    retention_days: int,
    policy: ContentPolicy,
    *,
    actor: str,
    now: datetime | None = None,
) -> Purged:
    """Delete the records older than the retention period, oldest first, and record the purge."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    with transaction(engine, AllTenants("audit purge")) as session:
        anchor, last_id, count = _anchor(session), None, 0
        columns = (AuditRecord.id, AuditRecord.created_at, AuditRecord.hash)
        rows = session.execute(select(*columns).order_by(AuditRecord.id))
        for row_id, created_at, row_hash in rows:
            if _utc(created_at) >= cutoff:
                break
            anchor, last_id, count = row_hash, row_id, count + 1
        if last_id is not None:
            session.execute(delete(AuditRecord).where(AuditRecord.id <= last_id))
        details = {
            "purged": count,
            "purged_through_hash": anchor,
            "retention_days": retention_days,
            "cutoff": cutoff.isoformat(),
        }
        entry = Entry(
            request_id=f"purge-{now:%Y%m%dT%H%M%S}",
            tenant_id=SYSTEM_TENANT,
            principal=actor,
            action=PURGE,
            route="cli audit purge",
            outcome="ok",
            decisions=details,
        )
        append(session, entry, policy, now=now)
    return Purged(count, cutoff)


def erase_subject_content(session: Session, tenant_id: str, subject: str) -> int:
    """Drop the stored content of a subject's records, leaving tombstones; returns the count."""
    statement = (
        TenantScope(tenant_id)
        .update(AuditRecord)
        .where(AuditRecord.subject == subject, AuditRecord.content.is_not(None))
        .values(content=None, erased_at=datetime.now(UTC))
    )
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount)
