"""Telling people: in-app notifications (the bell) and e-mail."""

from dinghuo.platform.notifications.email import send_email

__all__ = ["send_email"]
