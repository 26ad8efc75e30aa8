"""The OpenAPI document's account of edits: which ETag an If-Match carries, and where from."""

from __future__ import annotations

from forum.api.common import Versioned
from forum.api.grading import grade_resource
from forum.extensions import IF_MATCH_DESCRIPTION

IF_MATCH_REF = "#/components/parameters/IF_MATCH"
# Operations whose tags name a version (common.Versioned) rather than hash a state: a
# client may not make one up, but the document shows their shape.
VERSIONED_TAGS = {"updateGrade": Versioned(grade_resource(12, 34), 2).tag}


def _conditional(item: dict) -> list[tuple[str, dict]]:
    return [(method, operation) for method, operation in item.items()
            if method in ("put", "patch", "delete")
            and any(parameter.get("$ref") == IF_MATCH_REF
                    for parameter in operation.get("parameters", []))]


def document(spec) -> None:
    """Give each edit's If-Match the example of its own tags' shape, and link the ETag
    of the GET of the same URL to it (OpenAPI links, which stateful clients follow)."""
    for operation_id, tag in VERSIONED_TAGS.items():
        spec.components.parameter(f"IF_MATCH_{operation_id}", "header", {
            "name": "If-Match", "required": True, "description": IF_MATCH_DESCRIPTION,
            "schema": {"type": "string", "example": f'"{tag}"'}})
    for item in spec._paths.values():
        read = item.get("get", {}).get("responses", {}).get("200")
        path_parameters = {parameter["name"]: f"$request.path.{parameter['name']}"
                           for parameter in item.get("parameters", [])
                           if parameter.get("in") == "path"}
        for _method, operation in _conditional(item):
            operation_id = operation["operationId"]
            if operation_id in VERSIONED_TAGS:
                operation["parameters"] = [
                    {"$ref": f"#/components/parameters/IF_MATCH_{operation_id}"}
                    if parameter.get("$ref") == IF_MATCH_REF else parameter
                    for parameter in operation["parameters"]]
            if read is not None and "ETag" in read.get("headers", {}):
                read.setdefault("links", {})[operation_id] = {
                    "operationId": operation_id,
                    "description": "Change what you read: its ETag is the If-Match",
                    "parameters": {**path_parameters,
                                   "header.If-Match": "$response.header.ETag"}}
