"""`python -m tests.chaos`: the whole chaos run (`make chaos`)."""

from .run import main

main()
