"""Web forms: fields and CSRF only. The rules live in the services, whose field
errors are put back on these forms by `show_errors`."""

from __future__ import annotations

import time

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from itsdangerous import BadData, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import Optional

from forum.errors import Invalid
from forum.models import Anonymity, GuestComments, Likes, Reveal, Role, Visibility
from forum.services.discussions import FOLLOW_COURSE
from forum.services.images import IMAGES_PER_POST
from forum.services.tokens import EXPIRY_DAYS_DEFAULT
from forum.services.validation import is_storable, storable_copy

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]
GUEST_COMMENT_CHOICES = [
    SelectChoice(GuestComments.OFF.value, "Off: only members write"),
    SelectChoice(GuestComments.MODERATED.value,
                 "Moderated: every guest comment waits for the course staff"),
    SelectChoice(GuestComments.AUTO.value,
                 "Automatic: comments the spam filter finds clean appear at once"),
]
SOURCE_ROWS_MIN = 3
SOURCE_ROWS_SPARE = 2


class ForumForm(FlaskForm):
    """A form whose text fields hold only storable characters. Flask-WTF also reads
    JSON bodies, which can spell a lone surrogate; fields services never clean (login
    email and password) would carry it to the database."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in _fields_by_name(self).values():
            if isinstance(field.data, str) and not is_storable(field.data):
                field.errors = [*field.errors, "Contains a NUL character or a lone surrogate."]
                field.data = storable_copy(field.data)  # the page shows it back
                valid = False
        return valid


class CourseOrOwnField(SelectField):
    """A discussion's own setting, or "course" where it follows the course (None)."""

    def process_data(self, value) -> None:
        self.data = FOLLOW_COURSE if value is None or value == "" else str(value)


class ActionForm(ForumForm):
    """A button that changes state: CSRF token only."""


class LoginForm(ForumForm):
    email = EmailField("Email")
    password = PasswordField("Password")
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class JoinAccountForm(ForumForm):
    """The password of the account someone had before their LMS made one."""

    email = EmailField("Email of your forum account")
    password = PasswordField("Its password")


class RegisterForm(ForumForm):
    display_name = StringField("Display name", description="Shown to your classmates.")
    email = EmailField("Email", description="Never shown to other students.")
    password = PasswordField("Password", description="At least 8 characters.")


class PasswordForm(ForumForm):
    current_password = PasswordField("Current password")
    new_password = PasswordField("New password", description="At least 8 characters.")


class ForgotPasswordForm(ForumForm):
    email = EmailField("Email", description="The address your account has here.")


class NewPasswordForm(ForumForm):
    new_password = PasswordField("New password", description="At least 8 characters.")


class TokenForm(ForumForm):
    name = StringField("Name", description="Where you will use it, e.g. “grading script”.")
    expires_in_days = SelectField("Expires", default=str(EXPIRY_DAYS_DEFAULT), choices=[
        SelectChoice("30", "in 30 days"), SelectChoice("90", "in 90 days"),
        SelectChoice("366", "in a year"), SelectChoice("", "never")])


class CourseForm(ForumForm):
    code = StringField("Code", description="Short and unique, e.g. HIST-210.")
    title = StringField("Title")
    term = StringField("Term", description="e.g. Spring 2027.")
    timezone = StringField("Timezone", default="UTC",
                           description="Dates are shown in it, e.g. Europe/Berlin.")
    visibility = SelectField("Visibility", choices=[
        SelectChoice(Visibility.PRIVATE.value, "Private: members only"),
        SelectChoice(Visibility.PUBLIC.value, "Public: anyone may read"),
    ])
    guest_comments = SelectField(
        "Guest comments", choices=GUEST_COMMENT_CHOICES, default=GuestComments.OFF.value,
        description="Whether visitors without an account may comment on the posts of a "
                    "public course. They give a name and an email that only the course "
                    "staff see; every comment is scored by the spam filter.")
    spam_threshold = FloatField(
        "Spam threshold", default=0.9, validators=[Optional()],
        description="A spam score from 0 to 1. Guest comments scoring at least this go "
                    "to spam, unseen by readers; staff can still approve them.")
    hold_threshold = FloatField(
        "Hold threshold", default=0.5, validators=[Optional()],
        description="Comments scoring at least this (and below the spam threshold) wait "
                    "for review, even where comments are automatic. At most the spam "
                    "threshold.")
    notify_held = BooleanField(
        "Tell the course's instructors and TAs of comments waiting for review",
        default=True, description="A notification (and mail, as each of them chooses) "
                                  "for every comment held back.")


class MemberForm(ForumForm):
    email = EmailField("Email of their account")
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.STUDENT.value)


class RoleForm(ForumForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class DiscussionForm(ForumForm):
    title = StringField("Title")
    prompt = TextAreaField("Prompt", description="Markdown. What should students discuss?")
    opens_at = DateTimeLocalField("Opens", validators=[Optional()], format="%Y-%m-%dT%H:%M")
    due_at = DateTimeLocalField("Due", validators=[Optional()], format="%Y-%m-%dT%H:%M")
    locks_at = DateTimeLocalField("Locks", validators=[Optional()], format="%Y-%m-%dT%H:%M",
                                  description="After this, students can no longer write.")
    points_possible = IntegerField("Points possible", default=0, validators=[Optional()])
    visibility = CourseOrOwnField(
        "Who may read it", default=FOLLOW_COURSE, choices=[
            SelectChoice(FOLLOW_COURSE, "Course setting"),
            SelectChoice(Visibility.PRIVATE.value, "Members only"),
            SelectChoice(Visibility.PUBLIC.value, "Public: anyone may read"),
        ], description="“Course setting” follows the course: public if the course is. "
                       "Only a public course's discussions can be public.")
    guest_comments = CourseOrOwnField(
        "Guest comments", default=FOLLOW_COURSE,
        choices=[SelectChoice(FOLLOW_COURSE, "Course setting"), *GUEST_COMMENT_CHOICES],
        description="Guests comment only where anyone may read.")
    reveal = SelectField(
        "Students see classmates' posts", default=Reveal.ALWAYS.value,
        choices=[SelectChoice(r.value, r.label) for r in Reveal],
        description="Until then a student sees only their own writing and the staff's. "
                    "Staff always see everything.")
    anonymity = SelectField(
        "Anonymous to classmates", default=Anonymity.OFF.value,
        choices=[SelectChoice(a.value, a.label) for a in Anonymity],
        description="Anonymous writing shows classmates a pseudonym within the thread; "
                    "staff see the name.")
    likes = SelectField("Likes", default=Likes.VISIBLE.value,
                        choices=[SelectChoice(v.value, v.label) for v in Likes])
    version = HiddenField()


class GradingSettingsForm(ForumForm):
    points_possible = FloatField("Points possible", validators=[Optional()])
    rubric = TextAreaField("Rubric", description="One criterion a line (“Title: what it "
                           "asks”), its levels below it as “points | description”. "
                           "Leave empty to grade with a score alone.")
    min_posts = IntegerField("Posts required", default=1, validators=[Optional()])
    min_peer_replies = IntegerField("Replies to classmates required", default=0,
                                    validators=[Optional()])
    require_prompt_answers = BooleanField("Every prompt to a student must be answered")
    allow_extra_credit = BooleanField("Allow scores above the points possible (with a reason)")
    version = HiddenField()


class CopyRubricForm(ForumForm):
    source = SelectField("Copy the rubric of", coerce=int, choices=[])


class GradeForm(ForumForm):
    """Score, reason and feedback; the rubric's radio buttons are read by the view."""

    score = FloatField("Score", validators=[Optional()],
                       description="Left empty, the score follows the rubric; type one "
                                   "only to differ from it, with a reason.")
    override_reason = StringField("Reason for a different score")
    feedback = TextAreaField("Feedback to the student", description="Markdown.")
    version = HiddenField()
    shown_score = HiddenField()  # what the Score box held when the page was drawn


class AnnotationForm(ForumForm):
    quote = TextAreaField("Passage", description="Copy it from the post.")
    body = TextAreaField("Comment")
    visibility = SelectField("Who sees it", choices=[
        SelectChoice("private", "The author and course staff"),
        SelectChoice("class", "Everyone in the course")])


class SourceForm(Form):
    citation = StringField("Citation")
    url = URLField("Link (optional)")


class ImageRowForm(Form):
    """One image of a post: a file to upload, or (image_id) one uploaded before."""

    image_id = HiddenField()
    file = FileField("Image file", description="JPEG, PNG, WebP or GIF, at most 4 MB.")
    alt = StringField("Alt text", description="What the image shows, for readers who "
                                              "cannot see it. Required.")
    credit = StringField("Credit (optional)",
                         description="Shown under the image, e.g. “Photo: Bundesarchiv”.")
    credit_url = URLField("Credit link (optional)")
    remove = BooleanField("Remove this image")


class PostForm(ForumForm):
    title = StringField("Title")
    body = TextAreaField("Your post", description="Markdown: *italics*, **bold**, "
                                                  "> quotes, [links](https://…).")
    sources = FieldList(FormField(SourceForm), min_entries=SOURCE_ROWS_MIN)
    images = FieldList(FormField(ImageRowForm), max_entries=IMAGES_PER_POST + 1)
    add_image = SubmitField("Upload image")
    anonymous = BooleanField("Anonymous to classmates",
                             description="Classmates see a pseudonym; the course staff see "
                                         "your name.")
    version = HiddenField()
    publish = SubmitField("Publish")
    save_draft = SubmitField("Save draft")

    def source_rows(self) -> list[dict]:
        return [entry.data for entry in self.sources]

    def add_spare_rows(self) -> None:
        """Leave empty rows to add sources without JavaScript."""
        filled = sum(1 for row in self.sources if row.citation.data or row.url.data)
        while len(self.sources) < max(SOURCE_ROWS_MIN, filled + SOURCE_ROWS_SPARE):
            self.sources.append_entry()
        # One image file a submit: a row to upload into, unless the post is full.
        uploaded = [row for row in self.images if row.image_id.data]
        if len(uploaded) < len(self.images):  # a row refused: keep it, with its error
            return
        if len(uploaded) < IMAGES_PER_POST:
            self.images.append_entry()

    def show_images(self, images) -> None:
        """Rows for a post's images (on opening its edit form)."""
        self.images.entries = []
        for image in images:
            self.images.append_entry({"image_id": str(image.id), "alt": image.alt,
                                      "credit": image.credit,
                                      "credit_url": image.credit_url or ""})

    def images_sent(self) -> bool:
        """Whether the form came with image rows (a post's images are left alone by a
        request that sends none)."""
        return len(self.images) > 0

    def image_ids(self) -> list[int]:
        return [int(row.image_id.data) for row in self.images
                if str(row.image_id.data or "").isdigit() and len(row.image_id.data) < 10]

    def image_rows(self) -> list[dict]:
        """The uploaded images to keep, in order, as the post service takes them."""
        rows = []
        for row in self.images:
            value = str(row.image_id.data or "").strip()
            if not value or row.remove.data:
                continue
            rows.append({"id": int(value) if value.isdigit() and len(value) < 10 else value,
                         "alt": row.alt.data, "credit": row.credit.data,
                         "credit_url": row.credit_url.data})
        return rows


class ReplyForm(ForumForm):
    body = TextAreaField("Reply")
    quote = TextAreaField("Quoted passage")
    anonymous = BooleanField("Anonymous to classmates")
    parent_id = HiddenField()
    version = HiddenField()


class PromptForm(ForumForm):
    body = TextAreaField("Question for the author")
    quote = TextAreaField("Passage you ask about (optional)",
                          description="Copy a sentence from the post.")
    parent_id = HiddenField()


class GuestCommentForm(ForumForm):
    """A visitor's comment. `homepage_url` is a honeypot people never see; `started`
    is the signed moment the form was drawn."""

    name = StringField("Your name", description="Shown with your comment.")
    email = EmailField("Email", description="Never shown to anyone but the course staff.")
    website = URLField("Website (optional)")
    body = TextAreaField("Comment", description="Markdown. At most two links.")
    homepage_url = StringField("Leave this empty")
    parent_id = HiddenField()
    started = HiddenField()

    def start_clock(self) -> None:
        """Sign the moment the form is drawn, unless it already carries a good one (a
        form shown again keeps the time it was first opened)."""
        if self._started_at() is None:
            self.started.data = _form_clock().dumps(time.time())

    def seconds_on_form(self) -> float:
        """How long the visitor had the form: 0 when the signed moment is missing or
        forged (only programs send such forms)."""
        started = self._started_at()
        return 0.0 if started is None else max(0.0, time.time() - started)

    def _started_at(self) -> float | None:
        try:
            started = _form_clock().loads(self.started.data or "")
        except BadData:
            return None
        return float(started) if isinstance(started, int | float) else None


def _form_clock() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="guest-form")


class FlagForm(ForumForm):
    reason = TextAreaField("Why should the course staff look at it?",
                           description="Only the course staff see your report and its reason.")


class ModerateForm(ForumForm):
    """One item or a selection of the queue: an action and, for hiding, a reason."""

    action = SelectField("Action", choices=[
        SelectChoice("approve", "Approve"), SelectChoice("spam", "Mark as spam"),
        SelectChoice("hide", "Hide"), SelectChoice("restore", "Restore")])
    reason = StringField("Reason", description="Shown to the author when hiding.")


class EraseGuestForm(ForumForm):
    text = RadioField("Their comments", choices=[
        SelectChoice("keep", "Keep the text"), SelectChoice("remove", "Remove the text")],
        default="keep")


def _fields_by_name(form) -> dict:
    found = {}
    for field in form:
        found[field.name] = field
        if hasattr(field, "entries"):
            for entry in field.entries:
                found[entry.name] = entry
                if hasattr(entry, "form"):
                    found.update(_fields_by_name(entry.form))
    return found


def show_errors(form: FlaskForm, error: Invalid) -> None:
    """Put a service's field errors beside the matching fields, the rest at the top."""
    fields = _fields_by_name(form)
    placed = False
    for name, messages in error.errors.items():
        field = fields.get(name)
        if field is not None and not hasattr(field, "entries"):
            field.errors = [*list(field.errors), *messages]
            placed = True
        else:
            form.form_errors.extend(messages)
    if placed and not form.form_errors:
        form.form_errors.append(error.message)


def status_of(form: FlaskForm) -> int:
    """422 when the form comes back with errors, so clients and tests can tell."""
    return 422 if form.errors or form.form_errors else 200


def page_number(value: str | None, last: int) -> int:
    """A page number from an address: ASCII digits from 1 to `last`; anything else (a
    superscript ² is a digit to Python, but no number to int()) is the first page."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= len(str(last)) \
            and 1 <= int(value) <= last:
        return int(value)
    return 1


def optional_id(value: str | None) -> int | None:
    """A hidden id field: a number, or nothing."""
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 10:
        raise Invalid({"parent_id": ["That message does not exist."]})
    return int(value)


def form_version(value: str | int | None) -> int | None:
    """The version an edit form was opened at, if it says one."""
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None
