"""
Scheduling signals. `appointment_freed` is sent after a booked time is given up (cancelled, or moved by a
reschedule), once the transaction commits, so the waitlist can offer the freed time to someone else.
Arguments: `appointment` (as it is now), `start`, `end` (UTC, the freed time), `practitioner`, `location`.
"""

from django.dispatch import Signal

appointment_freed = Signal()
