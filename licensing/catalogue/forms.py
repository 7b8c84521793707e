"""Forms of the catalogue's administration pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from licensing.auth.models import DepartmentKind
from licensing.auth.services import list_departments
from licensing.catalogue.content import MaterialContent, Problem, VersionContent
from licensing.catalogue.models import (
    ApplicantKind,
    CommitmentMode,
    Exclusion,
    MovedCheck,
    Track,
    VerificationMethod,
    VerificationRule,
)

#: Blank material rows offered under the existing ones, to add materials.
BLANK_MATERIAL_ROWS = 2


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes for a multiple choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(enum_cls) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in enum_cls.choices()]


def _department_choices(kind: DepartmentKind) -> list[SelectChoice]:
    return [SelectChoice(d.code, d.name) for d in list_departments() if d.kind == kind]


class MaterialForm(Form):
    """One material row (a sub-form: the CSRF token is the parent's)."""

    code = StringField("编码", validators=[Optional(), Length(max=32)])
    name = StringField("材料名称", validators=[Optional(), Length(max=200)])
    required_general = BooleanField("一般程序须提交", default=True)
    modes = MultiCheckboxField("承诺方式", choices=_choices(CommitmentMode))
    supplement_days = IntegerField("补齐期限（工作日）",
                                   validators=[Optional(), NumberRange(min=1, max=365)])
    paper_at_counter = BooleanField("窗口出示纸质原件")
    remove = BooleanField("删除此材料")

    @property
    def is_blank(self) -> bool:
        """An empty row (left for adding a material): ignored."""
        return not (self.code.data or "").strip() and not (self.name.data or "").strip()


class NewItemForm(FlaskForm):
    """The few facts needed to open an item's first draft."""

    code = StringField("事项编码", validators=[DataRequired("请填写事项编码。"), Length(max=32)])
    name = StringField("事项名称", validators=[DataRequired("请填写事项名称。"), Length(max=200)])
    approval_department = SelectField("行政审批实施部门")
    supervisory_department = SelectField("行业监管部门")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.approval_department.choices = _department_choices(DepartmentKind.approval)
        self.supervisory_department.choices = _department_choices(DepartmentKind.supervisory)

    def to_content(self) -> VersionContent:
        """A minimal first draft: general track only, to be completed on the edit page."""
        return VersionContent(name=self.name.data.strip(),
                              approval_department=self.approval_department.data,
                              supervisory_department=self.supervisory_department.data)


class VersionForm(FlaskForm):
    """Every field of a draft, and its materials."""

    row_version = HiddenField()
    change_note = StringField("本版修改说明", validators=[Optional(), Length(max=500)])
    name = StringField("事项名称", validators=[DataRequired("请填写事项名称。"), Length(max=200)])
    legal_basis = TextAreaField("设定依据")
    approval_department = SelectField("行政审批实施部门")
    supervisory_department = SelectField("行业监管部门")
    applicant_kinds = MultiCheckboxField("申请人类型", choices=_choices(ApplicantKind))
    tracks = MultiCheckboxField("办理程序", choices=_choices(Track))
    statutory_limit_days = IntegerField(
        "法定办结时限（工作日）", validators=[InputRequired("请填写法定办结时限。"),
                                   NumberRange(min=1, max=365)])
    promised_limit_days = IntegerField(
        "承诺办结时限（工作日）", validators=[InputRequired("请填写承诺办结时限。"),
                                   NumberRange(min=0, max=365)])
    verification_rule = SelectField("核查时限规则", choices=_choices(VerificationRule))
    verification_working_days = IntegerField(
        "核查时限（工作日）",
        validators=[InputRequired("请填写核查时限。"),
                    NumberRange(min=1, max=60, message="核查时限应为 1–60 个工作日。")])
    verification_basis = TextAreaField("更短核查时限的依据")
    verification_method = SelectField("核查方式", choices=_choices(VerificationMethod))
    verification_checklist = TextAreaField("核查要点（每行一条）", render_kw={"rows": 6})
    moved_checks = MultiCheckboxField("移至审批决定后的环节", choices=_choices(MovedCheck))
    supervision_measures = TextAreaField("事中事后监管措施")
    commitment_conditions = TextAreaField("承诺条件")
    commitment_content = TextAreaField("承诺内容")
    breach_consequences = TextAreaField("违反承诺的后果")
    exclusions = MultiCheckboxField("涉及的不得纳入情形（工作方案 二（一））",
                                    choices=_choices(Exclusion))
    letter_template = TextAreaField("告知承诺书文本", render_kw={"rows": 16})
    qualification_reasons = TextAreaField(
        "纳入告知承诺制的理由（风险可控、纠错成本低、不会产生严重危害后果）")
    list_approval_document = StringField("事项清单的批准文件")
    letter_template_source = StringField("告知承诺书所依据的省行业主管部门文本")
    materials = FieldList(FormField(MaterialForm))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.approval_department.choices = _department_choices(DepartmentKind.approval)
        self.supervisory_department.choices = _department_choices(DepartmentKind.supervisory)
        self._material_rows: list[int] = []

    def fill(self, content: VersionContent, row_version: int, change_note: str) -> None:
        """Show a stored draft (GET)."""
        self.row_version.data = str(row_version)
        self.change_note.data = change_note
        for name in ("name", "legal_basis", "approval_department", "supervisory_department",
                     "statutory_limit_days", "promised_limit_days", "verification_working_days",
                     "verification_basis", "supervision_measures", "commitment_conditions",
                     "commitment_content", "breach_consequences", "letter_template",
                     "qualification_reasons", "list_approval_document",
                     "letter_template_source"):
            getattr(self, name).data = getattr(content, name)
        for name in ("applicant_kinds", "tracks", "moved_checks", "exclusions"):
            getattr(self, name).data = [m.value for m in getattr(content, name)]
        self.verification_rule.data = content.verification_rule.value
        self.verification_method.data = content.verification_method.value
        self.verification_checklist.data = "\n".join(content.verification_checklist)
        for material in content.materials:
            self.materials.append_entry({
                "code": material.code, "name": material.name,
                "required_general": material.required_general,
                "modes": [m.value for m in material.modes],
                "supplement_days": material.supplement_days,
                "paper_at_counter": material.paper_at_counter,
            })
        self.add_blank_rows()

    def add_blank_rows(self) -> None:
        """Offer empty rows for new materials."""
        for _ in range(BLANK_MATERIAL_ROWS):
            self.materials.append_entry()

    def to_content(self) -> VersionContent:
        """The submitted draft as plain data (blank and removed material rows left out)."""
        self._material_rows = []
        materials = []
        for index, entry in enumerate(self.materials):
            sub = entry.form
            if sub.remove.data or sub.is_blank:
                continue
            self._material_rows.append(index)
            materials.append(MaterialContent(
                code=(sub.code.data or "").strip(), name=(sub.name.data or "").strip(),
                required_general=bool(sub.required_general.data),
                modes=tuple(sub.modes.data or ()), supplement_days=sub.supplement_days.data,
                paper_at_counter=bool(sub.paper_at_counter.data)))
        checklist = tuple(line.strip() for line in (self.verification_checklist.data or "")
                          .splitlines() if line.strip())
        return VersionContent(
            name=(self.name.data or "").strip(),
            legal_basis=self.legal_basis.data or "",
            approval_department=self.approval_department.data,
            supervisory_department=self.supervisory_department.data,
            applicant_kinds=tuple(self.applicant_kinds.data or ()),
            tracks=tuple(self.tracks.data or ()),
            statutory_limit_days=self.statutory_limit_days.data,
            promised_limit_days=self.promised_limit_days.data,
            verification_rule=self.verification_rule.data,
            verification_working_days=self.verification_working_days.data,
            verification_basis=self.verification_basis.data or "",
            verification_method=self.verification_method.data,
            verification_checklist=checklist,
            moved_checks=tuple(self.moved_checks.data or ()),
            supervision_measures=self.supervision_measures.data or "",
            commitment_conditions=self.commitment_conditions.data or "",
            commitment_content=self.commitment_content.data or "",
            breach_consequences=self.breach_consequences.data or "",
            exclusions=tuple(self.exclusions.data or ()),
            letter_template=self.letter_template.data or "",
            qualification_reasons=self.qualification_reasons.data or "",
            list_approval_document=self.list_approval_document.data or "",
            letter_template_source=self.letter_template_source.data or "",
            materials=tuple(materials),
        )

    def attach(self, problems: list[Problem]) -> list[str]:
        """Show each problem at its field; return those that belong to no single field."""
        general = []
        for problem in problems:
            field = self._field_for(problem.path)
            if field is None:
                general.append(problem.message)
            else:
                field.errors = [*field.errors, problem.message]
        return general

    def _field_for(self, path):
        if not path:
            return None
        if path[0] == "verification" and len(path) > 1:
            name = {"rule": "verification_rule", "working_days": "verification_working_days",
                    "basis": "verification_basis", "method": "verification_method",
                    "checklist": "verification_checklist",
                    "moved_checks": "moved_checks"}.get(path[1])
            return getattr(self, name) if name else None
        if path[0] == "materials":
            if len(path) < 3 or path[1] >= len(self._material_rows):
                return None
            sub = self.materials[self._material_rows[path[1]]].form
            return getattr(sub, path[2], None)
        return getattr(self, path[0], None) if path[0] in self._fields else None


class PublishForm(FlaskForm):
    """The day from which a draft governs new applications."""

    valid_from_on = DateField("生效日期", validators=[InputRequired("请选择生效日期。")])


class RetireForm(FlaskForm):
    """The day from which the item is off the list."""

    retired_on = DateField("停用日期（自该日起不再受理）",
                           validators=[InputRequired("请选择停用日期。")])
