"""The `faqbot` command: one module per subcommand, assembled in `main`."""
