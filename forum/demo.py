"""Demo data: a seminar on Europe between the world wars, written for this project."""

from __future__ import annotations

from datetime import timedelta

from forum.models import Anonymous, Role, User, utcnow
from forum.services import (
    accounts,
    courses,
    discussions,
    guests,
    posts,
    reactions,
    replies,
    rubrics,
)

DEMO_PASSWORD = "forum-demo-2026"  # noqa: S105 - printed for newcomers on purpose

PEOPLE = [
    ("admin@example.edu", "Site Admin", None),
    ("okafor@example.edu", "Dr. Miriam Okafor", Role.INSTRUCTOR),
    ("reyes@example.edu", "Tomás Reyes", Role.TA),
    ("ana@example.edu", "Ana Lindqvist", Role.STUDENT),
    ("ben@example.edu", "Ben Carter", Role.STUDENT),
    ("chloe@example.edu", "Chloé Martin", Role.STUDENT),
    ("dev@example.edu", "Dev Patel", Role.STUDENT),
    ("emre@example.edu", "Emre Yıldız", Role.STUDENT),
    ("fatima@example.edu", "Fatima Haddad", Role.STUDENT),
]

VERSAILLES_PROMPT = """\
In June 1919 the German delegation signed the treaty in the Hall of Mirrors under protest.
Historians have argued ever since about whether the settlement was punitive, lenient, or
simply unenforceable.

Make an argument: **was the Treaty of Versailles too harsh on Germany?** Ground your post
in at least two sources, one of them primary, and reply to at least two classmates.
"""

INFLATION_PROMPT = """\
By November 1923 a loaf of bread in Berlin cost some 200 billion marks. Was the
hyperinflation a *cause* of the Republic's later weakness, or a *symptom* of problems that
were already there? Use the price tables in this week's reader.
"""

ANA_POST = """\
The treaty's reputation for harshness owes more to its reception than to its terms.
Germany lost about 13 percent of its European territory, but its industrial heartland in the
Ruhr stayed German, and the reparations bill fixed in London in 1921 was largely made of
"C bonds" that nobody expected to be paid.

What made the settlement feel unbearable was Article 231, the so-called war guilt clause,
which gave nationalists a ready story of national humiliation. Keynes made the economic case
against the treaty in 1919, yet his forecasts of collapse did not come true in the way he
predicted.

So my answer is: *not too harsh in substance, but disastrous in presentation*. A settlement
that neither conciliated Germany nor kept it weak left the worst of both worlds.
"""

BEN_POST = """\
I want to push back on the idea that the reparations were mostly symbolic. Even the A and B
bonds amounted to 50 billion gold marks, a sum that the Reich could only pay by running an
export surplus that its creditors were unwilling to accept. The transfer problem was real.

The occupation of the Ruhr in 1923 shows that France, at least, meant to collect. For
ordinary Germans the treaty was not an abstraction: it was French soldiers in Essen.
"""

CHLOE_POST = """\
Looking at the sources from France changes the question. Clemenceau's government had watched
northern France turned into a wasteland; from Paris the treaty looked far too mild, since it
left a united Germany with a larger population than France's and no lasting guarantee from
Britain or the United States.
"""


VERSAILLES_RUBRIC = [
    {"title": "Argument", "description": "A clear claim about the treaty, argued throughout",
     "levels": [{"points": 4, "description": "Precise, original and sustained"},
                {"points": 2, "description": "Present but general or uneven"},
                {"points": 0, "description": "No discernible claim"}]},
    {"title": "Sources", "description": "Primary and secondary evidence, cited",
     "levels": [{"points": 3, "description": "A primary and a secondary source, used well"},
                {"points": 1, "description": "Sources named but barely used"},
                {"points": 0, "description": "No sources"}]},
    {"title": "Conversation", "description": "Replies that move classmates' thinking on",
     "levels": [{"points": 3, "description": "Two or more substantial replies"},
                {"points": 1, "description": "One reply, or brief ones"},
                {"points": 0, "description": "No replies"}]},
]


def seed_demo() -> None:
    """Create the demo people, course, discussions, posts, replies and prompts."""
    people = {
        email: accounts.create_user(email, name, DEMO_PASSWORD, admin=role is None)
        for email, name, role in PEOPLE
    }
    admin = people["admin@example.edu"]
    course = courses.create_course(
        admin, code="HIST-230", title="Europe between the Wars, 1918–1939",
        term="Autumn 2026", timezone="Europe/London", visibility="private",
    )
    for email, _name, role in PEOPLE:
        if role is not None:
            courses.add_member(admin, course, email, role.value)
    _seed_discussions(course, people)
    _seed_blog(admin, people)


BLOG_PROMPT = """\
This term our posts are public: anyone can read them and leave a comment, which the course
staff review before it appears. Pick one poster from the 1920s or 1930s and read it as a
historian would: who made it, for whom, and what did it ask its viewers to feel or do?
"""

BLOG_POST = """\
The 1932 election poster *Wir Arbeiter sind erwacht* shows a giant worker striding over a
crowd of small, anxious figures. It was aimed at industrial workers who had voted for the
Social Democrats or the Communists for a decade, and it offers them dignity rather than a
programme: no wages, no prices, only a promise that someone finally sees them.

What strikes me is how little the poster says about the enemy. The message is belonging,
which is harder to argue against than any policy.
"""

# Guest comments the demo's blog waits on: genuine ones held for review, spam for the
# spam list (every guest comment is held on a `moderated` course).
BLOG_GUESTS = [
    ("Margarethe Vogel", "m.vogel@example.org", None,
     "My grandfather kept a copy of this poster. You are right that it sells belonging: he "
     "said the worker on it looked like the men in his street, not like a politician."),
    ("Sam Okoro", "sokoro@example.net", "https://example.net/sam",
     "Interesting reading, but I think you underrate the enemy here. The small anxious "
     "figures are the point: the poster tells workers who to fear as much as who to join."),
    ("Best Essay Writers USA", "orders@cheap-essays.example", "https://cheap-essays.example",
     "Great post, very informative! Need help with your history essay? Our professional "
     "writers deliver in 24 hours, visit https://cheap-essays.example and "
     "https://cheap-essays.example/discount for 30% off."),
]


def _seed_blog(admin: User, people: dict[str, User]) -> None:
    """A public course blog whose guest comments wait in the moderation queue."""
    blog = courses.create_course(
        admin, code="HIST-115", title="Posters and Publics: a Class Blog",
        term="Autumn 2026", timezone="Europe/London", visibility="public",
        guest_comments="moderated")
    for email in ("okafor@example.edu", "reyes@example.edu", "ana@example.edu",
                  "ben@example.edu"):
        role = next(role for e, _n, role in PEOPLE if e == email)
        courses.add_member(admin, blog, email, role.value)
    now = utcnow()
    topic = discussions.create_discussion(
        people["okafor@example.edu"], blog, title="Reading a poster as a historian",
        prompt=BLOG_PROMPT, opens_at=now - timedelta(days=5), due_at=now + timedelta(days=9),
        locks_at=None, points_possible=5)
    post = posts.create_post(
        people["ana@example.edu"], topic, title="“We workers have awoken” (1932)",
        body=BLOG_POST, sources=[{"citation": "NSDAP election poster, July 1932, "
                                              "Bundesarchiv Plak 002-016-047."}])
    replies.reply_to(people["ben@example.edu"], post, None,
                     "The absence of an enemy is a good catch. Compare the KPD poster from "
                     "the same month, which is all enemy and no belonging.")
    for name, email, website, body in BLOG_GUESTS:
        guests.comment_as_guest(Anonymous(), post, guests.GuestInput(
            name=name, email=email, website=website, body=body, ip_address="192.0.2.10"))


def _seed_discussions(course, people: dict[str, User]) -> None:
    now = utcnow()
    instructor = people["okafor@example.edu"]
    versailles = discussions.create_discussion(
        instructor, course, title="Was the Treaty of Versailles too harsh?",
        prompt=VERSAILLES_PROMPT, opens_at=now - timedelta(days=10),
        due_at=now + timedelta(days=3), locks_at=now + timedelta(days=10), points_possible=10,
    )
    rubrics.update_grading_settings(
        instructor, versailles, version=None, min_posts=1, min_peer_replies=2,
        require_prompt_answers=True, rubric=VERSAILLES_RUBRIC)
    inflation = discussions.create_discussion(
        instructor, course, title="Hyperinflation in 1923: cause or symptom?",
        prompt=INFLATION_PROMPT, opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=12), locks_at=None, points_possible=10,
        reveal="after_posting", anonymity="allowed",
    )
    _seed_post_first(inflation, people)
    ana_post = posts.create_post(
        people["ana@example.edu"], versailles, title="Harsh in tone, moderate in substance",
        body=ANA_POST, sources=[
            {"citation": "Treaty of Peace with Germany (Treaty of Versailles), 28 June 1919, "
                         "Articles 227–231.",
             "url": "https://en.wikisource.org/wiki/Treaty_of_Versailles"},
            {"citation": "John Maynard Keynes, The Economic Consequences of the Peace "
                         "(London: Macmillan, 1919), ch. 5."},
            {"citation": "Sally Marks, “The Myths of Reparations,” Central European History "
                         "11, no. 3 (1978): 231–255."},
        ],
    )
    ben_post = posts.create_post(
        people["ben@example.edu"], versailles, title="The transfer problem was real",
        body=BEN_POST, sources=[
            {"citation": "London Schedule of Payments, 5 May 1921."},
            {"citation": "Gerald D. Feldman, The Great Disorder (Oxford University Press, "
                         "1993), ch. 12."},
        ],
    )
    posts.create_post(
        people["chloe@example.edu"], versailles, title="Too mild, seen from Paris",
        body=CHLOE_POST, sources=[
            {"citation": "Georges Clemenceau, Grandeur and Misery of Victory (1930)."},
        ],
    )
    _seed_thread(ana_post, people)
    _seed_prompts(ana_post, ben_post, people)


def _seed_post_first(discussion, people: dict[str, User]) -> None:
    """A post-first discussion where students may write anonymously: Dev and Emre have
    posted (Dev without his name), so Ana sees neither until she posts."""
    dev = posts.create_post(
        people["dev@example.edu"], discussion, anonymous=True,
        title="A symptom of a state that would not tax",
        body="The Reich printed money because no coalition dared raise taxes on the "
             "propertied. The occupation of the Ruhr turned a bad habit into a collapse.",
        sources=[{"citation": "Carl-Ludwig Holtfrerich, The German Inflation 1914–1923 "
                              "(Berlin: de Gruyter, 1986), ch. 4."}])
    emre = posts.create_post(
        people["emre@example.edu"], discussion, title="Cause, and then a weapon",
        body="Once prices ran away, Berlin used the inflation to show the Allies that "
             "reparations could not be paid.",
        sources=[{"citation": "Sally Marks, “The Myths of Reparations,” Central European "
                              "History 11, no. 3 (1978): 231–255."}])
    answer = replies.reply_to(
        people["emre@example.edu"], dev, None,
        "I agree about the taxes, but the Ruhr made it political as well as fiscal.",
        quote="The occupation of the Ruhr turned a bad habit into a collapse.")
    reactions.endorse(people["reyes@example.edu"], answer)
    reactions.like(people["dev@example.edu"], emre)


def _seed_thread(post, people: dict[str, User]) -> None:
    level1 = replies.reply_to(
        people["ben@example.edu"], post, None,
        "If the C bonds were never meant to be paid, why did the Allies insist on them? "
        "Doesn't that suggest the headline figure mattered politically at home, not just "
        "in Berlin?")
    level2 = replies.reply_to(
        people["ana@example.edu"], post, level1.id,
        "Exactly, I think the big number was written for voters in Britain and France. "
        "Lloyd George had promised in 1918 to make Germany pay, and he needed a figure "
        "to point to.")
    replies.reply_to(
        people["dev@example.edu"], post, level2.id,
        "That fits the 'Khaki election' speeches in our reader. But then the treaty was "
        "harsh *to public opinion on both sides*: it promised the Allies more than it "
        "could deliver and told Germans they owed more than they would pay.")
    replies.reply_to(
        people["fatima@example.edu"], post, None,
        "I'd like to see how the territorial losses compare with Brest-Litovsk, which "
        "Germany imposed on Russia only a year earlier. That comparison makes 1919 look "
        "rather restrained.")


def _seed_prompts(ana_post, ben_post, people: dict[str, User]) -> None:
    instructor, ta = people["okafor@example.edu"], people["reyes@example.edu"]
    answered = replies.ask_prompt(
        instructor, ana_post, None,
        "You call the treaty *disastrous in presentation*. Whose presentation do you mean: "
        "the Allies' in 1919, or German nationalists' in the years after?",
        quote="not too harsh in substance, but disastrous in presentation",
    )
    replies.reply_to(
        people["ana@example.edu"], ana_post, answered.id,
        "Mostly the second. The Allies drafted Article 231 as a legal basis for liability, "
        "but the German government itself published it as a moral verdict, which made it "
        "easy for the right to campaign against the 'war guilt lie'.")
    replies.ask_prompt(
        ta, ben_post, None,
        "Can you say where the 50 billion figure comes from and how it was to be paid? "
        "A sentence on the schedule would make your point much stronger.",
        quote="Even the A and B bonds amounted to 50 billion gold marks",
    )
