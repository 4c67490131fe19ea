"""Media items as clients see them, and the presigned upload ticket."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import IdStr, Timestamp


class MediaOut(BaseModel):
    media_id: IdStr
    type: Literal["image", "video"]
    width: int
    height: int
    duration: float | None = Field(default=None, description="seconds (videos)")
    blurhash: str
    url: str = Field(description="the stored file: a presigned GET URL or a URL under the public base")
    thumbnail_url: str = Field(description="WebP, about 640 px on the long side (a poster frame for videos)")


class UploadOut(BaseModel):
    upload_id: IdStr = Field(description="also the media_id once completed")
    url: str = Field(description="PUT the file's bytes here, then POST .../uploads/{upload_id}/complete")
    method: Literal["PUT"] = "PUT"
    expires_at: Timestamp
    max_bytes: int
