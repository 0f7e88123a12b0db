"""Demo data for the Python track: a quiz with a question of every type (attached to the track's
"Functions Quiz" lesson, which links back to it), an assignment (linked from the track's
assignment lesson) with one graded and one ungraded submission, and an
exam with a resource. Built through the assessment services; idempotent."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.data import AssessmentKind, PublicationStatus, SubmissionType
from campus.assessment.repository import questions as questions_repo
from campus.assessment.schemas.assignments import (
    AssignmentCreate,
    RubricCriterionIn,
    RubricLevelIn,
    SubmissionIn,
)
from campus.assessment.schemas.quiz import BlankIn, OptionIn, PairIn, QuestionIn, QuizCreate
from campus.assessment.service import assignments, grading, questions, quizzes, submissions
from campus.catalog import api as catalog
from campus.config import Settings
from campus.identity import api as identity
from campus.identity.data import ADMIN, INSTRUCTOR, STUDENT
from campus.kernel.auth import Principal
from campus.kernel.logging import get_logger
from campus.kernel.module import SeedState
from campus.kernel.storage import LocalFileStorage, local_storage
from campus.learning import api as learning

log = get_logger("campus.assessment.demo")

QUIZ_TITLE = "Python fundamentals check"


def _questions() -> list[QuestionIn]:
    return [
        QuestionIn(
            type="single_choice",
            text="Which keyword defines a function?",
            points=2,
            difficulty="EASY",
            topics=["Functions"],
            explanation="`def` starts a function definition.",
            options=[
                OptionIn(text="def", is_correct=True, feedback="Right."),
                OptionIn(text="func", feedback="That is Go's keyword."),
                OptionIn(text="function", feedback="That is JavaScript's."),
            ],
        ),
        QuestionIn(
            type="multiple_choice",
            text="Which of these types are immutable?",
            points=3,
            topics=["Variables and Data Types"],
            explanation="Tuples and strings cannot change in place.",
            options=[
                OptionIn(text="tuple", is_correct=True),
                OptionIn(text="str", is_correct=True),
                OptionIn(text="list"),
                OptionIn(text="dict"),
            ],
        ),
        QuestionIn(
            type="true_false",
            text="`range(3)` yields 1, 2 and 3.",
            topics=["Loops"],
            explanation="It yields 0, 1 and 2.",
            true_false_answer=False,
        ),
        QuestionIn(
            type="short_answer",
            text="Which built-in returns the length of a list?",
            topics=["Variables and Data Types"],
            explanation="`len(items)`.",
            accepted_answers=["len", "len()"],
        ),
        QuestionIn(
            type="fill_blanks",
            text="A ___ loop walks an iterable; ___ leaves it early.",
            points=2,
            topics=["Loops"],
            explanation="for ... break",
            blanks=[BlankIn(accepted_answers=["for"]), BlankIn(accepted_answers=["break"])],
        ),
        QuestionIn(
            type="matching",
            text="Match each literal to its type.",
            points=3,
            topics=["Variables and Data Types"],
            pairs=[
                PairIn(left="42", right="int"),
                PairIn(left="4.2", right="float"),
                PairIn(left="'42'", right="str"),
            ],
        ),
        QuestionIn(
            type="ordering",
            text="Order the parts of a function definition.",
            points=2,
            topics=["Functions"],
            items=["def", "name", "(parameters)", ":", "body"],
        ),
        QuestionIn(
            type="numeric",
            text="What does `7 // 2` evaluate to?",
            topics=["Basics"],
            explanation="Floor division.",
            numeric_answer=Decimal(3),
            tolerance=Decimal(0),
        ),
    ]


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        return self._buffer.read(size)


async def seed_demo(
    session: AsyncSession,
    course_id: uuid.UUID,
    learner_ids: Sequence[uuid.UUID],
    files: LocalFileStorage,
) -> bool:
    """Returns whether anything was created (nothing when the course already has quizzes)."""
    if await questions_repo.quizzes_of_course(session, course_id, published_only=False):
        return False
    course = await catalog.get_course_summary(session, course_id)
    if course is None or course.current_version_id is None:
        return False
    grants = await identity.role_permissions(session)
    teacher = Principal(
        course.primary_instructor_id, frozenset({INSTRUCTOR}), grants.get(INSTRUCTOR, frozenset())
    )
    staff = Principal(
        course.primary_instructor_id, frozenset({ADMIN}), grants.get(ADMIN, frozenset())
    )
    structure = await catalog.get_version_structure(session, course.current_version_id)
    lessons = structure.lessons if structure else ()
    quiz_lesson = next((x for x in lessons if x.title == "Functions Quiz"), None)
    work_lesson = next((x for x in lessons if x.type.value == "assignment"), None)
    bank = [await questions.create_question(session, teacher, course_id, q) for q in _questions()]
    quiz_body = QuizCreate(
        title=QUIZ_TITLE,
        description="Every question type, on the first three modules.",
        question_ids=[q.id for q in bank],
        passing_score=70,
        time_limit_seconds=900,
        attempt_limit=3,
        shuffle_options=True,
        reveal_policy="after_submission",
        lesson_id=quiz_lesson.id if quiz_lesson else None,
        module_id=quiz_lesson.module_id if quiz_lesson else None,
        status=PublicationStatus.PUBLISHED,
    )
    quiz = await quizzes.create_quiz(
        session,
        teacher,
        course_id,
        quiz_body.model_dump(exclude_unset=True, exclude={"question_ids"}),
        quiz_body.question_ids,
    )
    if quiz_lesson is not None:
        await catalog.set_lesson_assessment(
            session, quiz_lesson.id, course_id=course_id, quiz_id=quiz.id
        )
    rubric = [
        RubricCriterionIn(
            title="Correctness",
            levels=[
                RubricLevelIn(label="Incomplete", points=0),
                RubricLevelIn(label="Mostly right", points=30),
                RubricLevelIn(label="Right", points=60),
            ],
        ),
        RubricCriterionIn(
            title="Style and docstrings",
            levels=[
                RubricLevelIn(label="Missing", points=0),
                RubricLevelIn(label="Clear", points=40),
            ],
        ),
    ]
    work = await assignments.create(
        session,
        teacher,
        course_id,
        AssessmentKind.ASSIGNMENT,
        AssignmentCreate(
            title="Text utilities",
            instructions="Write `textutils.py` with word_count, "
            "capitalize_words and is_palindrome; paste the code or upload it.",
            submission_types=[SubmissionType.TEXT, SubmissionType.FILE],
            rubric=rubric,
            lesson_id=work_lesson.id if work_lesson else None,
            module_id=work_lesson.module_id if work_lesson else None,
            max_submissions=3,
            status=PublicationStatus.PUBLISHED,
        ).model_dump(exclude_unset=True),
        10 * 1024 * 1024,
    )
    if work_lesson is not None:
        await catalog.set_lesson_assessment(
            session, work_lesson.id, course_id=course_id, assignment_id=work.id
        )
    exam = await assignments.create(
        session,
        teacher,
        course_id,
        AssessmentKind.EXAM,
        AssignmentCreate(
            title="Python fundamentals exam",
            instructions="Solve the three tasks in the brief and "
            "upload your solution as a zip or pdf.",
            duration_minutes=90,
            max_submissions=2,
            submission_types=[SubmissionType.FILE, SubmissionType.TEXT],
            max_marks=100,
            passing_marks=60,
            status=PublicationStatus.PUBLISHED,
        ).model_dump(exclude_unset=True),
        10 * 1024 * 1024,
    )
    await assignments.add_resource(
        session,
        teacher,
        exam.id,
        AssessmentKind.EXAM,
        _Bytes(b"Python fundamentals exam\n\n1. FizzBuzz\n2. Word frequencies\n3. A stack class\n"),
        "exam-brief.txt",
        files,
        10 * 1024 * 1024,
    )
    for index, learner_id in enumerate(learner_ids[:2]):
        if not await learning.is_enrolled(session, learner_id, course_id):
            await learning.enroll_user(session, learner_id, course_id)
        learner = Principal(learner_id, frozenset({STUDENT}), grants.get(STUDENT, frozenset()))
        draft = await submissions.start(
            session,
            learner,
            work.id,
            AssessmentKind.ASSIGNMENT,
            SubmissionIn(text_answer="def word_count(text): ...").model_dump(exclude_unset=True),
            5,
        )
        await submissions.hand_in(session, learner, draft.id, 5)
        if index == 0:
            await grading.grade(
                session,
                staff,
                draft.id,
                marks=None,
                rubric={"c1": 2, "c2": 1},
                feedback="Clean, well documented code.",
                letter_grade=None,
            )
    return True


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """The Python track's quiz (every question type), an assignment with a graded and an
    ungraded submission, and an exam. Runs after every other step (it enrolls two demo
    students itself when the learning step has not)."""
    found = await catalog.find_course_ids_by_slugs(session, ["python-programming"])
    course_id = found.get("python-programming")
    if course_id is None:
        log.warning("assessment_demo_skipped", reason="no python-programming course")
        return
    learners = [
        state.user_ids[email]
        for email in ("maria@campus.example", "kenji@campus.example")
        if email in state.user_ids
    ]
    await seed_demo(session, course_id, learners, local_storage(settings))
