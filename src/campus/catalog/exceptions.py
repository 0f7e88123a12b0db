"""Catalog errors: stable codes clients can switch on."""

from __future__ import annotations

from campus.kernel.errors import Conflict, NotFound, ValidationFailed


class CourseNotFound(NotFound):
    code = "course_not_found"
    message = "The course was not found."


class VersionNotFound(NotFound):
    code = "version_not_found"
    message = "The course version was not found."


class ModuleNotFound(NotFound):
    code = "module_not_found"
    message = "The module was not found."


class LessonNotFound(NotFound):
    code = "lesson_not_found"
    message = "The lesson was not found."


class CategoryNotFound(NotFound):
    code = "category_not_found"
    message = "The category was not found."


class TagNotFound(NotFound):
    code = "tag_not_found"
    message = "The tag was not found."


class TrackNotFound(NotFound):
    code = "track_not_found"
    message = "The track was not found."


class TranslationNotFound(NotFound):
    code = "translation_not_found"
    message = "There is no translation in this language."


class InvalidTransition(Conflict):
    """The course is not in a state this workflow step starts from."""

    code = "invalid_transition"
    message = "The course is not in a state that allows this step."

    def __init__(self, action: str, status: str, message: str | None = None) -> None:
        super().__init__(message, details={"action": action, "status": status})


class UnderReview(Conflict):
    code = "version_under_review"
    message = "The curriculum is under review; send it back before editing it."


class CourseArchived(Conflict):
    code = "course_archived"
    message = "The course is archived; restore it before editing its curriculum."


class CourseIncomplete(Conflict):
    code = "course_incomplete"
    message = "A course needs at least one module with a published lesson before review."


class NotDeletable(Conflict):
    code = "course_not_deletable"
    message = "Only drafts that were never published and have no enrollments can be deleted."


class OrderMismatch(Conflict):
    code = "order_mismatch"
    message = "The order must list exactly the current items; reload and try again."


class SlugTaken(Conflict):
    code = "slug_taken"
    message = "The slug is already in use."


class TrackTaken(Conflict):
    code = "track_slug_taken"
    message = "Another course is already the track for this language."


class TagExists(Conflict):
    code = "tag_exists"
    message = "A tag with this label already exists."


class CategoryInUse(Conflict):
    code = "category_in_use"
    message = "The category still has subcategories or courses."


class CategoryCycle(ValidationFailed):
    code = "category_cycle"
    message = "A category cannot be moved under itself or one of its descendants."
