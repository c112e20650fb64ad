"""E-mail: through SMTP when ``DINGHUO_SMTP_URL`` is set, otherwise written to the log."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import urlparse

from flask import current_app, has_app_context

log = logging.getLogger(__name__)
DEFAULT_SENDER = "no-reply@dinghuo.localhost"


def send_email(*, to: str, subject: str, body: str, smtp_url: str | None = None) -> None:
    """Send one plain-text e-mail; embedded mode logs it so links can be followed."""
    if smtp_url is None and has_app_context():
        smtp_url = current_app.config["SETTINGS"].smtp_url
    if not smtp_url:
        log.info("email to=%s subject=%s\n%s", to, subject, body, extra={"email_to": to})
        return
    parsed = urlparse(smtp_url)
    message = EmailMessage()
    message["From"] = parsed.username and f"{parsed.username}@{parsed.hostname}" or DEFAULT_SENDER
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if parsed.scheme == "smtps" else smtplib.SMTP
    with smtp_class(parsed.hostname or "127.0.0.1", parsed.port or 25, timeout=10) as smtp:
        if parsed.username and parsed.password:
            smtp.login(parsed.username, parsed.password)
        smtp.send_message(message)
