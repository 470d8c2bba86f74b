"""Password hashing with argon2id.

Parameters follow OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane): about 40 ms per
check on one core, so a burst of sign-ins cannot starve a small server. Hashes made with other
parameters still verify and are upgraded at the next sign-in.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gis.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def check_strength(password: str) -> None:
    """Refuse passwords too short or too long to be sensible.

    Raises
    ------
    InvalidInput
        With ``field="password"``.
    """
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"密码至少 {MIN_LENGTH} 个字符 (password must have at least {MIN_LENGTH} characters)",
            field="password",
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            f"密码最多 {MAX_LENGTH} 个字符 (password longer than {MAX_LENGTH})", field="password"
        )
    if password.strip() != password or len(set(password)) < 4:
        raise InvalidInput(
            "密码过于简单或首尾有空白 (password too simple or has surrounding spaces)",
            field="password",
        )


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (checked for strength first)."""
    check_strength(password)
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-0")


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; always spends the hashing time.

    An account without a password (``stored`` is None) never matches, but the comparison
    still runs against a dummy hash so timing does not tell which usernames exist.
    """
    if len(password) > MAX_LENGTH:
        return False
    try:
        if stored is None:
            _hasher.verify(_dummy_hash(), password + "\0")
            return False
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
