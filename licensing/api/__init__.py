"""The JSON API v1 of the online channel: tokens, the endpoints, their schemas, OpenAPI.

Handlers here call the same services as the pages (``licensing.cases.services``,
``licensing.supervision.services``, ``licensing.enforcement.services``...): the API adds
authentication by token, request and response schemas and idempotent intake, never rules.
"""
