import sys
from pathlib import Path

# Helpers shared by these tests (gcloud_run.py) import by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))
