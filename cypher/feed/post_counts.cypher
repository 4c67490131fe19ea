// Purpose: the current counts of the given posts with their counts_version, for the post cache's count
// records (cache/post_cards.py): the worker re-records them from the outbox events of count changes,
// which repairs a count the API failed to record after its commit.
// Parameters: $post_ids (list of ints).
// Columns (one row): counts (list of maps: id, like_count, comment_count, share_count, counts_version
// (0 when the post's counts never changed)). Posts that do not exist are left out.
UNWIND $post_ids AS post_id
MATCH (p:Post {id: post_id})
RETURN collect({id: p.id, like_count: p.like_count, comment_count: p.comment_count,
                share_count: p.share_count, counts_version: coalesce(p.counts_version, 0)}) AS counts
