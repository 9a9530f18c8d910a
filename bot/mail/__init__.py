"""The e-mail channel: answers sent to citizens' addresses through an SMTP server."""
