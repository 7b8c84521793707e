"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from licensing.errors import ValidationFailed

# Argon2id with the library's recommended parameters (RFC 9106, low-memory profile).
_hasher = PasswordHasher()


def use_cheap_hashing_for_tests() -> None:
    """Switch to the cheapest Argon2 parameters: for the test suite only, never in production.

    Hashes made with the real parameters still verify (Argon2 hashes carry their parameters).
    """
    global _hasher, _dummy_hash
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    _dummy_hash = None
MIN_LENGTH = 10

# The commonest passwords (and their obvious local variants) are refused whatever their length.
COMMON_PASSWORDS = frozenset(
    {
        "123456", "123456789", "12345678", "1234567890", "password", "password1",
        "password123", "qwerty", "qwerty123", "qwertyuiop", "111111", "000000", "abc123",
        "a123456", "1q2w3e4r", "1qaz2wsx", "iloveyou", "admin", "admin123", "admin@123",
        "administrator", "welcome", "welcome1", "p@ssw0rd", "passw0rd", "changeme",
        "letmein", "5201314", "woaini", "woaini1314", "zxcvbnm", "asdfghjkl", "aa123456",
        "abcd1234", "abcdefg", "147258369", "987654321", "1234qwer", "qwer1234",
        "password!", "p@ssword", "huawei@123", "root", "root123", "test1234", "12345678910",
    }
)


def validate_password(password: str) -> None:
    """Refuse a password that is too short or among the commonest ones."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"密码至少需要 {MIN_LENGTH} 个字符。", code="password_too_short")
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        raise ValidationFailed("该密码过于常见或过于简单，请换一个。", code="password_too_common")


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its hash, in constant time."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a stored hash uses outdated parameters."""
    return _hasher.check_needs_rehash(password_hash)


_dummy_hash: str | None = None


def verify_dummy(password: str) -> None:
    """Spend the time of one verification, for an unknown user or a locked account.

    The answer then takes as long as for a known user and does not tell them apart.
    """
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not-a-real-password-0xdeadbeef")
    verify_password(_dummy_hash, password)
