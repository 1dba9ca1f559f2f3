"""
The demo world behind `carecoord demo`: four Illinois organizations with staff, directories and about 200
patients (world.py), and the Synthea bundle loader behind `carecoord demo --synthea DIR` (synthea.py).
Everything is generated from the repository alone, deterministically from a seed.
"""
