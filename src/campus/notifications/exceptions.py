"""Notifications' errors, with stable codes."""

from __future__ import annotations

from campus.kernel.errors import Conflict, NotFound


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    message = "No such notification."


class NotificationTypeNotFound(NotFound):
    code = "notification_type_not_found"
    message = "No such notification type."


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    message = "No such delivery."


class AnnouncementNotFound(NotFound):
    code = "announcement_not_found"
    message = "No such announcement."


class AnnouncementNotScheduled(Conflict):
    code = "announcement_not_scheduled"
    message = "Only an announcement that has not gone out yet can be cancelled."


class TemplateVersionTaken(Conflict):
    code = "template_version_taken"
    message = "Another version of this template was saved at the same time; try again."
