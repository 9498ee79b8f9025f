"""The station's SQLite database: the single writer, schema migrations, sample blobs, backups,
restores and the checks made before it is opened."""
