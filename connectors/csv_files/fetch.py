"""Turn the records of the new files into pages, and move finished files once their page is handled.

Files are read in name order; a page holds up to “Rows per page” records and may span files. A page is
handed over only once the next record is known to exist (or the files are exhausted), so ``has_more`` is
exact and the last page carries the end of the last file. A fetch always yields at least one page, if
only an empty one, so that the engine receives the pruned position.

With “Move read files to” set, a file finished on a page is moved when the engine asks for the next
page (or ends the loop): after it has handled every record of the file. Files the position marks as
read but that are still in the folder (a move failed, or the engine stopped early) are moved first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.base import Page

from .cursor import Partial, Position, encode
from .folders import FileInfo, Stamp, move_to
from .options import CsvOptions
from .reading import steps


def read_pages(present: list[FileInfo], position: Position, options: CsvOptions) -> Iterator[Page]:
    _move_all([file for file in present if position.is_done(file)], options)
    new = [file for file in present if not position.is_done(file)]
    done: dict[str, Stamp] = dict(position.done)
    partial: Partial | None = None
    page: list[dict[str, Any]] = []
    finished: list[FileInfo] = []
    for step in steps(new, options, position.partial):
        if step.record is not None and len(page) == options.page_size:
            yield Page(records=page, cursor=encode(done, partial), has_more=True)
            _move_all(finished, options)
            page, finished = [], []
        if step.record is None:
            done[step.file.name], partial = step.file.stamp, None
            finished.append(step.file)
        else:
            page.append(step.record)
            partial = Partial(step.file.name, step.file.stamp, step.rows)
    yield Page(records=page, cursor=encode(done, partial), has_more=False)
    _move_all(finished, options)


def _move_all(files: list[FileInfo], options: CsvOptions) -> None:
    if options.processed_folder is None:
        return
    for file in files:
        move_to(file, options.processed_folder)
