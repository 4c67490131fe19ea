// Purpose: media items marked for deletion (their post was deleted, or the cleanup job claimed them),
// with where their objects are.
// Parameters: $ids (list of ints).
// Columns: media_id, key_base (objects under "key_base/"), upload_key (string or null).
UNWIND $ids AS id
MATCH (m:Media {id: id})
WHERE m.status = 'deleting'
RETURN m.id AS media_id, m.key_base AS key_base, m.upload_key AS upload_key
