// Purpose: give a claimed presigned upload back ('processing' to 'uploading') when nothing was uploaded
// yet, so that the client can upload and complete again.
// Parameters: $media_id (int).
// Columns: released (int: 0 or 1).
MATCH (m:Media {id: $media_id})
WHERE m.status = 'processing'
SET m.status = 'uploading'
RETURN count(m) AS released
