from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

LIMIT = 2048


def test_a_request_id_is_generated_when_none_is_sent(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert len(first) == 32
    assert first != second


def test_a_well_formed_incoming_request_id_is_kept(client: TestClient) -> None:
    response = client.get("/healthz", headers={"x-request-id": "upstream-7f3a.b:1"})
    assert response.headers["x-request-id"] == "upstream-7f3a.b:1"


@pytest.mark.parametrize("bad", ["has spaces", "x" * 200, "<script>", "-leading-dash"])
def test_a_malformed_incoming_request_id_is_replaced(client: TestClient, bad: str) -> None:
    response = client.get("/healthz", headers={"x-request-id": bad})
    assert response.headers["x-request-id"] != bad
    assert len(response.headers["x-request-id"]) == 32


def test_error_responses_carry_the_request_id(client: TestClient) -> None:
    response = client.get("/missing", headers={"x-request-id": "req-404"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "req-404"


@pytest.fixture
def settings(settings: Any) -> Any:
    """This module's app takes request bodies of at most 2 KiB."""
    return settings.model_copy(update={"max_request_bytes": LIMIT})


def test_a_body_declared_larger_than_the_limit_is_a_413_before_it_is_read(
    client: TestClient,
) -> None:
    response = client.post("/v1/chat/completions", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "MAX_REQUEST_BYTES" in response.json()["error"]["message"]


def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b"x" * 1024

    response = client.put("/admin/budgets", content=chunks())  # no Content-Length
    assert response.status_code == 413
    assert "MAX_REQUEST_BYTES" in response.json()["detail"]


def test_a_body_within_the_limit_reaches_the_route(client: TestClient) -> None:
    body = b'{"model": "fast", "messages": []}'.ljust(LIMIT, b" ")
    response = client.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages"
