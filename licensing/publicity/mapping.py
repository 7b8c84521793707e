"""The field mapping of publicity records: ``config/publicity/fields.yaml``, checked on load."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "config" / "publicity" / \
    "fields.yaml"

#: The facts a record carries (``licensing.publicity.services.record_facts``).
SOURCES = frozenset({
    "holder_name", "holder_kind", "enterprise_code", "legal_representative", "id_type",
    "id_number_masked", "document_name", "decision_number", "licence_category",
    "certificate_name", "licence_number", "scope", "decided_on", "valid_from", "valid_until",
    "authority_name", "authority_code", "status", "event", "note", "item_code", "item_name",
})


class MappingError(ValueError):
    """The mapping file is malformed (names the field and what is wrong)."""


@dataclass(frozen=True)
class FieldMap:
    """One field of the platform's record."""

    name: str
    label: str
    source: str | None = None
    constant: str | None = None
    default: str | None = None
    values: dict[str, str] = field(default_factory=dict)

    def value(self, facts: dict) -> str:
        """This field's value for a record's facts (text; empty when there is none)."""
        if self.constant is not None:
            return self.constant
        raw = facts.get(self.source)
        if raw in (None, ""):
            return self.default or ""
        text = str(raw)
        return self.values.get(text, text)


@dataclass(frozen=True)
class Mapping:
    """The record's fields, in order."""

    record_name: str
    fields: tuple[FieldMap, ...]

    @property
    def names(self) -> list[str]:
        """The field names, in order (the CSV header)."""
        return [f.name for f in self.fields]

    def apply(self, facts: dict) -> dict[str, str]:
        """The record in the platform's format."""
        return {f.name: f.value(facts) for f in self.fields}


def parse_mapping(data: dict) -> Mapping:
    """Check and build a mapping from the file's data; raise ``MappingError``."""
    if not isinstance(data, dict) or data.get("format_version") != 1:
        raise MappingError("format_version must be 1")
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise MappingError("fields must be a non-empty list")
    fields, seen = [], set()
    for index, raw in enumerate(raw_fields):
        where = f"fields[{index}]"
        if not isinstance(raw, dict) or not raw.get("name") or not raw.get("label"):
            raise MappingError(f"{where}: name and label are required")
        name = str(raw["name"])
        if name in seen:
            raise MappingError(f"{where}: field {name} appears twice")
        seen.add(name)
        source, constant = raw.get("source"), raw.get("constant")
        if (source is None) == (constant is None):
            raise MappingError(f"{where} ({name}): give exactly one of source and constant")
        if source is not None and source not in SOURCES:
            raise MappingError(f"{where} ({name}): unknown source {source!r}")
        values = raw.get("values") or {}
        if not isinstance(values, dict):
            raise MappingError(f"{where} ({name}): values must be a mapping")
        fields.append(FieldMap(
            name=name, label=str(raw["label"]), source=source,
            constant=None if constant is None else str(constant),
            default=None if raw.get("default") is None else str(raw["default"]),
            values={str(k): str(v) for k, v in values.items()}))
    return Mapping(record_name=str(data.get("record_name") or "行政许可信息"),
                   fields=tuple(fields))


@lru_cache(maxsize=4)
def _load(path: str) -> Mapping:
    with open(path, encoding="utf-8") as handle:
        return parse_mapping(yaml.safe_load(handle))


def load_mapping(path: Path | str | None = None) -> Mapping:
    """The mapping in force: ``PUBLICITY_FIELDS`` of the app's settings extra, or the default."""
    if path is None:
        from flask import current_app, has_app_context

        if has_app_context():
            settings = current_app.config.get("SETTINGS")
            path = (getattr(settings, "extra", {}) or {}).get("publicity_fields")
    return _load(str(path or DEFAULT_PATH))
