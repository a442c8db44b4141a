"""Uploaded member CSVs (#18 item 3): written in chunks with the size checked first, deleted
once imported or abandoned, swept within a day; the notes box's limit is a field error."""

from __future__ import annotations

import io
import os
import time

import pytest

from backoffice.errors import ValidationFailed
from backoffice.services.members import uploads
from backoffice.services.members.profiles import NOTES_MAX, MemberInput, create_member


class Unreadable(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:  # noqa: ARG002
        raise AssertionError("read although the declared size was over the limit")


class Counting(io.BytesIO):
    """Records the largest read: the upload is never held whole in memory."""

    biggest = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        Counting.biggest = max(Counting.biggest, len(chunk))
        return chunk


def files() -> list[str]:
    return sorted(p.name for p in uploads.upload_dir().iterdir())


@pytest.fixture(autouse=True)
def _own_uploads(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "upload_dir", lambda: tmp_path)


def test_a_declared_size_over_the_limit_is_refused_before_reading():
    with pytest.raises(ValidationFailed) as exc:
        uploads.save_upload(Unreadable(), declared_size=21 * 1024 * 1024)
    assert exc.value.errors == {"file": "error.upload_too_big"}
    assert files() == []


def test_a_stream_over_the_limit_stops_and_leaves_no_partial_file():
    with pytest.raises(ValidationFailed):
        uploads.save_upload(io.BytesIO(b"x" * 5000), declared_size=None, limit=4096)
    assert files() == []


def test_an_upload_is_copied_in_chunks_readable_only_by_the_server():
    Counting.biggest = 0
    data = b"name,phone\n" + b"a,13800000000\n" * 100_000
    path = uploads.save_upload(Counting(data), declared_size=len(data))
    assert path.read_bytes() == data
    assert Counting.biggest <= uploads.CHUNK < len(data)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_discard_deletes_only_inside_the_upload_folder(tmp_path_factory):
    path = uploads.save_upload(io.BytesIO(b"a,b\n"), 4)
    outside = tmp_path_factory.mktemp("elsewhere") / "keep.csv"
    outside.write_text("x")
    uploads.discard(str(outside))
    uploads.discard("")
    assert outside.exists()
    uploads.discard(str(path))
    assert files() == []


def test_the_sweep_deletes_uploads_older_than_the_max_age():
    old = uploads.save_upload(io.BytesIO(b"old"), 3)
    new = uploads.save_upload(io.BytesIO(b"new"), 3)
    now = time.time()  # the suite's clock, not the file system's (TEST_NOW moves it)
    long_ago = now - uploads.UPLOAD_MAX_AGE.total_seconds() - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(new, (now, now))
    assert uploads.sweep_uploads() == 1
    assert files() == [new.name]


def test_notes_over_the_limit_name_the_field(session, org):
    data = MemberInput(
        name="王芳",
        phone="13800001111",
        home_store_id=org.stores["SH01"],
        notes="备" * (NOTES_MAX + 1),
    )
    with pytest.raises(ValidationFailed) as exc:
        create_member(session, org.actors["reception"], data)
    assert exc.value.errors == {"notes": "error.notes_too_long"}
