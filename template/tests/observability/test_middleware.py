from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


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
