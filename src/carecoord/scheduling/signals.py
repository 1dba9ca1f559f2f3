"""
Scheduling signals. `appointment_freed` is sent after a booked time is given up (cancelled, or moved by a
reschedule), once the transaction commits, so the waitlist can offer the freed time to someone else.
Arguments: `appointment` (as it is now), `start`, `end` (UTC, the freed time), `practitioner`, `location`.

`appointment_changed` is sent inside the transaction after an appointment is booked or recorded (inside or
outside), moved, cancelled or its status changes, so a listener's writes commit or roll back with it.
Arguments: `appointment` (as saved). Transitions keeps an open episode's face-to-face visit in step with it
(transitions.receivers); a listener must not refuse the booking for its own reasons.
"""

from django.dispatch import Signal

appointment_freed = Signal()
appointment_changed = Signal()
