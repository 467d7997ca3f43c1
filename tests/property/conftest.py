import sys
from pathlib import Path

# planted.py (the secrets these tests plant) imports by name (pytest runs in importlib mode).
sys.path.insert(0, str(Path(__file__).resolve().parent))
