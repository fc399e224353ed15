"""Taking quoted history and signatures off a reply."""


def trim_reply(text: str) -> tuple[str, str]:
    """The new text of a reply, and what was taken off it."""
    return text.strip(), ""
