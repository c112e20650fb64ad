"""Marshmallow fields every API schema uses the same way."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate


def text_field(max_length: int, **kwargs: Any) -> fields.String:
    """Optional text of at most ``max_length`` characters."""
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def required_text_field(max_length: int) -> fields.String:
    """Text that must be present and not empty, at most ``max_length`` characters."""
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length))
