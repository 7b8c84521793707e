"""Errors of the applicants' sign-in through the province's unified identity platform."""

from licensing.errors import DomainError


class SignInFailed(DomainError):
    """The sign-in through the identity platform did not complete; nothing was changed."""

    code = "oidc_failed"
    http_status = 400
    default_message = "统一身份认证登录未能完成，请重新登录。"


class SignInDisabled(SignInFailed):
    """The sign-in is not configured on this installation."""

    code = "oidc_disabled"
    http_status = 404
    default_message = "本系统未开通统一身份认证登录，请使用账号密码登录。"


class ProviderUnavailable(SignInFailed):
    """The platform did not answer (down, timeout, bad gateway)."""

    code = "oidc_unavailable"
    http_status = 503
    default_message = "统一身份认证平台暂时无法访问，请稍后再试。您已填写的申请不受影响。"


class SignInDenied(SignInFailed):
    """The person refused the authorisation at the platform."""

    code = "oidc_denied"
    default_message = "您在统一身份认证平台取消了授权，未能登录。"


class BadState(SignInFailed):
    """The answer does not belong to a sign-in this browser started (state)."""

    code = "oidc_bad_state"
    default_message = "登录请求已失效或不是从本系统发起的，请从登录页重新登录。"


class InvalidIdToken(SignInFailed):
    """The ID token failed verification (signature, iss, aud, exp, nonce)."""

    code = "oidc_invalid_token"
    default_message = "统一身份认证平台返回的身份凭证无法验证，未能登录。"


class IdentityIncomplete(SignInFailed):
    """The verified claims lack the subject, the name or a valid ID number."""

    code = "oidc_identity_incomplete"
    default_message = "统一身份认证平台未提供经过核验的姓名和身份证号码，未能登录。"
