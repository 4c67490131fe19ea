// Purpose: record that a benchmark dataset finished loading (its last step), with its shape, so that a
// load interrupted at any step is recognised as partial and reloaded.
// Parameters: $prefix (string, starting with `bench_`), $shape (map: users, follows, posts, likes), $now (int ms).
// Columns: prefix (string).
MERGE (d:BenchDataset {prefix: $prefix})
SET d += $shape, d.loaded_at = $now
RETURN d.prefix AS prefix
