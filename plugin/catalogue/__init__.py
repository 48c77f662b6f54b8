"""The warm-up catalogue: the TOML files shipped in `plugin/catalogue/warmups/`, plus any in
FACILITATE_WARMUPS_DIR, parsed and checked at start-up (and by `facilitate check`); a
mistake stops both with the file, line and field (facilitation.warmups.CatalogueError)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from facilitation.warmups import CatalogueError, WarmUp, check_unique, parse_catalogue

SHIPPED = Path(__file__).resolve().parent / "warmups"


def catalogue_files(extra_dir: Path | None) -> list[Path]:
    files = sorted(SHIPPED.glob("*.toml"))
    if extra_dir is not None:
        files += sorted(extra_dir.glob("*.toml"))
    return files


@lru_cache(maxsize=8)
def load_catalogue(extra_dir: Path | None = None) -> tuple[WarmUp, ...]:
    """Every warm-up, shipped ones first; CatalogueError on the first mistake. Read once
    per process (the files change with a new release or a restart)."""
    found: list[WarmUp] = []
    for path in catalogue_files(extra_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogueError(str(path), 1, "file", f"cannot be read ({exc})") from exc
        found.extend(parse_catalogue(text, str(path)))
    check_unique(found)
    return tuple(found)
