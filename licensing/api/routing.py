"""Declaring an API operation once: its route, schemas and answers, for Flask and OpenAPI.

``ApiRoutes.operation`` registers the Flask rule on the blueprint and records the operation
(path, method, request body, query, path parameters, answers) for ``licensing.api.openapi``.
The wrapper it puts around the handler reads the request into the declared pydantic models
(400 for unreadable input, 422 for input that breaks the schema), checks path parameters
against their patterns (404 when they cannot name anything), and turns the handler's
``(status, model)`` into JSON. Access is still declared on the handler with ``@public`` or
``@roles_required`` and enforced centrally; the document reads the same declarations.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError

from licensing.api.errors import BadRequest, RequestInvalid
from licensing.api.schemas import MAX_INT
from licensing.errors import DomainError


@dataclass(frozen=True)
class PathParam:
    """A path parameter: its type, the pattern it must match, the error when it cannot match."""

    type: type = str
    pattern: str | None = None
    not_found: type[DomainError] | None = None
    description: str = ""

    def schema(self) -> dict[str, Any]:
        """The parameter's JSON Schema."""
        if self.type is int:
            return {"type": "integer", "minimum": 1, "maximum": MAX_INT}
        schema: dict[str, Any] = {"type": "string"}
        if self.pattern:
            schema["pattern"] = self.pattern
        return schema

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` (as routed by Flask) can name an object."""
        if self.type is int:
            return isinstance(value, int) and 1 <= value <= MAX_INT
        return self.pattern is None or re.fullmatch(self.pattern, str(value)) is not None


@dataclass(frozen=True)
class HeaderParam:
    """A request header the operation reads."""

    name: str
    required: bool
    pattern: str
    description: str


@dataclass
class Operation:
    """One documented operation of ``/api/v1``."""

    method: str
    path: str  # OpenAPI form: /applications/{application_id}
    endpoint: str
    summary: str
    description: str
    tag: str
    responses: dict[int, type[BaseModel] | None]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_params: dict[str, PathParam] = field(default_factory=dict)
    headers: tuple[HeaderParam, ...] = ()
    view: Callable | None = None
    auth: str = "bearer"  # "bearer", "basic" or "none" (public)


#: Every documented operation, in declaration order (this module's and other domains').
OPERATIONS: list[Operation] = []


def document(operation: Operation) -> Operation:
    """Record an operation served elsewhere (e.g. the catalogue's) in the document."""
    if not any(o.endpoint == operation.endpoint for o in OPERATIONS):
        OPERATIONS.append(operation)
    return operation


def _flask_rule(path: str, params: dict[str, PathParam]) -> str:
    def convert(match: re.Match) -> str:
        name = match.group(1)
        converter = "int:" if params.get(name, PathParam()).type is int else ""
        return f"<{converter}{name}>"

    return re.sub(r"\{([a-z_]+)\}", convert, path)


def _problems(exc: ValidationError, where: str) -> list[dict]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        location = [where, *error["loc"]]
        problems.append({"location": [str(p) if not isinstance(p, int) else p
                                      for p in location],
                         "type": error["type"], "message": error["msg"]})
    return problems


def read_body(model: type[BaseModel]) -> BaseModel:
    """Parse and validate the JSON body: 400 when it is not JSON, 422 when it breaks ``model``."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise BadRequest("请求体须为 JSON（Content-Type: application/json）。",
                         code="json_required")
    raw = request.get_data(cache=True)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise BadRequest("请求体不是有效的 JSON。", code="invalid_json") from None
        raise RequestInvalid(_problems(exc, "body")) from None


def read_query(model: type[BaseModel]) -> BaseModel:
    """Validate the query string against ``model`` (422 when it does not fit)."""
    values = {key: request.args.get(key) for key in request.args}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise RequestInvalid(_problems(exc, "query")) from None


def json_response(status: int, model: BaseModel | None, headers: dict | None = None) -> Response:
    """Answer ``model`` as JSON with ``status`` (no body for 204)."""
    if model is None:
        response = Response(status=status)
    else:
        response = jsonify(model.model_dump(mode="json"))
        response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ApiRoutes:
    """The operations of one blueprint."""

    def __init__(self, blueprint: Blueprint, prefix: str = "/api/v1") -> None:
        self.blueprint = blueprint
        self.prefix = prefix

    def operation(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        responses: dict[int, type[BaseModel] | None],
        tag: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        path_params: dict[str, PathParam] | None = None,
        headers: tuple[HeaderParam, ...] = (),
        auth: str = "bearer",
    ) -> Callable[[Callable], Callable]:
        """Register a handler for ``method path`` and document it.

        The handler receives the path parameters, then ``body=`` and ``query=`` (the validated
        models) when declared, and returns ``(status, model)`` or a ``Response``.
        """
        params = dict(path_params or {})

        def decorate(handler: Callable) -> Callable:
            @functools.wraps(handler)
            def view(**kwargs):
                for name, param in params.items():
                    if not param.accepts(kwargs.get(name)):
                        raise (param.not_found or DomainError)()
                if body is not None:
                    kwargs["body"] = read_body(body)
                if query is not None:
                    kwargs["query"] = read_query(query)
                result = handler(**kwargs)
                if isinstance(result, Response):
                    return result
                status, model = result
                return json_response(status, model)

            self.blueprint.add_url_rule(_flask_rule(path, params), endpoint=handler.__name__,
                                        view_func=view, methods=[method.upper()])
            OPERATIONS.append(Operation(
                method=method.lower(), path=path,
                endpoint=f"{self.blueprint.name}.{handler.__name__}",
                summary=summary, description=(handler.__doc__ or "").strip(), tag=tag,
                responses=responses, body=body, query=query, path_params=params,
                headers=headers, view=view, auth=auth))
            return view

        return decorate
