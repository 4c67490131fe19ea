// Purpose: record a media item before any of its objects is written, so that nothing can be stored
// without a node that the cleanup job finds (a crash mid-upload leaves a node, never a lost object).
// Parameters: $media_id (int), $owner_id (int), $status ('processing' for direct uploads, 'uploading' for
// presigned ones), $key_base (string: every object of the item is under "$key_base/"), $upload_key
// (string or null: the presigned PUT staging object), $now (int ms).
// Columns: media_id (int). No row when the owner does not exist.
MATCH (u:User {id: $owner_id})
CREATE (m:Media {id: $media_id, owner_id: $owner_id, status: $status, key_base: $key_base,
                 upload_key: $upload_key, created_at: $now})
CREATE (u)-[:UPLOADED]->(m)
RETURN m.id AS media_id
