"""Learning: enrollments, entitlements, lesson/module/course progress, completion, activity.

Other contexts use only ``learning.api`` (functions), ``learning.data`` (enums, DTOs) and
``learning.events`` (event names and payloads). See docs/adr/0010..0012.
"""
