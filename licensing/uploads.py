"""Evidence files (photos, PDF): checked by content and size, stored privately with their hash.

Files go under ``settings.upload_dir`` (never under ``static/``), in a sub-folder per use, with
a random name: the name a user gave is kept only as a label. The type is read from the first
bytes of the content (magic numbers), not from the file name or the browser's claim. Files are
served back only through views that check who is asking.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from licensing.errors import ValidationFailed

#: Content types accepted as evidence, with the extension used for the stored file.
ALLOWED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}

_CHUNK = 64 * 1024
_NAME_RE = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp|pdf)$")


class UploadRefused(ValidationFailed):
    """The file is empty, too big, or not a photo or PDF."""

    code = "upload_refused"
    default_message = "只能上传照片（JPG、PNG、WEBP）或 PDF 文件。"


@dataclass(frozen=True)
class StoredUpload:
    """A file written to the private upload folder."""

    stored_name: str  # random, e.g. ``3f2a...e1.jpg``
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str


def sniff_type(head: bytes) -> str | None:
    """Return the content type that the first bytes of a file announce, if it is allowed."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def clean_original_name(name: str | None) -> str:
    """Keep a user's file name as a label only: no path, no control characters, 200 chars."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:200] or "未命名文件"


def _settings():
    return current_app.config["SETTINGS"]


def upload_root(folder: str) -> Path:
    """Return (and create) the private folder for one use, e.g. ``evidence``."""
    if not folder.isidentifier():
        raise ValueError("bad upload folder name")
    root = Path(_settings().upload_dir) / folder
    root.mkdir(parents=True, exist_ok=True)
    return root


def store_upload(stream: BinaryIO, original_name: str | None, folder: str,
                 *, max_bytes: int | None = None) -> StoredUpload:
    """Check and write one uploaded file; return where it went and its SHA-256.

    Refuses (``UploadRefused``) an empty file, a file larger than ``settings.max_upload_bytes``
    and any content that is not JPEG, PNG, WEBP or PDF. The file is written under a random
    name with owner-only permissions; a refused or failed write leaves nothing behind.
    """
    limit = max_bytes if max_bytes is not None else _settings().max_upload_bytes
    head = stream.read(16)
    if not head:
        raise UploadRefused("文件是空的，请重新选择。", code="upload_empty")
    content_type = sniff_type(head)
    if content_type is None:
        raise UploadRefused()
    root = upload_root(folder)
    stored_name = secrets.token_hex(16) + ALLOWED_TYPES[content_type]
    path = root / stored_name
    digest = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise UploadRefused(
                        f"文件过大：单个文件不能超过 {limit // (1024 * 1024) or 1} MB。"
                        if limit >= 1024 * 1024 else f"文件过大：单个文件不能超过 {limit} 字节。",
                        code="upload_too_large")
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(_CHUNK)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredUpload(stored_name, clean_original_name(original_name), content_type, size,
                        digest.hexdigest())


def stored_path(folder: str, stored_name: str) -> Path:
    """Return the path of a stored file; refuse names this module did not make."""
    if not _NAME_RE.match(stored_name):
        raise ValueError("not a stored upload name")
    return upload_root(folder) / stored_name


def discard(folder: str, stored_name: str) -> None:
    """Remove a stored file (when the transaction recording it failed)."""
    with contextlib.suppress(ValueError):
        stored_path(folder, stored_name).unlink(missing_ok=True)
