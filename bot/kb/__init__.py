"""Tools staff use on the knowledge base itself, apart from answering questions."""
