"""The CapabilityStatement at /fhir/R4/metadata, built from the registered mappers so it is always true."""

from .base import READ_INTERACTIONS, WRITE_INTERACTIONS
from .registry import MAPPERS
from .search import COMMON_PARAMS

SOFTWARE_VERSION = "0.1"
BULK = "http://hl7.org/fhir/uv/bulkdata"


def capability_statement(base: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-26",
        "publisher": "CareCoord",
        "kind": "instance",
        "software": {"name": "CareCoord", "version": SOFTWARE_VERSION},
        "implementation": {"description": "CareCoord FHIR R4 API", "url": base.rstrip("/")},
        "fhirVersion": "4.0.1",
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "OAuth2 client credentials (SMART Backend Services scopes, v1 and v2 syntax) "
                    "from POST /oauth/token.",
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": "token", "valueUri": _token_url(base)}],
                        }
                    ],
                },
                "resource": [_resource(mapper) for mapper in sorted(MAPPERS.values(), key=lambda m: m.resource_type)],
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
                "operation": [
                    {"name": "export", "definition": f"{BULK}/OperationDefinition/export"},
                    {
                        "name": "group-export",
                        "definition": f"{BULK}/OperationDefinition/group-export",
                        "documentation": "Group/all/$export: every patient the caller may see.",
                    },
                ],
            }
        ],
    }


def _token_url(base: str) -> str:
    return base.split("/fhir/R4")[0] + "/oauth/token"


def _versioning(mapper) -> str:
    if "update" in mapper.interactions:
        return "versioned-update"
    return "versioned" if "vread" in mapper.interactions else "no-version"


def _resource(mapper) -> dict:
    interactions = [code for code in (*READ_INTERACTIONS, *WRITE_INTERACTIONS) if code in mapper.interactions]
    entry = {
        "type": mapper.resource_type,
        "interaction": [{"code": code} for code in interactions],
        "versioning": _versioning(mapper),
        "readHistory": mapper.keep_history and "vread" in mapper.interactions,
        "updateCreate": False,
        "conditionalCreate": "create" in mapper.interactions,
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": [
            {"name": p.name, "type": p.type, **({"documentation": p.documentation} if p.documentation else {})}
            for p in (*COMMON_PARAMS.values(), *mapper.search_params.values())
        ],
    }
    if mapper.profile:
        entry["supportedProfile"] = [mapper.profile]
    if mapper.resource_type == "Patient":
        entry["operation"] = [
            {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
            {"name": "export", "definition": f"{BULK}/OperationDefinition/patient-export"},
        ]
    if getattr(mapper, "documentation", ""):
        entry["documentation"] = mapper.documentation
    includes = [f"{mapper.resource_type}:{p.name}" for p in mapper.search_params.values() if p.include_attr]
    if includes:
        entry["searchInclude"] = includes
    return entry
