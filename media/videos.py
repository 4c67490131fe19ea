"""Video validation and processing with PyAV (FFmpeg): probe the container (video stream, duration,
codec, dimensions), decode an early frame for the poster, and remux the streams into a fresh container
(no re-encoding, cheap) so that container metadata such as a phone's GPS location is not stored."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from PIL import Image

from core.errors import AppError, Invalid
from media.formats import MOV, MP4, WEBM, MediaFormat
from media.limits import Limits
from media.previews import blurhash_of, thumbnail_webp
from media.processed import Processed

# The demuxer is chosen by the sniffed format, never probed by FFmpeg: probing could pick a demuxer
# that reads other files or URLs (HLS playlists, concat lists).
_DEMUXER = {MP4.name: "mp4", MOV.name: "mov", WEBM.name: "webm"}
# faststart: the index goes first, so players can start before the whole file is downloaded.
_MUX_OPTIONS = {MP4.name: {"movflags": "+faststart"}, MOV.name: {"movflags": "+faststart"}, WEBM.name: {}}
# Decoding stops here at the latest when looking for a poster frame.
_POSTER_MAX_PACKETS = 600


def process_video(path: Path, fmt: MediaFormat, limits: Limits, workdir: Path) -> Processed:
    """Validate, probe and remux the video at ``path``; raises ``Invalid`` naming the problem."""
    try:
        return _process(path, fmt, limits, workdir)
    except AppError:
        raise
    except Exception as exc:  # any demuxer/decoder failure on client bytes is a bad file, never a 500
        raise Invalid(
            f"the {fmt.label} video is truncated or corrupt and could not be read ({exc})",
            code="corrupt_video",
        ) from exc


def _process(path: Path, fmt: MediaFormat, limits: Limits, workdir: Path) -> Processed:
    with av.open(str(path), format=_DEMUXER[fmt.name]) as container:
        if not container.streams:
            raise Invalid(
                f"the {fmt.label} file has no readable stream (truncated or corrupt)", code="corrupt_video"
            )
        if not container.streams.video:
            raise Invalid(f"the {fmt.label} file has no video stream", code="no_video_stream")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if width < 1 or height < 1:
            raise Invalid("the video stream has no picture size", code="corrupt_video")
        side = limits.video_max_side
        if width > side or height > side:
            raise Invalid(
                f"the video is {width}x{height} px; the limit is {side}x{side} px", code="video_too_large"
            )
        duration = _duration(container, stream)
        if duration is None:
            raise Invalid("the video's duration cannot be determined", code="corrupt_video")
        if duration > limits.video_max_seconds:
            raise Invalid(
                f"the video lasts {duration:.1f} s; the limit is {limits.video_max_seconds:g} s",
                code="video_too_long",
            )
        codec = stream.codec_context.name
        poster = _poster(container, stream)
    out = workdir / f"processed.{fmt.ext}"
    _remux(path, fmt, out)
    return Processed(
        fmt=fmt,
        original=out,
        width=width,
        height=height,
        thumbnail=thumbnail_webp(poster, limits.thumbnail_side),
        blurhash=blurhash_of(poster),
        duration=round(duration, 3),
        codec=codec,
    )


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(Fraction(container.duration, av.time_base))
    # Neither header says (some WebM): the end of the last packet of the video stream.
    end = None
    for packet in container.demux(stream):
        if packet.pts is not None and packet.time_base is not None:
            tail = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            end = tail if end is None else max(end, tail)
    container.seek(0)
    return end


def _poster(container: Any, stream: Any) -> Image.Image:
    """The first decodable frame of the video stream."""
    for count, packet in enumerate(container.demux(stream)):
        if count >= _POSTER_MAX_PACKETS:
            break
        for frame in packet.decode():
            image: Image.Image = frame.to_image()
            return image
    raise Invalid("the video has no decodable frame", code="corrupt_video")


def _remux(source: Path, fmt: MediaFormat, out: Path) -> None:
    """Copy the audio and video packets into a new container: container-level metadata (GPS location,
    device, comments), data and subtitle streams and trailing bytes are left behind."""
    with (
        av.open(str(source), format=_DEMUXER[fmt.name]) as src,
        av.open(str(out), "w", format=_DEMUXER[fmt.name], options=_MUX_OPTIONS[fmt.name]) as dst,
    ):
        kept = [s for s in src.streams if s.type in ("video", "audio")]
        mapping = {}
        for s in kept:
            copy = dst.add_stream_from_template(s)
            copy.metadata.clear()
            mapping[s.index] = copy
        for packet in src.demux(kept):
            if packet.dts is None:  # the demuxer's flush packet
                continue
            packet.stream = mapping[packet.stream.index]
            dst.mux(packet)
