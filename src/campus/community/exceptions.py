"""Community's errors, with stable codes."""

from __future__ import annotations

from campus.kernel.errors import Conflict, Forbidden, NotFound


class CourseNotFound(NotFound):
    code = "course_not_found"
    message = "No such course."


class TopicNotFound(NotFound):
    code = "topic_not_found"
    message = "No such topic."


class PostNotFound(NotFound):
    code = "post_not_found"
    message = "No such post."


class ReviewNotFound(NotFound):
    code = "review_not_found"
    message = "No such review."


class ReportNotFound(NotFound):
    code = "report_not_found"
    message = "No such report."


class TestimonialNotFound(NotFound):
    code = "testimonial_not_found"
    message = "No such testimonial."


class NoteNotFound(NotFound):
    code = "note_not_found"
    message = "No such note."


class ForumAccessDenied(Forbidden):
    code = "forum_access_denied"
    message = "Only the course's learners and staff may use its forum."


class TopicLocked(Conflict):
    code = "topic_locked"
    message = "The topic is locked: it accepts no new posts."


class UserSanctioned(Forbidden):
    code = "user_sanctioned"
    message = "You are muted or banned from this forum."


class PostDeleted(Conflict):
    code = "post_deleted"
    message = "The post was deleted."


class ThreadTooDeep(Conflict):
    code = "thread_too_deep"
    message = "Replies cannot be nested any deeper: reply to the post above."


class NotEnrolled(Forbidden):
    code = "not_enrolled"
    message = "Only learners enrolled in the course may rate it."


class ReviewAlreadyExists(Conflict):
    code = "review_exists"
    message = "You have already rated this course: edit your review instead."


class AlreadyReplied(Conflict):
    code = "already_replied"
    message = "The review already has the instructor's reply."
