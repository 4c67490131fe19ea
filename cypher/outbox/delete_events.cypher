// Purpose: forget outbox events once they are on the stream (idempotent).
// Parameters: $ids (list of ints).
// Columns: deleted (int).
MATCH (e:OutboxEvent) WHERE e.id IN $ids
DELETE e
RETURN count(*) AS deleted
