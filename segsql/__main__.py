"""`python -m segsql` is the `segsql` command."""

from segsql.cli import main

main()
