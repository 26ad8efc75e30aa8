"""Accounts: registering, signing in, passwords."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from forum.access import Actor, can_manage_accounts, can_view_profile
from forum.errors import Invalid, NotFound, PermissionDenied
from forum.extensions import db
from forum.models import User
from forum.models.courses import people_changed
from forum.models.limits import EMAIL_MAX, NAME_MAX, PASSWORD_MAX
from forum.services.validation import FieldErrors, clean_text, collecting_errors
from forum.transactions import writes

PASSWORD_MIN = 8

# The most used passwords of at least eight characters; refused outright.
COMMON_PASSWORDS = frozenset(
    """
    password 12345678 123456789 1234567890 qwertyuiop password1 password123 iloveyou
    11111111 00000000 12341234 87654321 abcd1234 qwerty123 1q2w3e4r 1qaz2wsx sunshine
    princess football baseball welcome1 welcome123 trustno1 superman starwars dragon123
    letmein1 passw0rd p@ssw0rd p@ssword monkey123 whatever computer internet michelle
    jennifer charlie1 shadow12 master12 zaq12wsx asdfghjk asdf1234 q1w2e3r4 123qweasd
    changeme administrator admin123 student1 student123 teacher1 password12 qwertyui
    """.split()
)

# Compared against when no account matches, so both cases take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalize_email(errors: FieldErrors, value: str | None) -> str:
    email = clean_text(errors, "email", value, max_length=EMAIL_MAX, label="Email")
    if email and "email" not in errors:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.add("email", "Enter a valid email address.")
    return email.lower()


def check_password_rules(errors: FieldErrors, field: str, password: str | None) -> str:
    password = password or ""
    if len(password) < PASSWORD_MIN:
        errors.add(field, f"Password must be at least {PASSWORD_MIN} characters.")
    elif len(password) > PASSWORD_MAX:
        errors.add(field, f"Password must be at most {PASSWORD_MAX} characters.")
    elif password.lower() in COMMON_PASSWORDS:
        errors.add(field, "This password is too common; choose another.")
    elif "\x00" in password:
        errors.add(field, "Password contains a NUL character.")
    return password


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def get_profile(actor: Actor, user_id: int) -> User:
    """A person's profile, for those who share a course with them. Raises NotFound."""
    user = db.session.get(User, user_id)
    if user is None or not can_view_profile(actor, user):
        raise NotFound("No such person.")
    return user


def _new_user(email: str | None, display_name: str | None, password: str | None) -> User:
    with collecting_errors() as errors:
        email = normalize_email(errors, email)
        name = clean_text(errors, "display_name", display_name, max_length=NAME_MAX,
                          label="Display name")
        password = check_password_rules(errors, "password", password)
        if email and "email" not in errors and find_user_by_email(email):
            errors.add_conflict("email", "An account with this email already exists.")
    user = User(email=email, display_name=name)
    user.set_password(password)
    return user


@writes
def register(email: str | None, display_name: str | None, password: str | None) -> User:
    """Create an account for a new person. Raises Invalid."""
    user = _new_user(email, display_name, password)
    db.session.add(user)
    db.session.commit()
    return user


@writes
def create_user(
    email: str, display_name: str, password: str, *, admin: bool = False
) -> User:
    """Create an account from the command line, optionally a site admin. Raises Invalid."""
    user = _new_user(email, display_name, password)
    user.is_admin = admin
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str | None, password: str | None) -> User | None:
    """The active user with these credentials, or None; same work either way."""
    user = find_user_by_email(email or "") if email else None
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password or "")
        return None
    if not user.check_password(password or "") or user.is_disabled:
        return None
    return user


@writes
def change_password(user: User, current: str | None, new: str | None) -> None:
    """Replace the password after checking the current one; ends other sessions.
    Raises Invalid."""
    with collecting_errors() as errors:
        if not user.check_password(current or ""):
            errors.add("current_password", "The current password is not correct.")
        new = check_password_rules(errors, "new_password", new)
    user.set_password(new)
    user.session_epoch += 1
    db.session.commit()


@writes
def set_password(actor: Actor, user: User, new: str | None) -> None:
    """An admin sets someone's password (no mail to reset it by); their sessions end.
    Raises PermissionDenied, Invalid."""
    if not can_manage_accounts(actor):
        raise PermissionDenied()
    with collecting_errors() as errors:
        new = check_password_rules(errors, "password", new)
    user.set_password(new)
    user.session_epoch += 1
    db.session.commit()


@writes
def update_profile(user: User, display_name: str | None) -> User:
    """Change the user's own display name. Raises Invalid."""
    with collecting_errors() as errors:
        name = clean_text(errors, "display_name", display_name, max_length=NAME_MAX,
                          label="Display name")
    user.display_name = name
    db.session.execute(people_changed())
    db.session.commit()
    return user


@writes
def set_disabled(actor: Actor, user: User, disabled: bool) -> None:
    """Disable or enable an account; disabling ends its sessions at once.
    Raises PermissionDenied."""
    if not can_manage_accounts(actor):
        raise PermissionDenied()
    if actor.id == user.id and disabled:
        raise Invalid({"user": ["You cannot disable your own account."]})
    user.is_disabled = disabled
    user.session_epoch += 1
    db.session.commit()
