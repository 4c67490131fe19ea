"""The OpenAPI schema clients are generated from: one bearer login, required where a route needs a user."""

from __future__ import annotations

from api.app import create_app


def test_routes_that_need_a_user_document_the_one_bearer_login() -> None:
    schema = create_app().openapi()
    assert schema["components"]["securitySchemes"] == {
        "OAuth2PasswordBearer": {
            "type": "oauth2",
            "flows": {"password": {"scopes": {}, "tokenUrl": "/api/v1/auth/login"}},
        }
    }
    paths = schema["paths"]
    bearer: list[dict[str, list[str]]] = [{"OAuth2PasswordBearer": []}]
    assert paths["/api/v1/feed"]["get"]["security"] == bearer  # a reader
    assert paths["/api/v1/posts/{post_id}/like"]["post"]["security"] == bearer  # a writer
    assert "security" not in paths["/api/v1/auth/login"]["post"]
    assert "security" not in paths["/healthz"]["get"]
    feed_page = paths["/api/v1/feed"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert feed_page == {"$ref": "#/components/schemas/FeedPageOut"}  # written directly, still documented
