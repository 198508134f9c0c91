"""uvicorn's HTTP protocol, answering the requests it refuses itself with posepipe's error body.

Some requests never reach the app: the HTTP parser (httptools) refuses them first, and
uvicorn answers a `text/plain` 400. The one a client meets in practice is a long URL:
httptools parses the request target with http_parser's URL parser, whose offsets are
16-bit, so a target of 64 KiB or more cannot be parsed at all. This protocol answers those
with the same `{"error": {"code", "message"}}` as every other refusal: 414 for a target
too long, 400 for a request that is not valid HTTP.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from posepipe.api.errors import error_response

# The longest request target httptools can parse (16-bit offsets in http_parser_url).
MAX_TARGET_BYTES = 0xFFFF


class JsonErrorsHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; its own refusals carry posepipe's JSON error body."""

    def send_400_response(self, msg: str) -> None:
        # `self.url` holds the request target read so far (uvicorn's on_url appends to it).
        target = getattr(self, "url", b"")
        if len(target) > MAX_TARGET_BYTES:
            response = error_response(
                414, "uri_too_long",
                f"the request target is {len(target)} bytes; this server reads at most "
                f"{MAX_TARGET_BYTES}",
            )
        else:
            response = error_response(
                400, "bad_request", f"not a valid HTTP/1.1 request ({msg.rstrip('.')})"
            )
        head = [f"HTTP/1.1 {response.status_code} {_REASONS[response.status_code]}\r\n".encode()]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(response.body)).encode() + b"\r\n",
            b"connection: close\r\n",
            b"\r\n",
        ]
        self.transport.write(b"".join(head) + bytes(response.body))
        self.transport.close()


_REASONS = {400: "Bad Request", 414: "URI Too Long"}
