// Purpose: what the search index stores of each post (search/documents.py builds the document); posts
// that no longer exist have no row, which tells the indexer to delete them from the index.
// Parameters: $ids (list of post ids).
// Columns: post (map: id, author_id, content, visibility, created_at, like_count, comment_count,
// share_count), author_username (string, lower-cased).
UNWIND $ids AS id
MATCH (a:User)-[:POSTED]->(p:Post {id: id})
RETURN p {.id, .author_id, .content, .visibility, .created_at, .like_count, .comment_count,
          .share_count} AS post,
       a.username_lower AS author_username
