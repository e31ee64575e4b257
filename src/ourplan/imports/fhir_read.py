"""Reading FHIR files: JSON or XML, one resource or a Bundle (of any type, nested Bundles too), into a
flat list of entries. Each entry is validated on its own (`parse`), so one malformed resource in a Bundle
is reported while the rest of the Bundle is still imported."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from lxml import etree
from pydantic import ValidationError

from ourplan.core.errors import ActionError

FHIR_NS = "http://hl7.org/fhir"


class UnreadableFile(Exception):
    """The file as a whole cannot be read: missing, not JSON or XML, or not a FHIR resource."""


@dataclass(frozen=True)
class Entry:
    """One resource found in a file. `payload` is the resource's own XML (bytes) or JSON (dict)."""

    file: str
    index: int | None  # Bundle entry index; None for a file that holds one resource
    location: str  # FHIRPath-style place in the file, "" for a single resource
    full_url: str
    resource_type: str
    resource_id: str
    payload: bytes | dict[str, Any]

    def digest(self) -> str:
        """A stable fingerprint of the content, the key of last resort for a resource with no id."""
        raw = self.payload if isinstance(self.payload, bytes) else orjson.dumps(
            self.payload, option=orjson.OPT_SORT_KEYS)
        return "sha256:" + hashlib.sha256(raw).hexdigest()


def _safe_parser() -> etree.XMLParser:
    # Files come from other systems: never expand entities or fetch anything over the network.
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)


def read_file(path: Path, name: str | None = None) -> list[Entry]:
    label = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot be read ({exc.strerror or exc})") from exc
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<":
        return _read_xml(data, label)
    if start == b"{":
        return _read_json(data, label)
    raise UnreadableFile("is not FHIR JSON or XML")


# --- XML -------------------------------------------------------------------------------------------------

def _value(element: etree._Element, child: str) -> str:
    found = element.find(f"{{{FHIR_NS}}}{child}")
    return (found.get("value") or "").strip() if found is not None else ""


def _read_xml(data: bytes, label: str) -> list[Entry]:
    try:
        root = etree.fromstring(data, parser=_safe_parser())
    except etree.XMLSyntaxError as exc:
        raise UnreadableFile(f"is not well-formed XML ({exc})") from exc
    qname = etree.QName(root)
    if qname.namespace != FHIR_NS:
        raise UnreadableFile(f"is XML but not FHIR (root element <{qname.localname}> is not in {FHIR_NS})")
    entries: list[Entry] = []
    _collect_xml(root, label, None, "", "", entries)
    return entries


def _collect_xml(
    element: etree._Element, label: str, index: int | None, location: str, full_url: str, out: list[Entry]
) -> None:
    kind = etree.QName(element).localname
    if kind != "Bundle":
        out.append(Entry(label, index, location, full_url, kind, _value(element, "id"),
                         etree.tostring(element)))
        return
    for i, entry in enumerate(element.findall(f"{{{FHIR_NS}}}entry")):
        where = f"{location}.resource.Bundle.entry[{i}]" if location else f"Bundle.entry[{i}]"
        holder = entry.find(f"{{{FHIR_NS}}}resource")
        children = [c for c in holder if isinstance(c.tag, str)] if holder is not None else []
        if not children:
            out.append(Entry(label, i if index is None else index, where, _value(entry, "fullUrl"), "", "", b""))
            continue
        _collect_xml(children[0], label, i if index is None else index, where, _value(entry, "fullUrl"), out)


# --- JSON ------------------------------------------------------------------------------------------------

def _read_json(data: bytes, label: str) -> list[Entry]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UnreadableFile(f"is not valid JSON ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
        raise UnreadableFile("is JSON but not a FHIR resource (no resourceType)")
    entries: list[Entry] = []
    _collect_json(doc, label, None, "", "", entries)
    return entries


def _collect_json(
    doc: dict[str, Any], label: str, index: int | None, location: str, full_url: str, out: list[Entry]
) -> None:
    kind = str(doc.get("resourceType", ""))
    if kind != "Bundle":
        out.append(Entry(label, index, location, full_url, kind, str(doc.get("id") or "").strip(), doc))
        return
    raw_entries = doc.get("entry") or []
    for i, entry in enumerate(raw_entries if isinstance(raw_entries, list) else []):
        where = f"{location}.resource.Bundle.entry[{i}]" if location else f"Bundle.entry[{i}]"
        entry = entry if isinstance(entry, dict) else {}
        url = str(entry.get("fullUrl") or "").strip()
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            out.append(Entry(label, i if index is None else index, where, url, "", "", {}))
            continue
        _collect_json(resource, label, i if index is None else index, where, url, out)


# --- Validation ------------------------------------------------------------------------------------------

def model_class(resource_type: str) -> type[FHIRAbstractModel] | None:
    try:
        return get_fhir_model_class(resource_type)  # type: ignore[no-any-return]
    except (ValueError, KeyError):
        return None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "__root__")
        problems.append(f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", "")))
    more = len(exc.errors()) - 3
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def parse(entry: Entry) -> Any:
    """The entry as a validated fhir.resources model. Raises ActionError naming what is wrong.
    (Returns Any: the R4B models are dynamically typed pydantic classes.)"""
    cls = model_class(entry.resource_type)
    if cls is None:
        raise ActionError(f"'{entry.resource_type}' is not a FHIR R4 resource type")
    try:
        if isinstance(entry.payload, bytes):
            return cls.model_validate_xml(entry.payload, xmlparser=_safe_parser())
        return cls.model_validate(entry.payload)
    except ValidationError as exc:
        raise ActionError(f"not a valid FHIR {entry.resource_type}: {_describe(exc)}") from exc
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise ActionError(f"not a valid FHIR {entry.resource_type}: {exc}") from exc
