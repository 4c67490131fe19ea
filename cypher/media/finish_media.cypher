// Purpose: a processed media item becomes ready to attach: its objects are written and described.
// upload_key stays: the presigned PUT URL is valid until it expires, and an object PUT after completion
// must still be deleted with the item.
// Parameters: $media_id (int), $props (map: type, format, mime, width, height, duration, codec, blurhash,
// size, original_key, thumb_key), $now (int ms).
// Columns: media (map). No row unless the item was 'processing'.
MATCH (m:Media {id: $media_id})
WHERE m.status = 'processing'
SET m += $props, m.status = 'ready', m.ready_at = $now
RETURN m {.*} AS media
