"""Passwords: how they are hashed, and which are refused.

Hashing is Argon2id (``pwdlib``) with OWASP's second recommended setting, 19 MiB
of memory, two passes, one lane (m=19456, t=2, p=1): about 28 ms of one core per
hash on this project's machine, where the library's default (64 MiB, t=3, p=4)
took 190 ms on four lanes and 64 MiB each, so 40 log-ins at once needed 2.5 GiB.
A hash made with other parameters still verifies, and is replaced by one with
these at the account's next log-in.

The policy follows NIST SP 800-63B and OWASP ASVS 2.1: at least 12 characters
(at most 200), no composition rules; refused are passwords made only of digits,
passwords that contain the account's name, and common or guessable ones: those
on the 30,000 most common passwords list, or rated below 3 of 4 by ``zxcvbn``
(dictionary words, keyboard walks, repeats, sequences and dates, with the
account's names as extra words).
"""

from __future__ import annotations

import re
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from loop.errors import InvalidInput

TIME_COST, MEMORY_KIB, PARALLELISM = 2, 19456, 1
"""OWASP's argon2id setting of 19 MiB and two passes (Password Storage Cheat Sheet)."""
hasher = PasswordHash(
    (Argon2Hasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM),)
)

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_SCORE = 3
"""zxcvbn's 3: "safely unguessable", about 10^8 guesses or more."""


class WeakPassword(InvalidInput):
    code = "weak_password"


@cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(FREQUENCY_LISTS["passwords"])


def _plain(text: str) -> str:
    """Lower case, letters and digits only: how a name hides in a password."""
    return re.sub(r"[\W_]+", "", text.lower())


def check(password: str, *, username: str, display_name: str = "") -> None:
    """Refuse ``password`` for this account, saying why; return if it is fit."""
    names = [n for n in (_plain(username), _plain(display_name)) if len(n) >= 3]
    plain = _plain(password)
    if len(password) < MIN_LENGTH:
        _refuse(f"密码至少 {MIN_LENGTH} 位", f"the password needs {MIN_LENGTH} characters", "short")
    if len(password) > MAX_LENGTH:
        _refuse(f"密码最多 {MAX_LENGTH} 位", f"at most {MAX_LENGTH} characters", "long")
    if password.isdigit():
        _refuse("密码不能全是数字", "the password cannot be only digits", "numeric")
    if any(name in plain or (plain and plain in name) for name in names):
        _refuse("密码不能包含用户名或姓名", "the password cannot contain the user's name", "name")
    if password.lower() in _common():
        _refuse("这是常见密码，请换一个", "this is a common password; choose another", "common")
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]

    if zxcvbn(password[:100], user_inputs=[username, display_name])["score"] < MIN_SCORE:
        _refuse(
            "密码太容易猜到：请用几个不相关的词或更长的句子",
            "the password is easy to guess: use several unrelated words or a longer phrase",
            "guessable",
        )


def _refuse(zh: str, en: str, reason: str) -> None:
    raise WeakPassword(zh, en, field="password", reason=reason)
