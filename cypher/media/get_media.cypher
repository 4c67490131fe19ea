// Purpose: one media item of its owner (others' items are not visible through this query).
// Parameters: $media_id (int), $owner_id (int).
// Columns: media (map). No row when it does not exist or belongs to someone else.
MATCH (m:Media {id: $media_id})
WHERE m.owner_id = $owner_id
RETURN m {.*} AS media
