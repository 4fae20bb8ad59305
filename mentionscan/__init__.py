"""mentionscan: find what the web writes about your product, and follow each mention up.

`from mentionscan import Workspace` is the library's face; see `mentionscan.workspace`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Workspace", "__version__"]

if TYPE_CHECKING:
    from mentionscan.workspace import Workspace


def __getattr__(name: str) -> Any:
    # Imported on first use: `mentionscan --help` and every module reading __version__ stay light.
    if name == "Workspace":
        from mentionscan.workspace import Workspace

        return Workspace
    raise AttributeError(f"module 'mentionscan' has no attribute {name!r}")
