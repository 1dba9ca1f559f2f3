"""The slow fault and load tests of RELIABILITY.md (T28-T33), run by `make soak`, never by `make test`."""
