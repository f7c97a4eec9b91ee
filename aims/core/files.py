"""Write-once files kept as evidence (an incident's logs, a CAPA's proof of closure).

Every module that preserves files does it the same way: the SHA-256 and the size are computed
while reading the upload, the media type comes from the content (never from what the client
says), the file is stored under a name chosen first (so a write that fails part-way leaves no
orphan), and the hash is re-checked whenever the file is read back.
"""

import errno
import hashlib
import logging
import os
import re

import puremagic
from django.conf import settings
from django.core.files.base import File
from django.utils.translation import gettext as _

from .exceptions import ApplicationError, ValidationFailed

CHUNK = 1024 * 1024
logger = logging.getLogger(__name__)


class EvidenceTooLarge(ApplicationError):
    code = "evidence_too_large"
    status_code = 413


class EvidenceNotStored(ApplicationError):
    """The file could not be written (disk full, storage unreachable): nothing was kept."""

    code = "storage_unavailable"
    status_code = 503
    default_message = _(
        "The file could not be stored just now. Nothing was saved; try again in a few minutes."
    )


class EvidenceStorageFull(EvidenceNotStored):
    code = "storage_full"
    status_code = 507
    default_message = _(
        "The evidence store has no room for this file. Nothing was saved; ask the "
        "administrator to free space, then upload again."
    )


class EvidenceIntegrityFailed(ApplicationError):
    code = "evidence_integrity_failed"
    status_code = 409
    default_message = _(
        "The stored file no longer matches the SHA-256 recorded when it was preserved. "
        "It was not served; GRC has the incident's custody log."
    )


def safe_name(name: str) -> str:
    base = os.path.basename(name or "evidence").strip() or "evidence"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:150]


def detect_media_type(head: bytes, name: str) -> str:
    """The media type from the file's content (magic numbers), never from what the client says."""
    try:
        matches = puremagic.magic_string(head, name)
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        if match.mime_type:
            return match.mime_type
    if not head:
        return "application/x-empty"
    try:
        head.decode("utf-8")
        return "text/plain"
    except UnicodeDecodeError:
        return "application/octet-stream"


def hash_file(fileobj) -> tuple[str, int, bytes]:
    """(SHA-256, size, the first 8 KiB) of a file object, read once in chunks."""
    digest, size, head = hashlib.sha256(), 0, b""
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(CHUNK), b""):
        if not head:
            head = chunk[:8192]
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size, head


def check_upload_size(uploaded_file) -> None:
    """Refuse, before reading it, a file above ``EVIDENCE_MAX_BYTES``."""
    limit = settings.EVIDENCE_MAX_BYTES
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise EvidenceTooLarge(
            _(
                "The file is %(size)s bytes; evidence files are limited to %(limit)s bytes. "
                "Split or compress it and upload again."
            )
            % {"size": uploaded_file.size, "limit": limit}
        )


def read_upload(uploaded_file) -> dict:
    """What a write-once record keeps of an upload: safe name, SHA-256, size, media type.

    Refuses a file above the limit (413) or an empty one (400)."""
    check_upload_size(uploaded_file)
    sha256, size, head = hash_file(uploaded_file)
    if size == 0:
        raise ValidationFailed(_("The file is empty."), fields={"file": ["empty"]})
    name = safe_name(getattr(uploaded_file, "name", ""))
    return {
        "original_name": name,
        "sha256": sha256,
        "size": size,
        "media_type": detect_media_type(head, name),
    }


def store_file(record, name: str, uploaded_file, *, field_name: str = "file") -> None:
    """Write the file under a name chosen first, so a write that fails part-way (a full disk
    leaves the bytes written so far) is removed instead of staying behind as an orphan."""
    field = record._meta.get_field(field_name)
    storage = field.storage
    target = storage.get_available_name(
        field.generate_filename(record, name), max_length=field.max_length
    )
    try:
        stored = storage.save(target, File(uploaded_file), max_length=field.max_length)
    except OSError as exc:
        try:
            if storage.exists(target) and storage.size(target) != record.size:
                storage.delete(target)  # the partial write of this upload
        except OSError:
            logger.exception("could not remove the partial evidence file %s", target)
        logger.error("evidence file %s not stored: %s", target, exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise EvidenceStorageFull() from exc
        raise EvidenceNotStored() from exc
    setattr(record, field_name, stored)


def file_intact(fieldfile, sha256: str) -> bool:
    """Whether the stored file still has the SHA-256 recorded when it was preserved."""
    with fieldfile.open("rb") as handle:
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest() == sha256
