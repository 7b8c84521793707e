"""The OpenAPI 3.1 document of ``/api/v1``, generated from the operations and their schemas.

Nothing here is written by hand twice: paths, methods and parameters come from the operations
declared with ``licensing.api.routing`` (and those of other domains recorded with
``document``); request and response bodies are the pydantic models' JSON Schema (draft
2020-12, which OpenAPI 3.1 uses as is); who may call an operation is read from the same
``@public`` / ``@roles_required`` declarations that ``enforce_access`` enforces.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from licensing.api.routing import OPERATIONS, Operation
from licensing.api.schemas import ErrorBody
from licensing.auth.access import PUBLIC_ATTR, ROLES_ATTR

REF_TEMPLATE = "#/components/schemas/{model}"
API_VERSION = "1.0.0"

STATUS_TEXT = {
    200: "成功", 201: "已创建", 204: "已完成，无返回内容",
    400: "请求格式有误（非 JSON、JSON 语法错误、缺少必需的请求头）",
    401: "未认证：缺少、无效或已过期的凭证",
    403: "无权执行：角色不允许，或不是自己的任务",
    404: "不存在，或属于其他部门而无权查看",
    409: "状态冲突：已被处理，或当前状态不允许该操作",
    422: "内容不符合接口定义或业务规则",
    429: "请求过于频繁：登录失败次数过多或查询过多，请按 Retry-After 等待后再试",
}

DESCRIPTION = """\
The JSON API of the notify-and-commit licensing system (行政许可告知承诺制) for the provincial
online service platform. The API calls the same services as the counter pages.

* Authentication: `POST /tokens` with HTTP Basic returns a bearer token; send it as
  `Authorization: Bearer <token>`. A request with an `Authorization` header is judged by it
  alone (never by a session cookie).
* Errors are always JSON `{"error": {"code", "message"}}`; `code` is stable, `message` is
  Simplified Chinese.
* Dates are `YYYY-MM-DD` (local dates of Asia/Shanghai); instants are ISO 8601 in UTC.
* `POST /applications` requires an `Idempotency-Key` header: the same key (per account) gets
  the same answer and creates nothing new.

See docs/api.md for the journey step by step.
"""


def _roles_of(app: Flask, operation: Operation) -> tuple[bool, list[str]]:
    view = app.view_functions.get(operation.endpoint)
    if view is None:
        raise LookupError(f"documented operation {operation.endpoint} is not routed")
    public = bool(getattr(view, PUBLIC_ATTR, False))
    roles = sorted(role.value for role in getattr(view, ROLES_ATTR, frozenset()))
    return public, roles


def _error_statuses(operation: Operation, public: bool) -> set[int]:
    statuses = set()
    if not public:
        statuses |= {401, 403}
    if operation.body is not None:
        statuses |= {400, 422}
    if operation.headers:
        statuses.add(400)
    if operation.query is not None:
        statuses.add(422)
    if operation.path_params:
        statuses.add(404)
    return statuses


def _collect_models() -> list[tuple[type[BaseModel], str]]:
    wanted: dict[tuple[type[BaseModel], str], None] = {(ErrorBody, "serialization"): None}
    for op in OPERATIONS:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        for model in op.responses.values():
            if model is not None:
                wanted[(model, "serialization")] = None
    return list(wanted)


def _query_parameters(model: type[BaseModel], components: dict[str, Any]) -> list[dict]:
    schema = model.model_json_schema(mode="validation", ref_template=REF_TEMPLATE)
    components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _operation_object(app: Flask, op: Operation, refs: dict, components: dict) -> dict:
    public, roles = _roles_of(app, op)
    if public != (op.auth == "none"):
        raise ValueError(f"{op.endpoint}: access declaration and documented auth disagree")
    description = op.description
    if roles:
        description += "\n\nRoles: " + ", ".join(roles) + "."
    obj: dict[str, Any] = {
        "operationId": op.endpoint.replace(".", "_"),
        "summary": op.summary,
        "description": description,
        "tags": [op.tag],
        "x-roles": roles if not public else ["public"],
    }
    obj["security"] = ([] if op.auth == "none"
                       else [{"basicAuth": []}] if op.auth == "basic" else [{"bearerAuth": []}])
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": param.schema(),
         **({"description": param.description} if param.description else {})}
        for name, param in op.path_params.items()
    ]
    parameters += [
        {"name": h.name, "in": "header", "required": h.required,
         "schema": {"type": "string", "pattern": h.pattern}, "description": h.description}
        for h in op.headers
    ]
    if op.query is not None:
        parameters += _query_parameters(op.query, components)
    if parameters:
        obj["parameters"] = parameters
    if op.body is not None:
        obj["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
    responses: dict[str, Any] = {}
    statuses = {**{s: None for s in _error_statuses(op, public)}, **op.responses}
    for status in sorted(statuses):
        model = op.responses.get(status)
        if model is None and status >= 400:
            model = ErrorBody
        entry: dict[str, Any] = {"description": STATUS_TEXT.get(status, str(status))}
        if model is not None:
            entry["content"] = {"application/json": {"schema": refs[(model, "serialization")]}}
        responses[str(status)] = entry
    obj["responses"] = responses
    return obj


def build_document(app: Flask) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document of every ``/api/v1`` operation of ``app``."""
    refs, top = models_json_schema(_collect_models(), ref_template=REF_TEMPLATE)
    components: dict[str, Any] = dict(top.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation_object(app, op, refs, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "告知承诺制行政许可 API", "version": API_VERSION,
                 "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": name} for name in dict.fromkeys(op.tag for op in OPERATIONS)],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A token from POST /tokens."},
                "basicAuth": {"type": "http", "scheme": "basic",
                              "description": "Username and password; only POST /tokens."},
            },
        },
    }


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document of ``app``, built once."""
    cached = app.extensions.get("licensing_openapi")
    if cached is None:
        cached = app.extensions["licensing_openapi"] = build_document(app)
    return cached
