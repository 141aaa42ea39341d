"""auth_service: users, sessions and token introspection, extracted from the monolith."""
