"""Real parts shared by the tests and the reliability scripts: PostgreSQL, server processes."""
