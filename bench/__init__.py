"""CareCoord's performance benchmark: a data generator (`bench.generate`) and the scenarios (`bench.run`)."""
