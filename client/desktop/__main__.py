"""`python -m client.desktop`: the same as `sageid-desktop`."""

from .app import main

main()
