import sys
from pathlib import Path

# docpages.py (the Markdown reader these tests share) imports by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))
