"""REFI-QDA 1.0 exchange: codebooks (.qdc) and projects (.qdpx), in plain Python.

No Django here, so the parser and writer can be tested on their own. The Django side
(``werkplaats.stories.exchange``) turns rows into these dataclasses and back.
"""

from werkplaats.stories.refi_qda.errors import RefiQdaError
from werkplaats.stories.refi_qda.model import (
    Code,
    Link,
    Note,
    Project,
    Selection,
    Set,
    TextSource,
    User,
)
from werkplaats.stories.refi_qda.parser import read_codebook, read_project, read_qdpx
from werkplaats.stories.refi_qda.writer import write_codebook, write_project_xml, write_qdpx

__all__ = [
    "Code",
    "Link",
    "Note",
    "Project",
    "RefiQdaError",
    "Selection",
    "Set",
    "TextSource",
    "User",
    "read_codebook",
    "read_project",
    "read_qdpx",
    "write_codebook",
    "write_project_xml",
    "write_qdpx",
]
