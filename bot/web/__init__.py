"""The web front end: public API, embeddable widget and operator console (`faqbot serve`)."""
