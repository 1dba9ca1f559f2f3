"""FHIR R4 interoperability: the REST API at /fhir/R4, OAuth2 for system clients, import and bulk export."""
