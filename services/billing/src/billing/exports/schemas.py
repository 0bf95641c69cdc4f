"""API shapes of data exports, and banking's part of one as it arrives on the bus."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field, field_validator

# A file banking sends is stored under banking/ in the zip: a plain name, nothing more.
_FILE_NAME = re.compile(r"[a-z0-9_]{1,60}\.(json|csv)")


def archive_path(export_id: UUID) -> str:
    """Where the owner downloads an export's zip."""
    return f"/api/companies/me/exports/{export_id}/archive"


class ExportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    status: str = Field(description="pending, ready, failed or expired.")
    requested_at: datetime
    finished_at: datetime | None
    failure_reason: str | None
    archive_size: int | None = Field(description="Bytes of the zip, once ready.")
    expires_at: datetime | None = Field(description="The archive is deleted then.")

    @computed_field(description="Where to download the zip, once ready.")  # type: ignore[prop-decorator]
    @property
    def archive_path(self) -> str | None:
        return archive_path(self.id) if self.status == "ready" else None


class CompanyExported(BaseModel):
    """`banking.company.exported`: banking's files of one export, each gzipped then base64."""

    export_id: UUID
    company_id: UUID
    generated_at: AwareDatetime
    encoding: Literal["gzip+base64"]
    files: dict[str, str]

    @field_validator("files")
    @classmethod
    def _plain_names(cls, files: dict[str, str]) -> dict[str, str]:
        for name in files:
            if not _FILE_NAME.fullmatch(name):
                raise ValueError(f"not a plain file name: {name[:80]!r}")
        return files
