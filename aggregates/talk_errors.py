"""The refusals of the talk menu's and talk orders' own rules (``aggregates.talk_menu``,
``aggregates.talk_order``)."""

from __future__ import annotations

from aggregates.errors import DomainError


class TalkRefused(DomainError):
    """A step the order's state does not allow."""

    code = "talk_refused"


class TalkClosed(TalkRefused):
    """Declined, cancelled or delivered and rated: nothing more can be asked of it."""

    code = "talk_closed"


class LinkRefused(TalkRefused):
    """A private link that is unknown, used already or expired."""

    code = "talk_link_refused"


class MenuItemNotOffered(TalkRefused):
    code = "talk_item_not_offered"


class TalkOrderNotFound(DomainError):
    """No such order, or none the caller may know of."""

    code = "talk_order_not_found"


class SpeakerUnknown(TalkRefused):
    """A speaker named in a pool or schedule who is neither a volunteer nor registered."""

    code = "talk_speaker_unknown"


class SpeakerRetired(TalkRefused):
    """A registered speaker who has retired, or a staff speaker whose account is
    disabled or holds no role; or a volunteer no longer serving."""

    code = "talk_speaker_retired"
