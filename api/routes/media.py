"""Media uploads: direct multipart, or a presigned PUT straight to storage and then ``complete``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from api.deps import CurrentUser, ServicesDep, Writer
from api.schemas.common import parse_id
from api.schemas.media import MediaOut, UploadOut
from core.errors import NotFound

router = APIRouter(tags=["media"])

_ACCEPTED = (
    "JPEG, PNG, WebP, GIF images (16 MB, 8000x8000 px by default) and MP4, WebM, MOV videos (100 MB, "
    "10 minutes by default). The type is read from the content, never from the name or content type."
)
# The body is parsed from the request stream by the route itself (see media/spool.py), so FastAPI does
# not know it: this documents it in the OpenAPI schema.
_MULTIPART_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "/media",
    status_code=status.HTTP_201_CREATED,
    response_model=MediaOut,
    openapi_extra=_MULTIPART_BODY,
    description=f"Upload one file in the multipart field `file`. {_ACCEPTED} Images are re-encoded "
    "(metadata such as EXIF and GPS is dropped) and get a thumbnail and a blurhash; videos are probed, "
    "remuxed without their metadata and get a poster. Attach the answer's `media_id` to a post.",
)
async def upload_media(request: Request, services: ServicesDep, me: Writer) -> MediaOut:
    media = await services.media.upload(
        me, request.headers.get("content-type"), request.headers.get("content-length"), request.stream()
    )
    return MediaOut.model_validate(services.media.view(media))


@router.post("/media/uploads", status_code=status.HTTP_201_CREATED, response_model=UploadOut)
async def start_upload(services: ServicesDep, me: Writer) -> UploadOut:
    """For large files: PUT the bytes to the returned URL, then complete the upload. An upload never
    completed is deleted by the cleanup job."""
    ticket = await services.media.start_upload(me)
    return UploadOut(
        upload_id=ticket.media_id, url=ticket.url, expires_at=ticket.expires_at_ms, max_bytes=ticket.max_bytes
    )


@router.post("/media/uploads/{upload_id}/complete", response_model=MediaOut)
async def complete_upload(upload_id: str, services: ServicesDep, me: Writer) -> MediaOut:
    """Validate and process the uploaded object like a direct upload; an invalid one is deleted (4xx).
    Completing again answers the same item."""
    media = await services.media.complete_upload(me, parse_id(upload_id, "upload_id"))
    return MediaOut.model_validate(services.media.view(media))


@router.get("/media/{media_id}", response_model=MediaOut)
async def get_media(media_id: str, services: ServicesDep, me: CurrentUser) -> MediaOut:
    """One of the caller's own media items (others' are reached through the posts that carry them)."""
    media = await services.media.get(me, parse_id(media_id, "media_id"))
    if media.get("status") not in ("ready", "attached"):
        raise NotFound("no such media (an upload not completed yet?)", code="media_not_found")
    return MediaOut.model_validate(services.media.view(media))
