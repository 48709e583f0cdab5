import sys

from preflight.cli import main

# Guarded: multiprocessing may import the main module again in the worker's forkserver.
if __name__ == "__main__":
    sys.exit(main())
