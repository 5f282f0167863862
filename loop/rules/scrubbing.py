"""Keeping a resident's own contact details out of the text kept in clear.

A resident (or the officer taking his call) often writes his name and phone
into the description or the address too. Those fields go to the event log and
the read models in clear, while the name and phone themselves are kept apart,
encrypted under the resident's own key: so they are replaced in the text by
〔联系人〕 / 〔联系电话〕 before anything is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS = {"name": "〔联系人〕", "phone": "〔联系电话〕"}
"""What stands in the text for each contact field."""
SEPARATED = r"[\s\-.()（）]*"
"""What may stand between the characters of a value written out again (a phone
number written ``139 0443-5566``)."""


def scrubbed(text: str, contact: Mapping[str, str]) -> str:
    """``text`` with each of ``contact``'s values (``name``, ``phone``) replaced by
    its placeholder, also when written with spaces, dashes or dots between its
    characters; a value shorter than two characters is left alone."""
    for field, value in contact.items():
        placeholder = PLACEHOLDERS.get(field)
        kept = [c for c in value if not c.isspace()] if isinstance(value, str) else []
        if placeholder is None or len(kept) < 2:
            continue
        pattern = SEPARATED.join(re.escape(c) for c in kept)
        text = re.sub(pattern, placeholder, text)
    return text
