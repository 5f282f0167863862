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


class AdmissionRefused(DomainError):
    """A volunteer's application, review, admission or status change the rules refuse."""

    code = "admission_refused"


class LedgerRefused(DomainError):
    """A Happiness Bank entry the ledger's rules refuse."""

    code = "ledger_refused"


class AlreadyDeposited(LedgerRefused):
    """Points for this incident were deposited before: one deposit per incident, ever."""

    code = "already_deposited"


class InsufficientPoints(LedgerRefused):
    """A redemption asks for more points than the balance holds."""

    code = "insufficient_points"


class StockRefused(DomainError):
    """A catalogue change or hand-out the item's stock or limits refuse."""

    code = "stock_refused"


class OutOfStock(StockRefused):
    code = "out_of_stock"


class RedemptionLimitReached(StockRefused):
    code = "redemption_limit_reached"


class OrganisationRefused(DomainError):
    """A change to the unit tree its structure refuses (a taken code, a cycle...)."""

    code = "organisation_refused"


class UnitNotFound(DomainError):
    code = "unit_not_found"


class AccountRefused(DomainError):
    """A change to a log-in account its history refuses (a role held already...)."""

    code = "account_refused"
