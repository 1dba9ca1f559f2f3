"""CareCoord: a care coordination platform for health care coordinators."""
