"""One module per kind of LINE event and per chat command.

`handlers.registry` holds the one table that maps event types and commands to functions.
"""
