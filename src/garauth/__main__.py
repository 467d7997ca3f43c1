import sys

from garauth.cli import main

sys.exit(main())
