"""Starlette's CORS middleware with its refusal in Russian.

A preflight request from a site that is not allowed gets the same 400 and headers as from
Starlette, with a Russian text instead of "Disallowed CORS origin".
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response

DISALLOWED_PREFIX = b"Disallowed CORS "
FAILURES = {
    "origin": "сайт, с которого он отправлен (Origin), не входит в число разрешённых",
    "method": "метод запроса не разрешён",
    "headers": "заголовки запроса не разрешены",
    "private-network": "доступ из частной сети не разрешён",
}


class RussianCORSMiddleware(CORSMiddleware):
    """`CORSMiddleware` whose refused preflight says why in Russian."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        body = bytes(response.body)
        if response.status_code != 400 or not body.startswith(DISALLOWED_PREFIX):
            return response
        failures = body.removeprefix(DISALLOWED_PREFIX).decode().split(", ")
        reasons = "; ".join(FAILURES.get(failure, failure) for failure in failures)
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in {"content-length", "content-type"}
        }
        return PlainTextResponse(
            f"Запрос с другого сайта не разрешён: {reasons}.", status_code=400, headers=headers
        )
