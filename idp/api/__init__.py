"""The Sage EDI Online submissions API (issue 8): a resource server in the provider's own
deployment, under `/api/v1`, that accepts RFC 9068 access tokens with the `edi` scope."""
