"""Requests the API refuses before any route runs: out-of-range paging, paths no route
serves, methods a path does not take, URLs too long for the HTTP parser, bytes that are not
HTTP. Each answers the JSON error body, like every other refusal."""

from __future__ import annotations

import socket

import httpx
import pytest

from posepipe.api.protocol import MAX_TARGET_BYTES
from posepipe.api.routes.jobs import MAX_LIST_OFFSET
from tests.unit.conftest import ApiServer


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return str(body["error"]["message"])


def test_the_largest_offset_mongodb_is_given_answers_an_empty_page(api: httpx.Client) -> None:
    response = api.get("/api/jobs", params={"offset": MAX_LIST_OFFSET})
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "total": 0}


@pytest.mark.parametrize("offset", [MAX_LIST_OFFSET + 1, 2**63, 10**30, -1])
def test_an_offset_out_of_range_is_422_not_a_server_error(api: httpx.Client, offset: int) -> None:
    message = _error(api.get("/api/jobs", params={"offset": offset}), 422, "invalid_request")
    assert message.startswith("query.offset: ")


@pytest.mark.parametrize("path", ["/api/jobs/%2F", "/api/jobs/", "/api/jobs//"])
def test_a_path_no_route_serves_is_404_not_a_redirect(api: httpx.Client, path: str) -> None:
    response = api.get(path, follow_redirects=False)
    assert _error(response, 404, "not_found") == f"nothing is served at {path}"


def test_a_very_long_path_is_not_echoed_back_whole(api: httpx.Client) -> None:
    job_id = "a" * 60_000
    message = _error(api.get(f"/api/jobs/{job_id}"), 404, "job_not_found")
    assert message.endswith("... (60002 characters)") and len(message) < 300
    message = _error(api.get(f"/api/nothing/{job_id}"), 404, "not_found")
    assert message.endswith("... (60013 characters)") and len(message) < 300


def _raw_request(server: ApiServer, request: bytes) -> httpx.Response:
    """Send bytes as they are (httpx refuses URLs over 64 KiB) and read the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(line.split(": ", 1)) for line in header_lines]
    return httpx.Response(int(status_line.split()[1]), headers=headers, content=body)


def test_a_url_too_long_for_the_parser_is_a_json_414(
    api: httpx.Client, api_server: ApiServer
) -> None:
    target = "/api/jobs/" + "a" * 70_000
    request = f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    message = _error(_raw_request(api_server, request), 414, "uri_too_long")
    assert message == (
        f"the request target is 70010 bytes; this server reads at most {MAX_TARGET_BYTES}"
    )
    # Just under the parser's limit, the app answers as for any unknown id.
    fits = "a" * (MAX_TARGET_BYTES - len("/api/jobs/"))
    _error(api.get(f"/api/jobs/{fits}"), 404, "job_not_found")


def test_bytes_that_are_not_http_get_a_json_400(api_server: ApiServer) -> None:
    request = b"GET /api/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"
    response = _raw_request(api_server, request)
    message = _error(response, 400, "bad_request")
    assert message == "not a valid HTTP/1.1 request (Invalid HTTP request received)"
    assert response.headers["connection"] == "close"


def test_a_method_a_path_does_not_take_names_every_allowed_method(api: httpx.Client) -> None:
    response = api.request("OPTIONS", "/api/jobs/abc")
    message = _error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "DELETE, GET"
    assert message == "OPTIONS is not allowed on /api/jobs/abc; use DELETE or GET"
    response = api.put("/api/jobs")
    _error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"
