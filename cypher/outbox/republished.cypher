// Purpose: published events put on the stream again (the Redis process that took them was gone).
// Parameters: $ids (list of ints), $published_at (int ms), $run_id (string: the process now).
// Columns: marked (int).
MATCH (e:PublishedEvent) WHERE e.id IN $ids
SET e.published_at = $published_at, e.run_id = $run_id
RETURN count(*) AS marked
