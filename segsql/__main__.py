"""`python -m segsql` is the `segsql` command."""

from .cli import main

main()
