// Purpose: the cleanup job's batch: media created before $cutoff and never attached to a post (or
// stuck in 'deleting'), marked 'deleting' under their write lock. An item attached concurrently is
// seen as 'attached' after the lock and left alone. Only items whose objects are under $key_prefix
// (FEEDGRAPH_MEDIA_KEY_PREFIX): environments sharing a bucket clean up their own items only.
// Parameters: $cutoff (int ms), $key_prefix (string, may be ''), $limit (int).
// Columns: media_id, key_base, upload_key (string or null).
MATCH (m:Media)
WHERE m.status IN ['uploading', 'processing', 'ready', 'deleting'] AND m.created_at < $cutoff
  AND m.key_base STARTS WITH $key_prefix
WITH m LIMIT $limit
SET m._lock = true
REMOVE m._lock
WITH m
WHERE m.status <> 'attached'
SET m.status = 'deleting'
RETURN m.id AS media_id, m.key_base AS key_base, m.upload_key AS upload_key
