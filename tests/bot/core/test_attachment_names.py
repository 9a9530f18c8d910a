"""The name a citizen's file keeps: the citizen's own, with the extension of its content."""

from __future__ import annotations

import pytest

from bot.core.attachments import named_as


@pytest.mark.parametrize(
    ("sent_as", "content_type", "shown_as"),
    [
        ("doc.pdf", "image/png", "doc.png"),
        ("Справка от 01.02", "application/pdf", "Справка от 01.02.pdf"),
        ("ФОТО.JPEG", "image/jpeg", "ФОТО.JPEG"),
        # A name that ends with a dot gets one dot before the extension, not two.
        ("фото.", "image/png", "фото.png"),
        ("скан . ", "application/pdf", "скан.pdf"),
    ],
)
def test_a_file_is_named_for_what_it_holds(sent_as: str, content_type: str, shown_as: str) -> None:
    assert named_as(sent_as, content_type) == shown_as
