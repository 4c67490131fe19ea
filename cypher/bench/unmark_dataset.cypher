// Purpose: forget that a benchmark dataset is loaded (the first step of deleting or reloading it).
// Parameters: $prefix (string, starting with `bench_`).
// Columns: removed (int).
MATCH (d:BenchDataset {prefix: $prefix})
WHERE $prefix STARTS WITH 'bench_'
DELETE d
RETURN count(*) AS removed
