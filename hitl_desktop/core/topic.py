"""What may be researched: the topic as it will be sent, or why it cannot be.

Its own module, apart from the run's data (`models`): the window checks the topic field from
its first frame, before the data classes are loaded.
"""

from __future__ import annotations

import unicodedata

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.text_safety import clean_text

MAX_TOPIC_CHARS = 8_000


def validate_topic(text: str) -> str:
    """The topic as it will be sent, or a UserFacingError saying why it cannot be."""
    topic = clean_text(text).strip()  # invalid code points and stray controls never go further
    if not any(unicodedata.category(char)[0] not in "CZ" for char in topic):
        # Empty, or only invisible characters (zero-width spaces, controls): nothing to research.
        raise UserFacingError("Type a topic to research.", kind=ErrorKind.BAD_INPUT)
    if len(topic) > MAX_TOPIC_CHARS:
        raise UserFacingError(
            f"The topic is {len(topic):,} characters long; the limit is {MAX_TOPIC_CHARS:,}.",
            "Shorten it to the question you want answered.",
            ErrorKind.BAD_INPUT,
        )
    return topic
