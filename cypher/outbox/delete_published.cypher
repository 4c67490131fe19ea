// Purpose: forget published events the stream's Redis has kept long enough to have them on disk.
// Parameters: $ids (list of ints).
// Columns: deleted (int).
MATCH (e:PublishedEvent) WHERE e.id IN $ids
DELETE e
RETURN count(*) AS deleted
