"""How long each kind of text may be, and how many points: one definition each, read by
the columns, the services' checks and the API's schemas alike."""

TITLE_MAX = 200  # titles of courses, discussions, posts; rubric criteria
NAME_MAX = 80  # a person's display name; a token's name
EMAIL_MAX = 254
PASSWORD_MAX = 128
COURSE_CODE_MAX = 32
TERM_MAX = 64
TIMEZONE_MAX = 64  # an IANA name such as America/Argentina/Buenos_Aires
CITATION_MAX = 500  # one entry of a post's sources
URL_MAX = 2_000
BODY_MAX = 50_000  # any Markdown text: bodies, prompts, feedback, comments
QUOTE_MAX = 2_000  # a passage quoted from a post, by a prompt or an annotation
LEVEL_DESCRIPTION_MAX = 500  # a rubric level's description
CRITERION_DESCRIPTION_MAX = 1_000
REASON_MAX = 500  # why a score differs from its rubric's sum
POINTS_MAX = 10_000
ALT_MAX = 300  # an image's alt text
