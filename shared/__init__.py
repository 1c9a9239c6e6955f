"""Code that the provider (`idp`) and the relying-party client (`client`) share."""
