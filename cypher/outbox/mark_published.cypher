// Purpose: outbox events just put on the stream: kept, as PublishedEvent, until the stream's Redis has
// surely written them to disk (see feed/relay.py), with the stream's origin (its deployment) and the
// run id of the Redis process that took them.
// Parameters: $ids (list of ints), $published_at (int ms), $origin (string), $run_id (string).
// Columns: marked (int).
MATCH (e:OutboxEvent) WHERE e.id IN $ids
REMOVE e:OutboxEvent
SET e:PublishedEvent, e.published_at = $published_at, e.origin = $origin, e.run_id = $run_id
RETURN count(*) AS marked
