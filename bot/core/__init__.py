"""The kernel every layer stands on: the Thai calendar, KM step names, configuration, the
database, the LINE client, and the people the bot knows. It imports nothing above it and no Flask."""
