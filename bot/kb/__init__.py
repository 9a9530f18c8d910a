"""Tools staff use on the knowledge base itself: the spreadsheet round trip and the YAML writer."""
