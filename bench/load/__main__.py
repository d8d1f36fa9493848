"""`.venv/bin/python bench/load …` from the repository's root: see the package's docstring."""

import sys
from pathlib import Path

# Run as a folder, Python puts bench/load itself first on the path, where a part's module
# (logs, calls, …) would shadow any top-level module of that name; bench/ is what belongs there.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from load.main import main  # noqa: E402

main(sys.argv[1:])
