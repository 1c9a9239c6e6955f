"""Sage ID accounts (seed, étape 2): the steps behind the pages - password check, emailed codes,
password reset - each combining a domain rule with the store, free of HTTP."""
