"""Receiving an extract file over HTTP: the size limit, and the digest that recognises a file
already received."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from typing import Any, BinaryIO

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat

from agencies.extracts.validation import open_decompressed

CHUNK = 1 << 20


class ExtractRefused(Exception):
    """The file was not accepted; the message says why, in a sentence for partner IT."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def too_large_message(limit: int) -> str:
    return (
        f"The file is larger than the {filesizeformat(limit)} Single View accepts. Compress it "
        "with gzip, or send a delta with only the changes."
    )


def content_too_large_message(limit: int) -> str:
    return (
        f"The file's content is larger than {filesizeformat(limit)} once uncompressed, which is "
        "more than Single View accepts. Send a delta with only the changes."
    )


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops keeping an upload once it passes `limit` bytes, so an oversized file is never
    stored; `exceeded` tells the view to say so. (Views refuse a request whose Content-Length is
    already too large before reading it; this catches uploads sent without one.)"""

    def __init__(self, limit: int, request: Any = None) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.exceeded or self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def content_digest(binary: BinaryIO, *, content_limit: int) -> tuple[str, int, bool]:
    """(SHA-256 of the CSV content after gunzip, content size, whether it was gzip). Raises
    `ExtractRefused` for a damaged gzip file or content over `content_limit` bytes."""
    stream = open_decompressed(binary)
    compressed = isinstance(stream, gzip.GzipFile)
    digest = hashlib.sha256()
    size = 0
    try:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > content_limit:
                raise ExtractRefused(content_too_large_message(content_limit), status=413)
            digest.update(chunk)
    except (OSError, EOFError, zlib.error) as error:
        raise ExtractRefused(
            "The file looks like gzip but cannot be uncompressed: it is damaged or cut short. "
            "Compress it again and send it again."
        ) from error
    if size == 0:
        raise ExtractRefused("The file is empty. It must begin with a header row.")
    return digest.hexdigest(), size, compressed
