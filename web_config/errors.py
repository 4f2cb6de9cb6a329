"""Error answers: JSON under ``/api/``, a plain page everywhere else; never a traceback."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

# Our own words for the errors a phone user is likely to meet.
MESSAGES: dict[int, str] = {
    400: "The request could not be understood.",
    401: "Enter the PIN first.",
    403: "That change was refused: it did not come from Spotter's own page.",
    404: "There is nothing here by that name.",
    405: "That address does not take this kind of request.",
    409: "Someone else changed this in the meantime.",
    413: "That was too big.",
    415: "Send the body as JSON, with Content-Type: application/json.",
    429: "Too many wrong PINs. Wait a minute and try again.",
    500: "Something went wrong inside Spotter. The workout itself is not affected.",
}


class ApiError(Exception):
    """A refused request, answered as ``{"error": ..., "fields": {...}}`` with ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: Mapping[str, str] | None = None,
        *,
        extra: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = dict(fields or {})
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def wants_json() -> bool:
    """Whether the current request is answered in JSON (the API) rather than HTML."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


# An error names what was wrong without sending back what was sent: a request of 256 KB
# once came back as an answer of 1.7 MB.
MAX_FIELDS_SHOWN = 20
MAX_EXCERPT = 120


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """``text`` cut to ``limit`` characters, saying so when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """At most ``MAX_FIELDS_SHOWN`` problems, each key and message an excerpt (how many
    more there were is ``more_problems``: every key here stays a field's name)."""
    return {
        excerpt(k): excerpt(v, 4 * MAX_EXCERPT) for k, v in list(fields.items())[:MAX_FIELDS_SHOWN]
    }


def more_problems(fields: Mapping[str, str]) -> int:
    """How many problems ``short_fields`` leaves out."""
    return max(0, len(fields) - MAX_FIELDS_SHOWN)


def json_error(
    status: int,
    message: str,
    fields: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Response:
    """The API's error body."""
    response = jsonify(
        {
            "error": excerpt(message, 4 * MAX_EXCERPT),
            "fields": short_fields(fields or {}),
            **({"more_problems": more} if (more := more_problems(fields or {})) else {}),
            **(extra or {}),
        }
    )
    response.status_code = status
    return response


def size_limit_message() -> str:
    """The size error, naming the limit in a unit people know."""
    from flask import current_app

    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    return f"That was too big: Spotter accepts at most {limit // 1024} KB at a time."


def _answer(status: int, message: str, headers: list[tuple[str, str]]) -> Response:
    message = excerpt(message, 4 * MAX_EXCERPT)
    if wants_json():
        response = json_error(status, message)
    else:
        response = Response(
            render_template("error.html", status=status, message=message), status=status
        )
    for name, value in headers:
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def _http_error(err: HTTPException) -> Response:
    status = err.code or 500
    if isinstance(err, RequestEntityTooLarge):
        message = size_limit_message()
    else:
        message = MESSAGES.get(status) or (err.description or "That did not work.")
    return _answer(status, message, err.get_headers())


def _api_error(err: ApiError) -> Response:
    if wants_json():
        response = json_error(err.status, err.message, err.fields, err.extra)
    else:
        response = _answer(err.status, err.message, [])
    response.headers.update(err.headers)
    return response


def init_app(app: Flask) -> None:
    """Install the error handlers on ``app``."""
    app.register_error_handler(HTTPException, _http_error)
    # Flask turns any other exception into an InternalServerError (and logs it), which the
    # first handler then answers without a traceback.
    app.register_error_handler(ApiError, _api_error)
