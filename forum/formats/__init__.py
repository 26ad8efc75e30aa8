"""Pure readers and writers of the forum's formats: no database, no Flask."""
