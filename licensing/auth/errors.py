"""Errors of the auth domain."""

from licensing.errors import DomainError, ValidationFailed


class LoginFailed(DomainError):
    """Wrong username or password, or a locked or disabled account: one message for all."""

    code = "login_failed"
    http_status = 401
    default_message = "用户名或密码错误，或账号暂时被锁定。"


class UnknownDepartment(ValidationFailed):
    """A department code that does not exist."""

    code = "unknown_department"
    default_message = "部门代码不存在。"


class RoleDepartmentMismatch(ValidationFailed):
    """A role given a department of the wrong kind, or none where one is needed."""

    code = "role_department_mismatch"
    default_message = "该角色与所选部门不匹配。"


class UsernameTaken(ValidationFailed):
    """The username is already used."""

    code = "username_taken"
    default_message = "用户名已存在。"


class UnknownUser(ValidationFailed):
    """A username that does not exist (administration commands)."""

    code = "unknown_user"
    default_message = "用户不存在。"
