// Purpose: take the write lock of the media items a new post wants to attach and read their state, in
// the post's own transaction: a concurrent post attaching the same item waits and then sees it attached.
// Parameters: $ids (list of ints).
// Columns: id, owner_id, status ('uploading', 'processing', 'ready', 'attached', 'deleting'), type
// ('image' or 'video'). Missing ids have no row.
UNWIND $ids AS id
MATCH (m:Media {id: id})
SET m._lock = true
REMOVE m._lock
RETURN m.id AS id, m.owner_id AS owner_id, m.status AS status, m.type AS type
