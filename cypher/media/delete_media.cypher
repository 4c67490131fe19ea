// Purpose: remove media nodes once their objects are deleted (idempotent: gone ids are skipped). Only
// items in one of $statuses are removed, so an item attached in the meantime is never touched.
// Parameters: $ids (list of ints), $statuses (list of strings).
// Columns: deleted (int).
UNWIND $ids AS id
MATCH (m:Media {id: id})
WHERE m.status IN $statuses
DETACH DELETE m
RETURN count(*) AS deleted
