"""Word lists and phrase patterns the spam signals read; judgement, kept apart from code."""

from __future__ import annotations

import re

# Function words of the languages comments arrive in. They say nothing about whether a
# comment answers its post, so overlap ignores them.
STOPWORDS = frozenset(
    """
    a an the and or but if then than so as of to in on at by for from with without into
    onto about above below over under after before between through during since until
    is are was were be been being am do does did done have has had having will would
    shall should can could may might must not no nor only also too very just more most
    much many some any all each every both either neither few other such own same this
    that these those there here where when what which who whom whose why how it its it's
    i me my mine we us our ours you your yours he him his she her hers they them their
    theirs one ones yes
    el la los las un una unos unas y o pero de del en con por para que es son fue era
    este esta estos estas ese esa lo le les se su sus muy mas más como al sin sobre
    le la les un une des et ou mais de du dans sur pour par avec que qui est sont était
    ce cette ces il elle ils elles nous vous son sa ses leur leurs très plus pas ne
    der die das ein eine einer eines und oder aber von zu mit auf für ist sind war dem
    den des im nicht auch sehr wie es sie er wir ihr ich
    o a os as um uma de do da dos das em no na com por para que é são foi muito mais
    yang dan di ke dari ini itu untuk dengan adalah tidak ada pada juga saya kami anda
    """.split()
)

ENGLISH_FUNCTION_WORDS = frozenset(
    """
    the a an and or but of to in on at by for from with is are was were be been it this
    that these those not no as if so than then there their they he she his her we our you
    your i my me have has had do does did will would can could should which who what
    """.split()
)

# Function words of the other languages comments arrive in, none of them English words.
OTHER_FUNCTION_WORDS = frozenset(
    """
    el la los las una unos unas y pero del en con por para que es son muy más como sin
    les une des et ou mais du dans sur pour avec qui est sont ce cette ces il elle nous
    vous très pas ne der die das ein eine und oder aber von zu mit auf für ist sind nicht
    auch sehr wie sie er wir ich os um uma da dos das em na não são foi muito mais yang
    dan di ke dari ini itu untuk dengan adalah tidak ada juga saya il lo gli della che
    di è sono het een en van op voor niet ook zijn mijn ao às pelo pela essa esse isso
    nos numa num não aux au ses leurs nach bei über wurde dass
    """.split()
)

# Words that a generic comment uses about any page, so sharing them with the post is no
# sign of having read it.
GENERIC_WORDS = frozenset(
    """
    post posts article articles blog blogs site website page pages content information
    info great good nice awesome amazing excellent wonderful fantastic useful helpful
    interesting informative valuable thanks thank sharing share shared read reading
    reader readers topic topics keep work job write writing written writer wrote author
    really truly definitely people time thing things something lot lots way know think
    like love found find make made look looking see need want new best well please
    visit check also again today
    """.split()
)

# Generic praise in the languages comment spam arrives in; a person who read the post
# usually says something about it instead.
PRAISE = re.compile(
    r"\b(?:"
    r"(?:great|nice|good|awesome|amazing|excellent|wonderful|fantastic|superb|informative"
    r"|brilliant|lovely|helpful|useful|valuable|interesting)\s+"
    r"(?:post|article|blog|content|write[- ]?up|information|info|read|site|website|work|job"
    r"|piece|share|stuff)"
    r"|very\s+(?:informative|helpful|useful|nice|good|interesting|impressive)"
    r"|thanks?\s+(?:you\s+)?(?:so\s+much\s+|a\s+lot\s+)?for\s+(?:sharing|this|the|posting"
    r"|writing|such)"
    r"|keep\s+(?:it\s+up|up\s+the\s+good|posting|writing|sharing)"
    r"|(?:i\s+will|i'll|i\s+have|i've)\s+(?:bookmark|bookmarked|save[d]?\s+this)"
    r"|bookmarked|i\s+(?:really\s+)?(?:enjoyed|loved)\s+(?:reading\s+)?(?:this|your)"
    r"|(?:this|your)\s+(?:post|article|blog)\s+is\s+(?:very\s+|really\s+|so\s+)?(?:great"
    r"|good|nice|helpful|informative|amazing|awesome|excellent|useful|interesting)"
    r"|well\s+written|you(?:'re|\s+are)\s+doing\s+(?:a\s+)?(?:great|good|wonderful)\s+job"
    r"|you\s+(?:did|have\s+done)\s+(?:a\s+)?(?:great|good|wonderful)\s+job"
    r"|bravo|(?:tr[eè]s\s+)?bel\s+article|buen\s+(?:art[ií]culo|post|trabajo|aporte)"
    r"|gran\s+(?:art[ií]culo|post|aporte)|excelente\s+(?:art[ií]culo|post|informaci[oó]n"
    r"|contenido|blog)|gracias\s+por\s+compartir|muy\s+(?:buen|bueno|interesante|[uú]til)"
    r"|merci\s+pour\s+(?:ce|cet|cette|le|votre)\s+\w+|(?:tr[eè]s\s+)?bon\s+article"
    r"|super\s+article|excellent\s+article|article\s+(?:tr[eè]s\s+)?int[eé]ressant"
    r"|(?:toller|super|guter|sehr\s+guter|interessanter)\s+(?:artikel|beitrag|blog)"
    r"|danke\s+f[uü]r\s+(?:den|diesen|das|die)"
    r"|obrigad[oa]\s+por\s+compartilhar|(?:[oó]timo|excelente)\s+(?:artigo|post|conte[uú]do)"
    r"|artikel\s+yang\s+(?:sangat\s+)?(?:bagus|menarik|bermanfaat)"
    r"|terima\s+kasih\s+(?:atas|untuk)|sangat\s+(?:bermanfaat|membantu|menarik)"
    r"|спасибо\s+за\s+(?:статью|информацию|пост)|отличн\w+\s+(?:статья|пост|блог)"
    r"|полезн\w+\s+(?:статья|информация)|очень\s+(?:полезно|интересно|познавательно)"
    r")",
    re.IGNORECASE,
)
PRAISE_CJK = re.compile(r"好文|感谢分享|谢谢分享|非常有用|很有帮助|写得好|写得很好|好文章")

SHARE_REQUEST = re.compile(
    r"\b(?:"
    r"(?:i\s+will|i'll|i\s+am\s+going\s+to|going\s+to|will|let\s+me)\s+(?:definitely\s+)?"
    r"(?:share|recommend|tweet|pin|repost)\s+(?:this|it|your)"
    r"|share\s+(?:this|it|your\s+\w+)\s+(?:with|on|to)\s+(?:my|your|all|the|facebook"
    r"|twitter|friends|others|everyone)"
    r"|(?:can|may|could)\s+i\s+(?:share|repost|quote|translate|link)"
    r"|(?:mind\s+if\s+i|okay\s+if\s+i|ok\s+if\s+i)\s+(?:share|quote|link|repost)"
    r"|(?:tell|told|send|sent)\s+(?:all\s+)?my\s+(?:friends|followers|colleagues)"
    r"|(?:link|linking)\s+(?:to\s+)?(?:your|this)\s+(?:blog|post|site|article)\s+(?:from|on)"
    r"|guest\s+post(?:ing)?|exchange\s+links|link\s+exchange|write\s+for\s+(?:your|you)"
    r"|(?:visit|check\s+out|have\s+a\s+look\s+at)\s+(?:my|our)\s+(?:blog|site|website|page"
    r"|profile|channel)"
    r"|compartir\w*\s+(?:en|con)\s+(?:mis|mi)|partager\s+(?:sur|avec)"
    r"|teilen\s+(?:auf|mit)|compartilhar\s+(?:com|no|na)|bagikan\s+(?:ke|di)"
    r"|поделюсь|делитесь|посетите\s+мой|заходите\s+на"
    r")",
    re.IGNORECASE,
)

# Phrasing common in mass-produced or machine-translated comments and rare in students'
# writing; crude on purpose, the model weighs it.
BROKEN_ENGLISH = re.compile(
    r"\b(?:"
    r"kindly|dear\s+(?:admin|sir|madam|author|blogger|webmaster)|hello\s+admin|hi\s+admin"
    r"|do\s+visit|please\s+(?:do\s+)?visit|i\s+am\s+(?:very\s+)?(?:much\s+)?(?:happy|glad"
    r"|impressed)\s+to|informations|advices|knowledges|researchs|very\s+much\s+(?:useful"
    r"|helpful|informative)|its\s+(?:very|really|a\s+very)|such\s+a\s+(?:nice|great)\s+"
    r"(?:information|informations)|more\s+and\s+more\s+(?:post|posts|articles)"
    r"|your\s+(?:post|article|blog|writing)\s+(?:is|are)\s+(?:very\s+)?(?:nice|good|help)"
    r"|i\s+(?:got|get)\s+(?:many|much|lot)\s+of|this\s+(?:post|blog|article)\s+(?:give|make)s?"
    r"\s+me|thank\s+you\s+for\s+(?:giving|provide|providing)|keep\s+update|is\s+too\s+good"
    r"|(?:good|nice|great)\s+(?:informations?|contents?)\s+(?:you|u)\s+(?:share|shared|have)"
    r"|u\s+(?:are|have|share)|ur\s+(?:post|blog|article)|plz|pls"
    r")\b",
    re.IGNORECASE,
)

# Words in an author's name that a person rarely goes by but a business, a service or a
# keyword-stuffed backlink does.
BUSINESS_WORDS = frozenset(
    """
    best top cheap cheapest buy online services service agency agencies ltd llc inc gmbh
    company shop store solutions consulting consultants marketing seo digital repair
    repairs plumbing plumber plumbers roofing cleaning cleaners movers moving dental
    dentist clinic pharmacy pharma lawyer lawyers attorney loans loan lending casino
    casinos bet betting slots poker escorts escort call girls dating essay essays writing
    writers homework assignment assignments dissertation thesis crypto bitcoin forex
    trading trader invest investment hotel hotels tours travel insurance realty estate
    boutique salon spa hub experts official sale deals discount wholesale pills viagra
    cbd vape keto replica apk download hack hacks followers likes recovery support
    helpline tech technician locksmith packers rental rentals
    """.split()
)

# Places that keyword-stuffed author names name; a person called "Sydney" or "Paris"
# is caught only where the name also reads like a business.
PLACES = frozenset(
    """
    dallas houston austin chicago miami atlanta phoenix denver seattle boston orlando
    tampa vegas angeles york jersey brooklyn toronto vancouver calgary london manchester
    birmingham leeds glasgow dublin sydney melbourne brisbane perth auckland dubai
    sharjah doha riyadh mumbai delhi bangalore bengaluru hyderabad chennai pune kolkata
    noida gurgaon jaipur karachi lahore dhaka lagos nairobi johannesburg singapore
    manila jakarta bali bangkok kuala lumpur istanbul moscow kyiv paris berlin madrid
    barcelona lisbon amsterdam usa uk india canada australia california texas florida
    """.split()
)

# Where history students' sources live: archives, libraries, universities, museums.
SOURCE_DOMAINS = frozenset(
    """
    archive.org jstor.org wikipedia.org wikisource.org doi.org loc.gov archives.gov
    nationalarchives.gov.uk bl.uk bnf.fr europeana.eu gutenberg.org hathitrust.org
    britannica.com muse.jhu.edu cambridge.org oup.com tandfonline.com springer.com
    yale.edu avalon.law.yale.edu fordham.edu ushmm.org iwm.org.uk smithsonianmag.com
    si.edu metmuseum.org britishmuseum.org bundesarchiv.de dhm.de trove.nla.gov.au
    digitalcollections.nypl.org nypl.org gallica.bnf.fr archives.nationales.culture.gouv.fr
    history.state.gov wilsoncenter.org digitalarchive.wilsoncenter.org
    """.split()
)
SOURCE_HINTS = ("museum", "archive", "library", "librar", "universit", "college")
SOURCE_SUFFIXES = tuple(
    ".edu .gov .mil .ac.uk .gov.uk .edu.au .gov.au .ac.jp .gouv.fr .ac.nz .ac.za .ac.in .edu.in"
    .split()
)

# Second-level labels under which a registrable domain has three parts (bbc.co.uk).
SECOND_LEVEL = frozenset("co com org net ac gov edu ne or go".split())

TLDS = (
    "com|net|org|info|biz|xyz|top|online|site|store|shop|club|pro|io|co|me|ly|in|us|uk"
    "|de|fr|es|it|nl|ru|ua|br|pt|id|cn|jp|kr|au|ca|mx|ar|pl|tr|vn|ph|pk|ng|za|edu|gov"
    "|live|today|blog|link|click|win|bet|casino|loan|app|dev|tech|agency|world|vip"
)
