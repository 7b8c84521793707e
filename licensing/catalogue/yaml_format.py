"""The catalogue file format (docs/catalogue-format.md): reading with line numbers, writing.

Reading composes the YAML node tree (``yaml.compose``), which keeps where every key and value
starts, and converts it to plain data while remembering the line of every path. Every problem
of the whole file is then reported at once, each with its line, in Chinese. No database access
here: the importer adds what needs one (department codes, validity dates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from licensing.catalogue.content import (
    CODE_RE,
    MAX_LIMIT_DAYS,
    MaterialContent,
    Path,
    VersionContent,
    content_problems,
)
from licensing.catalogue.models import (
    PUBLIC_INTEREST_VERIFICATION_DAYS,
    STANDARD_VERIFICATION_DAYS,
    ApplicantKind,
    CommitmentMode,
    Exclusion,
    MovedCheck,
    Track,
    VerificationMethod,
    VerificationRule,
)

FORMAT_VERSION = 1
MAX_FILE_BYTES = 5 * 1024 * 1024

TOP_KEYS = ("format_version", "items")
ITEM_KEYS = (
    "code", "name", "legal_basis", "approval_department", "supervisory_department",
    "applicant_kinds", "tracks", "statutory_limit_days", "promised_limit_days", "verification",
    "supervision_measures", "commitment_conditions", "commitment_content",
    "breach_consequences", "exclusions", "letter_template", "licence_validity_years",
    "materials", "qualification_reasons", "list_approval_document", "letter_template_source",
)
REQUIRED_ITEM_KEYS = ("code", "name", "approval_department", "supervisory_department",
                      "applicant_kinds", "tracks", "statutory_limit_days",
                      "promised_limit_days", "materials")
VERIFICATION_KEYS = ("rule", "working_days", "basis", "method", "checklist", "moved_checks")
MATERIAL_KEYS = ("code", "name", "required_general", "modes", "supplement_days",
                 "paper_at_counter")
ITEM_TEXT_KEYS = ("legal_basis", "supervision_measures", "commitment_conditions",
                  "commitment_content", "breach_consequences", "letter_template",
                  "qualification_reasons", "list_approval_document", "letter_template_source")


@dataclass(frozen=True)
class FileProblem:
    """A problem at a line of the file."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.line} 行：{self.message}"


class CatalogueFileError(Exception):
    """The file cannot be imported; ``problems`` lists every problem, in line order."""

    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class ParsedItem:
    """One item of the file, its content and the lines of its parts."""

    code: str
    content: VersionContent
    index: int
    lines: dict[Path, int] = field(repr=False, default_factory=dict)
    #: False when the item has problems of its own (it must not be imported).
    valid: bool = True

    def content_path_given(self, path: Path) -> bool:
        """Whether the file wrote something at ``path`` (a missing field is reported already)."""
        return tuple(path) in self.lines

    def line_of(self, path: Path) -> int:
        """The line of ``path`` inside this item (or of its nearest enclosing part)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines[()]


# --- Reading ---------------------------------------------------------------------------------


class _AliasFound(Exception):
    def __init__(self, mark) -> None:
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """A safe loader that keeps dates as text and refuses aliases (no 'billion laughs')."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _AliasFound(self.peek_event().start_mark)
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Tree:
    """Plain data converted from the node tree, with the line and raw text of every path."""

    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.raw: dict[Path, str] = {}
        self.problems: list[FileProblem] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: Node, path: Path = ()) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self.problems.append(FileProblem(key_node.start_mark.line + 1,
                                                     "键必须是简单的文字。"))
                    continue
                key = key_node.value
                if key in result:
                    self.problems.append(FileProblem(key_node.start_mark.line + 1,
                                                     f"字段“{key}”重复。"))
                    continue
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = self.convert(value_node, (*path, key))
            return result
        if isinstance(node, SequenceNode):
            return [self.convert(child, (*path, i)) for i, child in enumerate(node.value)]
        self.raw[path] = node.value
        try:
            return self._constructor.construct_object(node)
        except yaml.YAMLError:
            self.problems.append(FileProblem(node.start_mark.line + 1,
                                             f"无法识别的值“{node.value}”（标签 {node.tag}）。"))
            return None


def parse_catalogue(text: str | bytes) -> list[ParsedItem]:
    """Read and check a catalogue file; return its items or raise ``CatalogueFileError``.

    Every structural problem and every catalogue rule (``content_problems``) is checked for
    every item, and all problems are reported together, each with its line.
    """
    items, problems = read_catalogue(text)
    if problems:
        raise CatalogueFileError(problems)
    return items


def read_catalogue(text: str | bytes) -> tuple[list[ParsedItem], list[FileProblem]]:
    """Read a catalogue file as far as possible: the items found, and every problem.

    Items with problems are returned too (``ParsedItem.valid`` is false), so that a caller
    can add its own checks (department codes, dates) and report everything at once.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            return [], [FileProblem(1, "文件过大（上限 5 MB）。")]
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [FileProblem(1, "文件不是 UTF-8 编码。")]
    if len(text) > MAX_FILE_BYTES:
        return [], [FileProblem(1, "文件过大（上限 5 MB）。")]
    try:
        root = yaml.compose(text, Loader=_Loader)
    except _AliasFound as exc:
        return [], [FileProblem(exc.mark.line + 1, "不支持 YAML 别名（*），请写出完整内容。")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return [], [FileProblem(
            line, f"YAML 语法错误（请检查缩进、冒号、引号和括号）：{exc.problem}")]
    except yaml.YAMLError as exc:
        return [], [FileProblem(1, f"YAML 语法错误：{exc}")]
    if root is None:
        return [], [FileProblem(1, "文件为空。")]
    tree = _Tree()
    data = tree.convert(root)
    reader = _Reader(tree)
    items = reader.read(data)
    problems = sorted(tree.problems + reader.problems, key=lambda p: p.line)
    return items, problems


class _Reader:
    """Checks the plain data against the format and builds ``VersionContent`` per item."""

    def __init__(self, tree: _Tree) -> None:
        self.tree = tree
        self.problems: list[FileProblem] = []
        #: Paths (inside the file) that had a structural problem: rules about them are moot.
        self.broken: set[Path] = set()

    def problem(self, path: Path, message: str) -> None:
        path = tuple(path)
        self.broken.add(path)
        probe = path
        while probe and probe not in self.tree.lines:
            probe = probe[:-1]
        self.problems.append(FileProblem(self.tree.lines.get(probe, 1), message))

    def _moot(self, item_path: Path, problem_path: Path) -> bool:
        """Whether a rule's problem follows from a structural problem of the same part."""
        depth = 2 if problem_path and problem_path[0] in ("materials", "verification") else 1
        part = (*item_path, *problem_path[:depth])
        return any(broken[:len(part)] == part or part[:len(broken)] == broken
                   for broken in self.broken if len(broken) > len(item_path))

    def read(self, data: Any) -> list[ParsedItem]:
        if not isinstance(data, dict):
            self.problem((), "文件的顶层必须是包含 format_version 和 items 的映射。")
            return []
        self._unknown(data, TOP_KEYS, (), "文件顶层")
        if data.get("format_version") != FORMAT_VERSION:
            self.problem(("format_version",) if "format_version" in data else (),
                         f"format_version 必须为 {FORMAT_VERSION}。")
        raw_items = data.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            self.problem(("items",) if "items" in data else (), "items 必须是非空的事项列表。")
            return []
        items, codes = [], {}
        for index, raw in enumerate(raw_items):
            path = ("items", index)
            item = self._item(raw, path, index)
            if item is None:
                continue
            items.append(item)
            if not item.code:
                continue
            if item.code in codes:
                self.problem((*path, "code"), f"事项编码“{item.code}”重复（第 {codes[item.code]} "
                                              "行已出现）。")
                item.valid = False
                continue
            codes[item.code] = self.tree.lines[(*path, "code")]
        return items

    # -- helpers --

    def _unknown(self, data: dict, allowed, path: Path, where: str) -> None:
        for key in data:
            if key not in allowed:
                self.problem((*path, key),
                             f"{where}有未知字段“{key}”（可用：{'、'.join(allowed)}）。")

    def _text(self, data: dict, key: str, path: Path, *, required: bool = False) -> str:
        at = (*path, key)
        if key not in data or data[key] is None:
            if required:
                self.problem(path, f"缺少必填字段 {key}。")
            return ""
        value = data[key]
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float) and at in self.tree.raw:
            return self.tree.raw[at]  # e.g. a code written as 001: keep the text as written
        self.problem(at, f"{key} 必须是文字。")
        return ""

    def _int(self, data: dict, key: str, path: Path, *, required: bool = False,
             default: int | None = None) -> int | None:
        if key not in data or data[key] is None:
            if required:
                self.problem(path, f"缺少必填字段 {key}。")
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem((*path, key), f"{key} 必须是整数（工作日数）。")
            return default
        return value

    def _bool(self, data: dict, key: str, path: Path, default: bool) -> bool:
        if key not in data or data[key] is None:
            return default
        value = data[key]
        if not isinstance(value, bool):
            self.problem((*path, key), f"{key} 必须是 true 或 false。")
            return default
        return value

    def _enum_list(self, data: dict, key: str, enum_cls, path: Path, *,
                   required: bool = False) -> tuple:
        at = (*path, key)
        if key not in data or data[key] is None:
            if required:
                self.problem(path, f"缺少必填字段 {key}。")
            return ()
        value = data[key]
        if not isinstance(value, list):
            self.problem(at, f"{key} 必须是列表，例如 [{next(iter(enum_cls)).value}]。")
            return ()
        result = []
        for i, member in enumerate(value):
            converted = self._member(member, enum_cls, (*at, i), key)
            if converted is not None:
                if converted in result:
                    self.problem((*at, i), f"{key} 中“{converted.value}”重复。")
                result.append(converted)
        return tuple(result)

    def _enum(self, data: dict, key: str, enum_cls, path: Path, *, default=None):
        if key not in data or data[key] is None:
            if default is None:
                self.problem(path, f"缺少必填字段 {key}。")
            return default
        return self._member(data[key], enum_cls, (*path, key), key) or default

    def _member(self, value: Any, enum_cls, at: Path, key: str):
        try:
            return enum_cls(value)
        except ValueError:
            allowed = "、".join(m.value for m in enum_cls)
            self.problem(at, f"{key} 的值“{value}”无效（可选：{allowed}）。")
            return None

    def _str_list(self, data: dict, key: str, path: Path) -> tuple[str, ...]:
        if key not in data or data[key] is None:
            return ()
        value = data[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem((*path, key), f"{key} 必须是文字的列表。")
            return ()
        return tuple(value)

    # -- items --

    def _item(self, raw: Any, path: Path, index: int) -> ParsedItem | None:
        if not isinstance(raw, dict):
            self.problem(path, "每个事项必须是一个映射（code、name……）。")
            return None
        before = len(self.problems)
        self._unknown(raw, ITEM_KEYS, path, "事项")
        missing = [key for key in REQUIRED_ITEM_KEYS if raw.get(key) is None]
        if missing:
            self.problem(path, f"事项缺少必填字段：{'、'.join(missing)}。")
            self.broken.update((*path, key) for key in missing)
            self.broken.discard(path)
        code = self._text(raw, "code", path).strip()
        if code and not CODE_RE.match(code):
            self.problem((*path, "code"), f"事项编码“{code}”无效：只能用字母、数字、下划线、点和"
                                          "连字符，最长 32 位。")
        name = self._text(raw, "name", path)
        approval = self._text(raw, "approval_department", path)
        supervisory = self._text(raw, "supervisory_department", path)
        texts = {key: self._text(raw, key, path) for key in ITEM_TEXT_KEYS}
        kinds = self._enum_list(raw, "applicant_kinds", ApplicantKind, path)
        tracks = self._enum_list(raw, "tracks", Track, path)
        # A broken statutory limit must not make the promised limit look wrong too.
        statutory = self._int(raw, "statutory_limit_days", path, default=MAX_LIMIT_DAYS)
        promised = self._int(raw, "promised_limit_days", path, default=0)
        exclusions = self._enum_list(raw, "exclusions", Exclusion, path)
        validity = self._int(raw, "licence_validity_years", path)
        if validity is not None and not 0 < validity <= 30:
            self.problem((*path, "licence_validity_years"), "许可有效期应为 1–30 年。")
            validity = None
        verification = self._verification(raw, path)
        materials = self._materials(raw, path)
        content = VersionContent(
            name=name, approval_department=approval.strip(),
            supervisory_department=supervisory.strip(), applicant_kinds=kinds, tracks=tracks,
            statutory_limit_days=statutory, promised_limit_days=promised,
            exclusions=exclusions, materials=materials, licence_validity_years=validity,
            **verification, **texts,
        )
        item = ParsedItem(code=code, content=content, index=index,
                          lines={k[2:]: v for k, v in self.tree.lines.items()
                                 if k[:2] == path},
                          valid=len(self.problems) == before)
        for problem in content_problems(content, complete=True):
            if self._moot(path, problem.path):
                continue
            item.valid = False
            self.problems.append(FileProblem(item.line_of(problem.path),
                                             f"事项“{code or index + 1}”：{problem.message}"))
        return item

    def _verification(self, raw: dict, path: Path) -> dict[str, Any]:
        at = (*path, "verification")
        data = raw.get("verification")
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.problem(at, "verification 必须是映射（rule、working_days……）。")
            return {}
        self._unknown(data, VERIFICATION_KEYS, at, "verification ")
        rule = self._enum(data, "rule", VerificationRule, at)
        defaults = {VerificationRule.standard: STANDARD_VERIFICATION_DAYS,
                    VerificationRule.public_interest: PUBLIC_INTEREST_VERIFICATION_DAYS}
        days = self._int(data, "working_days", at,
                         required=rule == VerificationRule.item_specific,
                         default=defaults.get(rule, STANDARD_VERIFICATION_DAYS))
        return {
            "verification_rule": rule or VerificationRule.standard,
            "verification_working_days": days,
            "verification_basis": self._text(data, "basis", at),
            "verification_method": self._enum(data, "method", VerificationMethod, at,
                                              default=VerificationMethod.on_site),
            "verification_checklist": self._str_list(data, "checklist", at),
            "moved_checks": self._enum_list(data, "moved_checks", MovedCheck, at),
        }

    def _materials(self, raw: dict, path: Path) -> tuple[MaterialContent, ...]:
        at = (*path, "materials")
        data = raw.get("materials")
        if data is None:
            return ()
        if not isinstance(data, list):
            self.problem(at, "materials 必须是材料列表。")
            return ()
        materials = []
        for i, entry in enumerate(data):
            where = (*at, i)
            if not isinstance(entry, dict):
                self.problem(where, "每项材料必须是一个映射（code、name……）。")
                continue
            self._unknown(entry, MATERIAL_KEYS, where, "材料")
            materials.append(MaterialContent(
                code=self._text(entry, "code", where, required=True).strip(),
                name=self._text(entry, "name", where, required=True).strip(),
                required_general=self._bool(entry, "required_general", where, True),
                modes=self._enum_list(entry, "modes", CommitmentMode, where),
                supplement_days=self._int(entry, "supplement_days", where),
                paper_at_counter=self._bool(entry, "paper_at_counter", where, False),
            ))
        return tuple(materials)


# --- Writing ---------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line texts as literal blocks, no aliases."""

    def ignore_aliases(self, data) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


class _Flow(list):
    """A short list of codes, written on one line: ``[general, commitment]``."""


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(data), flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)


def content_to_data(code: str, content: VersionContent) -> dict[str, Any]:
    """One item in the file's form (empty optional fields left out)."""
    values: list[tuple[str, Any]] = [
        ("code", code),
        ("name", content.name),
        ("legal_basis", content.legal_basis),
        ("approval_department", content.approval_department),
        ("supervisory_department", content.supervisory_department),
        ("applicant_kinds", _Flow([k.value for k in content.applicant_kinds])),
        ("tracks", _Flow([t.value for t in content.tracks])),
        ("statutory_limit_days", content.statutory_limit_days),
        ("promised_limit_days", content.promised_limit_days),
        ("licence_validity_years", content.licence_validity_years),
        ("verification", _drop_empty({
            "rule": content.verification_rule.value,
            "working_days": content.verification_working_days,
            "basis": content.verification_basis,
            "method": content.verification_method.value,
            "checklist": list(content.verification_checklist),
            "moved_checks": _Flow([m.value for m in content.moved_checks]),
        })),
        ("supervision_measures", content.supervision_measures),
        ("commitment_conditions", content.commitment_conditions),
        ("commitment_content", content.commitment_content),
        ("breach_consequences", content.breach_consequences),
        ("exclusions", _Flow([e.value for e in content.exclusions])),
        ("qualification_reasons", content.qualification_reasons),
        ("list_approval_document", content.list_approval_document),
        ("letter_template_source", content.letter_template_source),
        ("letter_template", content.letter_template),
        ("materials", [_material_data(m) for m in content.materials]),
    ]
    return _drop_empty(dict(values))


def _material_data(material: MaterialContent) -> dict[str, Any]:
    data: dict[str, Any] = {"code": material.code, "name": material.name,
                            "required_general": material.required_general,
                            "modes": _Flow([m.value for m in material.modes])}
    if material.supplement_days is not None:
        data["supplement_days"] = material.supplement_days
    data["paper_at_counter"] = material.paper_at_counter
    return data


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in ("", None) and v != []}


def dump_catalogue(items: list[tuple[str, VersionContent]],
                   header: Callable[[], str] | str | None = None) -> str:
    """Write items (code, content) as a catalogue file that ``parse_catalogue`` reads back."""
    document = {"format_version": FORMAT_VERSION,
                "items": [content_to_data(code, content) for code, content in items]}
    body = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=100, default_flow_style=False)
    text = header() if callable(header) else (header or "")
    return text + body
