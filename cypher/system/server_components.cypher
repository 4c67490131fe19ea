// Purpose: the server's product name and kernel version (readiness probe, smoke test).
// Parameters: none.
// Columns: name (string), version (string).
CALL dbms.components() YIELD name, versions
RETURN name, versions[0] AS version
