// Purpose: forget published events no sweep has settled for long, whatever their stream: their
// deployment is gone (a finished test session's private Redis) or its workers have been down that
// long, and their Redis has had them on disk for as long (see jobs/feed_housekeeping.py).
// Parameters: $older_than_ms (int ms), $limit (int).
// Columns: deleted (int).
MATCH (e:PublishedEvent)
WHERE e.published_at <= $older_than_ms
WITH e LIMIT $limit
DELETE e
RETURN count(*) AS deleted
