// Purpose: block until every index is online (after the schema is applied at start-up).
// Parameters: none. Columns: none.
CALL db.awaitIndexes(120)
