"""The resource types the API serves, in the order the CapabilityStatement lists them. Each type's entry
(api.resource_type.ResourceType) says what a caller may see, how it goes out, its search parameters,
links and interactions; everything else (search, read, write, history, $everything, bulk export,
capability, OpenAPI) is driven by this table, so a type is served the same way everywhere."""

from __future__ import annotations

from ourplan.api import types_clinical, types_other, types_people, types_planning, types_sharing
from ourplan.api.resource_type import READ_INTERACTIONS, WRITE_INTERACTIONS, ResourceType

__all__ = ["READ_INTERACTIONS", "RESOURCE_TYPES", "WRITE_INTERACTIONS", "ResourceType"]

RESOURCE_TYPES: dict[str, ResourceType] = {
    rt.name: rt
    for rt in (*types_people.TYPES, *types_clinical.TYPES, *types_planning.types(), *types_sharing.TYPES,
               *types_other.TYPES)
}
