"""The web: the LINE webhook, article pages, health, the secretary's admin pages and the chat simulator."""
