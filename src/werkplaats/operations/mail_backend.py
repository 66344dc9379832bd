"""A mail backend for the demo and tests: each message becomes one ``.eml`` file in a
folder (``var/mail/`` by default), which any mail program opens."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

# Names sort in the order the messages were sent: the time to the microsecond, then a
# counter for messages written within the same microsecond by this process.
_SEQUENCE = itertools.count()


class FolderEmailBackend(BaseEmailBackend):
    def __init__(self, *args: Any, folder: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(folder or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")
            order = next(_SEQUENCE) % 1_000_000
            path = self.folder / f"{stamp}-{order:06d}-{secrets.token_hex(4)}.eml"
            path.write_bytes(message.message().as_bytes())
            sent += 1
        return sent
