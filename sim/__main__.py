"""`python -m sim run ...` is the same as `sim run ...`."""

import sys

from sim.cli import main

sys.exit(main())
