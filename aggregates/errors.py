"""Domain errors: a machine-readable code and a message in Chinese and English."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused command. Nothing was recorded."""

    code = "domain_error"

    def __init__(self, message_zh: str, message_en: str, **details: Any) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": self.details,
        }


class SignatureRefused(DomainError):
    """A score signature the co-signature rules do not allow."""

    code = "signature_refused"
