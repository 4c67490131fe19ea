// Purpose: start completing a presigned upload: 'uploading' becomes 'processing' under the item's write
// lock, so that two concurrent completions cannot both process it.
// Parameters: $media_id (int), $owner_id (int).
// Columns: previous (the status before: 'uploading' means this caller now owns the processing), media (map).
// No row when it does not exist or belongs to someone else.
MATCH (m:Media {id: $media_id})
WHERE m.owner_id = $owner_id
SET m._lock = true
WITH m, m.status AS previous
SET m.status = CASE previous WHEN 'uploading' THEN 'processing' ELSE previous END
REMOVE m._lock
RETURN previous, m {.*} AS media
