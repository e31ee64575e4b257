"""Postcode districts and distances, without any online lookup.

A bundled table (support/data/postcode_districts.csv) covers the demo practice's area; a deployment loads
the full ONS/OS district centroid table into PostcodeDistrict with `ourplan load-postcode-districts PATH`.
When that table has rows it is used and the bundled file is ignored."""

from __future__ import annotations

import csv
import math
import re
from functools import lru_cache
from pathlib import Path

from django.db import transaction

from ourplan.core.errors import ActionError

BUNDLED = Path(__file__).parent / "data" / "postcode_districts.csv"
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
EARTH_RADIUS_KM = 6371.0


def district_of(postcode: str) -> str:
    """The outward code of a full postcode or a district ("rv1 4qb" and "RV1" both give "RV1"), or ""."""
    text = re.sub(r"\s+", " ", postcode.strip().upper())
    if not text:
        return ""
    if " " in text:
        outward = text.split(" ")[0]
    elif len(text) >= 5:
        outward = text[:-3]  # a full postcode typed without its space: the inward code is always 3 long
    else:
        outward = text
    return outward if _OUTWARD.match(outward) else ""


@lru_cache(maxsize=1)
def _bundled() -> dict[str, tuple[float, float]]:
    with BUNDLED.open(newline="") as handle:
        return {row["district"].strip().upper(): (float(row["lat"]), float(row["lon"]))
                for row in csv.DictReader(handle)}


def centroid(postcode: str) -> tuple[float, float] | None:
    """Latitude and longitude of the postcode's district, or None when it is not in the table."""
    from ourplan.support.models import PostcodeDistrict

    district = district_of(postcode)
    if not district:
        return None
    row = PostcodeDistrict.objects.filter(district=district).values_list("latitude", "longitude").first()
    if row is not None:
        return (row[0], row[1])
    if PostcodeDistrict.objects.exists():
        return None  # a loaded full table is authoritative
    return _bundled().get(district)


def require_centroid(postcode: str) -> tuple[float, float]:
    """Like `centroid`, but a clear message for the person searching when the postcode is not known."""
    found = centroid(postcode)
    if found is None:
        if not district_of(postcode):
            raise ActionError(f"'{postcode}' is not a postcode. Enter a postcode like RV1 4QB, or the first "
                              "half of one, like RV1", field="near")
        raise ActionError(f"We do not know where {postcode.upper()} is, so we cannot sort services by distance. "
                          "Check the postcode, or search without one", field="near")
    return found


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


@transaction.atomic
def load_districts(path: str | Path) -> int:
    """Replace the district table from a CSV with columns district, lat, lon (ONS/OS centroids).
    Also accepts the ONS headings pcd_district / latitude / longitude. Returns the number of rows loaded."""
    from ourplan.support.models import PostcodeDistrict

    rows: list[PostcodeDistrict] = []
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            name = (row.get("district") or row.get("pcd_district") or "").strip().upper()
            lat, lon = row.get("lat") or row.get("latitude"), row.get("lon") or row.get("longitude")
            try:
                point = (float(lat or ""), float(lon or ""))
            except ValueError:
                raise ActionError(f"Row {number}: latitude and longitude must be numbers") from None
            if not _OUTWARD.match(name):
                raise ActionError(f"Row {number}: '{name}' is not a postcode district")
            rows.append(PostcodeDistrict(district=name, latitude=point[0], longitude=point[1]))
    PostcodeDistrict.objects.all().delete()
    PostcodeDistrict.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
