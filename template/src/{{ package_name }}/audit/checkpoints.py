"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint names the newest record (its id and hash) at a moment and is signed with the
first AUDIT_CHAIN_KEYS key (HMAC-SHA256); each one also carries the previous checkpoint's
signature, so checkpoints cannot be dropped from the middle of the store or reordered unseen.
``audit checkpoint --to PATH``, run on a schedule, verifies the chain since the newest
checkpoint, appends a new one to PATH (a JSON-lines file, or one file per checkpoint when PATH
is a directory) and logs it. ``audit verify --checkpoints PATH`` then detects a rewritten
record (its hash differs from a checkpoint's), deleted newest records (the chain ends before
the newest checkpoint's record) and a forged or edited checkpoint (its signature fails).

Keep the store where the database's writers cannot rewrite it: an append-only volume, a
bucket with object lock, another account. Records removed before the first checkpoint, and
an attacker holding both the key and the store, are beyond what this detects.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..foundation.errors import AppError
from ..observability.logging import get_logger
from .trail import GENESIS, ChainKeys, Pin, Verdict, canonical, verify

log = get_logger(__name__)
PURPOSE = "audit-checkpoint"


class CheckpointError(AppError):
    """The checkpoint store cannot be read or written, or the chain may not be checkpointed."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at ``at``: record ``record_id`` had hash ``hash`` (0 and the start
    hash when the chain was empty). ``prev`` is the previous checkpoint's signature."""

    seq: int
    record_id: int
    hash: str
    at: str
    key_id: str
    prev: str
    signature: str = ""

    def signed_part(self) -> str:
        fields = asdict(self)
        del fields["signature"]
        return canonical(fields)

    def pin(self) -> Pin:
        return Pin(self.record_id, self.hash, f"checkpoint {self.seq}")

    @classmethod
    def parse(cls, raw: str, where: str) -> Checkpoint:
        try:
            fields: dict[str, Any] = json.loads(raw)
            checkpoint = cls(**fields)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"{where} is not a checkpoint (edited?)") from exc
        if not isinstance(checkpoint.seq, int) or not isinstance(checkpoint.record_id, int):
            raise CheckpointError(f"{where} is not a checkpoint (edited?)")
        return checkpoint


def sign(
    keys: ChainKeys, verdict: Verdict, previous: Checkpoint | None, now: datetime
) -> Checkpoint:
    """The checkpoint of ``verdict``'s head, following ``previous``."""
    unsigned = Checkpoint(
        seq=previous.seq + 1 if previous else 1,
        record_id=verdict.head_id or 0,
        hash=verdict.head,
        at=now.astimezone(UTC).isoformat(timespec="seconds"),
        key_id=keys.signing_id,
        prev=previous.signature if previous else GENESIS,
    )
    signature = keys.sign(PURPOSE, unsigned.signed_part())
    return Checkpoint(**{**asdict(unsigned), "signature": signature})


def problem(checkpoints: Sequence[Checkpoint], keys: ChainKeys) -> str | None:
    """What is wrong with a store's checkpoints (oldest first), or None: every signature must
    verify under a listed key, and each must follow the one before it."""
    previous: Checkpoint | None = None
    for checkpoint in checkpoints:
        label = f"checkpoint {checkpoint.seq}"
        if checkpoint.key_id not in keys:
            return (
                f"{label} is signed with key id {checkpoint.key_id!r}, "
                "which AUDIT_CHAIN_KEYS does not hold"
            )
        signed = checkpoint.signed_part()
        if not keys.matches(PURPOSE, signed, checkpoint.key_id, checkpoint.signature):
            return f"{label}: signature does not verify (forged or edited)"
        if previous is not None and (
            checkpoint.seq != previous.seq + 1 or checkpoint.prev != previous.signature
        ):
            return f"{label} does not follow checkpoint {previous.seq} (one removed or reordered)"
        if previous is not None and checkpoint.record_id < previous.record_id:
            return f"{label} pins an older record than checkpoint {previous.seq}"
        previous = checkpoint
    return None


class CheckpointStore:
    """Checkpoints at ``path``: lines of a JSON-lines file, or one ``NNNNNNNNNNNN.json`` file
    each when ``path`` is a directory. Only ever appended to."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[Checkpoint]:
        """Every checkpoint, oldest first ([] when the store does not exist yet)."""
        try:
            if self.path.is_dir():
                return [
                    Checkpoint.parse(file.read_text(), str(file))
                    for file in sorted(self.path.glob("*.json"))
                ]
            if not self.path.exists():
                return []
            lines = self.path.read_text().splitlines()
        except OSError as exc:
            raise CheckpointError(f"cannot read checkpoints at {self.path}: {exc}") from exc
        return [
            Checkpoint.parse(line, f"{self.path} line {number}")
            for number, line in enumerate(lines, 1)
            if line.strip()
        ]

    def append(self, checkpoint: Checkpoint) -> None:
        line = json.dumps(asdict(checkpoint), sort_keys=True)
        try:
            if self.path.is_dir():
                # "x": an existing checkpoint is never overwritten (two runs at once: one fails).
                with (self.path / f"{checkpoint.seq:012d}.json").open("x") as file:
                    file.write(line + "\n")
                    file.flush()
                    os.fsync(file.fileno())
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as file:
                file.write(line + "\n")
                file.flush()
                os.fsync(file.fileno())
        except OSError as exc:
            raise CheckpointError(f"cannot write a checkpoint to {self.path}: {exc}") from exc


def verify_anchored(engine: Engine, keys: ChainKeys, store: CheckpointStore) -> Verdict:
    """Verify the chain against every checkpoint in ``store`` (which must hold at least one)."""
    checkpoints = store.read()
    if not checkpoints:
        raise CheckpointError(f"no checkpoints at {store.path}")
    wrong = problem(checkpoints, keys)
    if wrong:
        return Verdict(0, GENESIS, problem=wrong)
    return verify(engine, keys, [checkpoint.pin() for checkpoint in checkpoints])


def take(
    engine: Engine, keys: ChainKeys, store: CheckpointStore, now: datetime | None = None
) -> Checkpoint:
    """Verify the chain since the newest checkpoint, then append and log a new checkpoint.

    A broken chain or checkpoint store is refused: signing it would anchor the damage."""
    existing = store.read()
    wrong = problem(existing, keys)
    if wrong:
        raise CheckpointError(f"refusing to checkpoint: {wrong}")
    newest = existing[-1] if existing else None
    pins = [newest.pin()] if newest else []
    verdict = verify(engine, keys, pins, since=newest.pin() if newest else None)
    if not verdict.ok:
        raise CheckpointError(
            f"refusing to checkpoint: audit chain broken at record {verdict.broken_id}: "
            f"{verdict.problem}"
        )
    checkpoint = sign(keys, verdict, newest, now or datetime.now(UTC))
    store.append(checkpoint)
    log.info("audit.checkpoint", **asdict(checkpoint))
    return checkpoint
