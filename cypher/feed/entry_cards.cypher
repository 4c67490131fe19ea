// Purpose: what every viewer sees alike of the given posts and users, to fill the post cache
// (cache/post_cards.py): each post with its counts and media, each user's public profile, plus the
// profiles of the given posts' authors (so one call serves any miss). No check for a viewer here:
// feed/filter_entries.cypher decides what a viewer may see.
// Parameters: $post_ids (list of ints), $user_ids (list of ints).
// Columns (one row): posts (list of post maps, media in order; counts_version orders them against the
// counts recorded after writes), users (list of profile maps).
// Ids that do not exist are simply missing from the lists.
CALL {
  UNWIND $post_ids AS post_id
  MATCH (p:Post {id: post_id})
  RETURN collect(p {.id, .author_id, .content, .visibility, .media_ids, .created_at, .like_count,
                    .comment_count, .share_count, .counts_version,
                    media: COLLECT { MATCH (p)-[r:HAS_MEDIA]->(m:Media)
                                     RETURN m {.id, .type, .width, .height, .duration, .blurhash,
                                               .original_key, .thumb_key}
                                     ORDER BY r.position }}) AS posts
}
CALL {
  UNWIND $post_ids AS post_id
  MATCH (u:User)-[:POSTED]->(:Post {id: post_id})
  RETURN u
  UNION
  UNWIND $user_ids AS user_id
  MATCH (u:User {id: user_id})
  RETURN u
}
RETURN posts, collect(u {.id, .username, .display_name, .avatar_url}) AS users
