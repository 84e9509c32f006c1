"""English word lists and sentence grammar.

Notation (parsed by `curation.sample.grammar.en`):
- nouns: `sample` or `analysis|analyses` when the plural is irregular;
- verbs: `measure` or `base|third-person-singular|past` when irregular;
- modals: `sg|pl`.
"""

from __future__ import annotations

from curation.sample.lexicon.types import DomainWords, JunkWords, LanguageWords

# fmt: off

SCIENCE = DomainWords(
    nouns=(
        "sample", "experiment", "telescope", "galaxy|galaxies", "molecule", "protein", "cell", "genome",
        "fossil", "glacier", "particle", "laboratory|laboratories", "hypothesis|hypotheses",
        "spectrum|spectra", "species|species", "enzyme", "crystal", "sediment layer", "orbit", "neutron star",
        "ocean current", "climate model", "isotope", "mineral", "bacterium|bacteria", "microscope", "comet",
        "volcano|volcanoes", "magnetic field", "asteroid", "specimen", "ice core", "chromosome", "photon",
        "coral reef", "meteorite",
    ),
    agents=(
        "researcher", "physicist", "biologist", "chemist", "astronomer", "geologist", "scientist",
        "ecologist", "graduate student", "geneticist", "oceanographer", "lab technician",
    ),
    adjectives=(
        "experimental", "molecular", "genetic", "cosmic", "microscopic", "thermal", "chemical", "planetary",
        "evolutionary", "ancient", "quantum", "organic", "atmospheric", "magnetic", "statistical", "volcanic",
        "subatomic", "fossilized", "radioactive", "crystalline",
    ),
    verbs=(
        "measure", "observe", "detect", "sequence", "analyze", "map|maps|mapped", "identify", "simulate",
        "calibrate", "isolate", "classify", "examine", "photograph", "collect", "track", "catalogue",
        "model|models|modelled", "estimate", "reconstruct", "dissect", "excavate", "irradiate",
    ),
    units=(
        "samples", "light years", "degrees Celsius", "species", "million years", "nanometers", "specimens",
        "kilometers of ice",
    ),
    roles=(
        "physicist", "biologist", "geologist", "astronomer", "chemist", "climate scientist", "geneticist",
        "marine ecologist",
    ),
    places_at=(
        "at the University of {PLACE}", "at the {PLACE} Observatory", "at the {PLACE} Marine Laboratory",
        "at the National Museum of Natural History", "at the {LAST} Institute for Physics",
        "at the {PLACE} Center for Genomics",
    ),
    spam=(
        "free science homework answers", "buy lab equipment cheap", "miracle quantum healing",
        "science fair projects download",
    ),
    host_words=("science", "discovery", "labnotes", "research", "cosmos"),
)

HEALTH = DomainWords(
    nouns=(
        "vaccine", "symptom", "clinic", "hospital", "diagnosis|diagnoses", "treatment", "therapy|therapies",
        "infection", "blood pressure reading", "diet", "medication", "dose", "disease", "injury|injuries",
        "immune response", "sleep disorder", "heart rate", "vitamin", "antibiotic", "surgery|surgeries",
        "checkup", "allergy|allergies", "prescription", "screening program", "rehabilitation program",
        "cholesterol level", "side effect", "pharmacy|pharmacies", "virus|viruses", "ward",
        "outpatient visit", "blood test", "inhaler", "insulin pump", "migraine", "fracture",
    ),
    agents=(
        "doctor", "nurse", "physician", "surgeon", "pharmacist", "patient", "epidemiologist", "therapist",
        "caregiver", "health official", "paramedic", "midwife|midwives",
    ),
    adjectives=(
        "clinical", "chronic", "medical", "preventive", "cardiac", "respiratory", "dietary", "surgical",
        "pediatric", "infectious", "acute", "nutritional", "hormonal", "diabetic", "intensive", "antiviral",
        "postoperative", "inflammatory", "psychiatric", "orthopedic",
    ),
    verbs=(
        "diagnose", "treat", "prescribe", "vaccinate", "monitor", "screen", "prevent", "relieve",
        "administer", "assess", "refer|refers|referred", "recommend", "evaluate", "manage", "document",
        "immunize", "sterilize", "bandage", "hospitalize", "discharge", "examine", "inoculate",
    ),
    units=(
        "patients", "milligrams", "calories", "hospital beds", "doses", "beats per minute", "hours of sleep",
        "outpatient visits",
    ),
    roles=(
        "cardiologist", "general practitioner", "nurse practitioner", "epidemiologist", "pediatrician",
        "nutritionist", "oncologist", "public health researcher",
    ),
    places_at=(
        "at {PLACE} General Hospital", "at the {PLACE} Medical School", "at the {LAST} Clinic",
        "at the {PLACE} Department of Public Health", "at the {PLACE} Heart Foundation",
        "at {PLACE} Children's Hospital",
    ),
    spam=(
        "cheap diet pills", "lose weight fast", "buy pills online", "no prescription needed",
        "miracle detox cure",
    ),
    host_words=("health", "wellness", "medical", "clinic", "care"),
)

FINANCE = DomainWords(
    nouns=(
        "bond", "stock", "share price", "interest rate", "portfolio", "dividend", "loan", "mortgage",
        "pension fund", "inflation rate", "budget", "tax", "currency|currencies", "asset", "investment",
        "revenue", "profit", "debt", "savings account", "stock index|stock indices", "credit card",
        "exchange rate", "earnings report", "hedge fund", "insurance policy|insurance policies",
        "balance sheet", "deposit", "bailout", "bank", "tax return", "venture fund", "bond yield", "invoice",
        "payroll", "credit rating", "trading desk",
    ),
    agents=(
        "investor", "analyst", "banker", "economist", "trader", "shareholder", "accountant", "fund manager",
        "regulator", "lender", "broker", "auditor",
    ),
    adjectives=(
        "fiscal", "monetary", "financial", "quarterly", "volatile", "corporate", "taxable", "speculative",
        "profitable", "inflationary", "sovereign", "institutional", "budgetary", "liquid", "commercial",
        "bearish", "bullish", "leveraged", "offshore", "underwritten",
    ),
    verbs=(
        "invest|invests|invested", "borrow", "lend|lends|lent", "trade", "audit", "hedge", "refinance",
        "forecast|forecasts|forecast", "underwrite|underwrites|underwrote", "tax", "allocate", "diversify",
        "sell|sells|sold", "buy|buys|bought", "price", "finance", "restructure", "insure", "liquidate",
        "securitize", "devalue", "reinvest|reinvests|reinvested",
    ),
    units=(
        "dollars", "euros", "basis points", "shares", "million dollars", "billion euros", "pounds",
        "million pounds",
    ),
    roles=(
        "economist", "portfolio manager", "credit analyst", "chief financial officer", "tax adviser",
        "investment banker", "equity strategist", "bond trader",
    ),
    places_at=(
        "at the Bank of {PLACE}", "at {LAST} Capital", "at {LAST} Asset Management",
        "at the {PLACE} Stock Exchange", "at {LAST} and Partners", "at the {PLACE} Savings Bank",
    ),
    spam=(
        "fast cash loans", "crypto profits guaranteed", "get rich quick", "bad credit loans",
        "double your money",
    ),
    host_words=("finance", "markets", "money", "invest", "wealth"),
)

SPORTS = DomainWords(
    nouns=(
        "match|matches", "goal", "stadium", "tournament", "season", "championship", "league",
        "penalty|penalties", "medal", "race", "marathon", "trophy|trophies", "transfer", "training session",
        "playoff", "sprint", "racket", "finish line", "lap", "victory|victories", "defeat", "squad",
        "fixture", "jersey", "scoreboard", "free kick", "relay", "half-time whistle", "corner kick", "podium",
        "locker room", "penalty shootout", "title race", "bicycle kick", "dugout", "hat trick",
    ),
    agents=(
        "player", "coach|coaches", "athlete", "striker", "goalkeeper", "fan", "referee", "sprinter",
        "cyclist", "captain", "midfielder", "defender",
    ),
    adjectives=(
        "athletic", "competitive", "defensive", "offensive", "professional", "tactical", "unbeaten",
        "muscular", "sporting", "qualifying", "decisive", "amateur", "olympic", "relegated", "undefeated",
        "aerobic", "record-breaking", "acrobatic", "injured", "sprinting",
    ),
    verbs=(
        "score", "defend", "coach|coaches|coached", "win|wins|won", "lose|loses|lost", "train", "tackle",
        "qualify", "dribble", "referee", "sponsor", "host", "beat|beats|beat", "celebrate", "draft", "sign",
        "block", "outrun|outruns|outran", "relegate", "sprint", "captain", "overtake|overtakes|overtook",
    ),
    units=("points", "goals", "spectators", "kilometers", "seconds", "laps", "medals", "yards"),
    roles=(
        "head coach", "team captain", "sports physiotherapist", "commentator", "club president",
        "fitness coach", "goalkeeping coach", "talent scout",
    ),
    places_at=(
        "at {PLACE} United", "at {PLACE} Rovers", "at the {PLACE} Athletic Club",
        "at the National Olympic Committee", "at {PLACE} City Football Club", "at the {PLACE} Cycling Club",
    ),
    spam=(
        "free live stream", "sure betting tips", "cheap jerseys online", "football betting odds",
        "watch every match free",
    ),
    host_words=("sports", "matchday", "league", "athletics", "scoreline"),
)

TECHNOLOGY = DomainWords(
    nouns=(
        "software package", "smartphone", "processor", "server", "algorithm", "database", "network", "app",
        "chip", "cloud service", "battery|batteries", "sensor", "robot", "programming language", "startup",
        "update", "browser", "operating system", "encryption key", "data center", "laptop", "router",
        "code base", "interface", "semiconductor", "drone", "chatbot", "password", "firmware",
        "security patch|security patches", "device", "compiler", "microcontroller", "graphics card",
        "search engine", "software bug",
    ),
    agents=(
        "engineer", "developer", "programmer", "designer", "hacker", "user", "startup founder", "technician",
        "data scientist", "product manager", "system administrator", "tester",
    ),
    adjectives=(
        "digital", "wireless", "encrypted", "automated", "open-source", "mobile", "virtual", "computational",
        "robotic", "scalable", "electronic", "programmable", "cloud-based", "autonomous", "secure",
        "algorithmic", "high-speed", "touchscreen", "networked", "backend",
    ),
    verbs=(
        "install", "deploy", "encrypt", "program|programs|programmed", "debug|debugs|debugged", "upgrade",
        "download", "stream", "automate", "configure", "hack", "launch", "code", "reboot", "patch", "compile",
        "optimize", "integrate", "benchmark", "prototype", "virtualize", "overclock",
    ),
    units=(
        "users", "gigabytes", "megabits per second", "servers", "lines of code", "devices", "terabytes",
        "transistors",
    ),
    roles=(
        "software engineer", "chief technology officer", "security researcher", "data scientist",
        "hardware designer", "product manager", "machine learning engineer", "network architect",
    ),
    places_at=(
        "at {LAST} Systems", "at {PLACE} Labs", "at {LAST} Software", "at the {PLACE} Institute of Computing",
        "at {LAST} Robotics", "at {LAST} Networks",
    ),
    spam=(
        "free software download", "cheap phone unlock", "vpn crack free", "free gift card generator",
        "unlimited followers hack",
    ),
    host_words=("tech", "gadget", "software", "digital", "bytes"),
)

COOKING = DomainWords(
    nouns=(
        "recipe", "sauce", "oven", "dough", "spice", "ingredient", "soup", "pastry|pastries", "skillet",
        "garlic clove", "onion", "tomato|tomatoes", "pan", "knife|knives", "loaf|loaves", "cake", "vegetable",
        "herb", "marinade", "casserole", "dumpling", "salad", "broth", "roast", "fillet", "pie", "cookbook",
        "kitchen", "lemon", "potato|potatoes", "mushroom", "noodle", "grill", "spatula", "saucepan",
        "pancake",
    ),
    agents=(
        "chef", "cook", "baker", "home cook", "food writer", "restaurant owner", "pastry chef", "butcher",
        "sommelier", "diner", "caterer", "line cook",
    ),
    adjectives=(
        "crispy", "savory", "roasted", "spicy", "tender", "creamy", "homemade", "caramelized", "aromatic",
        "buttery", "golden", "tangy", "smoky", "crunchy", "juicy", "flaky", "zesty", "garlicky", "braised",
        "sticky",
    ),
    verbs=(
        "bake", "roast", "simmer", "chop|chops|chopped", "season", "whisk", "grill", "knead", "marinate",
        "fry|fries|fried", "slice", "stir|stirs|stirred", "boil", "garnish", "taste", "serve", "braise",
        "peel", "sear", "poach", "glaze", "blanch",
    ),
    units=(
        "grams", "minutes", "tablespoons", "servings", "cups of flour", "slices", "teaspoons of salt",
        "grams of butter",
    ),
    roles=(
        "head chef", "pastry chef", "food critic", "cookbook author", "restaurant owner", "baker",
        "food stylist", "culinary instructor",
    ),
    places_at=(
        "at the {PLACE} Culinary Institute", "at {LAST}'s Bistro", "at the {PLACE} Cooking School",
        "at {LAST} Bakery", "at the {PLACE} Food Market", "at the {LAST} Supper Club",
    ),
    spam=(
        "best recipes free", "weight loss recipes", "cheap kitchen knives", "free recipe ebook",
        "secret sauce revealed",
    ),
    host_words=("kitchen", "recipes", "food", "cooking", "pantry"),
)

SENTENCES = (
    "{S} {V} {O} {PP}.",
    "{CONN} {S} {VD} {O}.",
    "{TIME}, {S} {VD} {O} {PP}.",
    "According to {NAME}, {S} {V} {O} {PP}.",
    "{SP} {SAY} that {S2} {VD2} {O2} {TIME}.",
    "{ST} {BE} {ADJ}, but {S2} {V2} {O2}.",
    "Because {S} {V} {O}, {S2} {MODAL2} {VB2} {O2}.",
    "{S} {VD} {O}, and {S2} {VD2} {O2} {PP}.",
    "{S} {MODAL} {VB} {O} if {S2} {V2} {O2}.",
    "{MEASURE} of {NPPL} {CHG} by {PCT} {TIME}.",
    "{SPR} {VD} {O} {TIME}.",
    "{S} {V} {O}, while {S2} {V2} {O2} {PP}.",
    "Although {S} {VD} {O}, {ST2} {BED2} still {ADJ2}.",
    "{S} {V} not only {O} but also {O}.",
    "{ST} {BE} especially {ADJ} {PP}.",
    "In {PLACE}, {S} {VD} about {NUM} {TIME}.",
    "In total, {S} {VD} {NUM} {PP}.",
    "Few {AG} expected that {S} {MODALD} {VB} {O} so quickly.",
    "{S} {VD} {O} shortly after {S2} {VD2} {O2}.",
    '"{S} {V} {O}," {SAYP} {NAME}.',
    "{EVID} that {S} {V} {O} {PP}.",
    "{S} {VD} {O}, which {S2} later {VD2}.",
    "To {VB} {O}, {S} {V} {O} {PP}.",
    "Instead of {O}, {S} {VD} {O} {TIME}.",
    "{SA} {V} {O} {PP}, but {S2} {V2} {O2} {TIME}.",
    "{S} {V} {O}; {S2} {V2} {O2}.",
    "{CONN} {ST} {BE} {ADJ}.",
    "Every year, {S} {V} {O} {PP}.",
    "{S}, {NAME} {SAY}, {V} {O} {PP}.",
    "{SP} {VD} {O} {PP} and {VD} {O} {TIME}.",
    "{S} {MODAL} {VB} {O} {PP}, {SP2} {SAY2}.",
    "{S} {VD} {O} {PP}, a move that surprised many {AG}.",
    "Over the past {FEW} years, {S} {VD} {O} {PP}.",
    "{SB} {V} {O} when {S2} {V2} {O2}.",
    "Interest in {NPPL} {CHG} by {PCT} {TIME}, {NAME} {SAY}.",
    "{SPR} {SAY} that {ST2} {BED2} {ADJ2}.",
)

TITLES = (
    "How {SB} {V} {O}",
    "Why {S} {V} {O}",
    "{NPT} in {PLACE}: what {AG} should know",
    "{NAME} on {NPT} and {NPT}",
    "What {NPT} reveal about {NPT}",
    "Inside the world of {NPT}",
    "{NPT}: lessons from {PLACE}",
    "A closer look at {NPT} in {PLACE}",
    "The quiet rise of {NPT}",
    "When {SB} {V} {O}",
)

JUNK = JunkWords(
    nav=(
        "Home", "About", "About us", "Contact", "Blog", "Shop", "Login", "Register", "Privacy Policy",
        "Terms of Use", "FAQ", "Careers", "Newsletter", "Sitemap", "Search", "Menu", "Events", "Press",
    ),
    cookie=(
        "We use cookies to improve your experience on our website.",
        "By continuing to browse, you agree to our use of cookies.", "Accept all cookies",
        "Manage cookie preferences", "This site uses cookies for analytics and personalised content.",
    ),
    footer=(
        "Privacy Policy", "Terms and Conditions", "Cookie Settings", "Accessibility", "Contact us",
        "Advertise with us", "Follow us on Facebook", "Follow us on Twitter", "Back to top",
        "Skip to content",
    ),
    copyright="Copyright {YEAR} {SITE}. All rights reserved.",
    offers=(
        "BUY NOW AND SAVE 90% TODAY ONLY", "LIMITED TIME OFFER CLICK HERE", "YOU HAVE WON A FREE IPHONE",
        "100% FREE NO CREDIT CARD REQUIRED", "ACT NOW BEFORE IT IS TOO LATE", "BEST PRICE GUARANTEED",
    ),
    calls=("Click here", "Buy now", "Order today", "Sign up free", "Visit our store", "Download now"),
)

EN = LanguageWords(
    code="en",
    tlds=("com", "org", "net", "co.uk", "com.au"),
    host_suffixes=(
        "news", "daily", "journal", "today", "weekly", "hub", "review", "insider", "times", "report",
    ),
    domains={
        "science": SCIENCE,
        "health": HEALTH,
        "finance": FINANCE,
        "sports": SPORTS,
        "technology": TECHNOLOGY,
        "cooking": COOKING,
    },
    adjectives=(
        "new", "recent", "large", "small", "common", "local", "major", "unexpected", "detailed", "modest",
        "familiar", "regional", "popular", "rare", "costly", "typical", "early", "second",
    ),
    predicates=(
        "important", "difficult", "expensive", "reliable", "unusual", "promising", "controversial",
        "essential", "surprising", "popular", "risky", "effective", "fragile", "rare", "useful", "slow",
    ),
    first_names_m=(
        "James", "Daniel", "Michael", "Robert", "David", "Thomas", "Samuel", "Andrew", "Peter", "Mark",
        "Kevin", "Brian", "Jonathan", "Gregory", "Patrick", "Oliver", "Henry", "Simon", "Edward", "Nathan",
    ),
    first_names_f=(
        "Sarah", "Emily", "Laura", "Rachel", "Hannah", "Jessica", "Rebecca", "Karen", "Megan", "Olivia",
        "Grace", "Alice", "Claire", "Lucy", "Helen", "Amanda", "Natalie", "Victoria", "Julia", "Susan",
    ),
    last_names=(
        "Carter", "Mitchell", "Harrison", "Bennett", "Foster", "Hughes", "Palmer", "Reynolds", "Sullivan",
        "Walsh", "Coleman", "Fletcher", "Griffin", "Hayes", "Jenkins", "Kennedy", "Lawson", "Morgan",
        "Porter", "Russell", "Spencer", "Turner", "Warren", "Whitaker", "Barnes", "Crawford", "Dawson",
        "Ellis", "Fisher", "Gordon",
    ),
    places=(
        "Leeds", "Bristol", "Denver", "Portland", "Toronto", "Adelaide", "Glasgow", "Cardiff", "Austin",
        "Boston", "Dublin", "Auckland", "Halifax", "Nottingham", "Sheffield", "Vancouver", "Brisbane",
        "Madison", "Tucson", "Oxford", "Baltimore", "Phoenix", "Seattle", "Ottawa", "Perth", "Norwich",
    ),
    connectors=(
        "However,", "In addition,", "Meanwhile,", "As a result,", "At the same time,", "For example,",
        "In contrast,", "Moreover,", "Still,", "By comparison,", "Nevertheless,", "In practice,",
        "On the other hand,", "Not surprisingly,", "In the end,", "Even so,",
    ),
    times=(
        "in {YEAR}", "last year", "in recent months", "over the past decade", "earlier this year",
        "during the winter of {YEAR}", "{FEW} years ago", "in the spring of {YEAR}", "last week",
        "by the end of {YEAR}", "in the autumn of {YEAR}", "late last month",
    ),
    evidentials=(
        "It is clear", "It seems likely", "Most observers agree", "There is little doubt",
        "Many experts now believe", "Recent reports suggest", "Critics argue", "Supporters point out",
    ),
    few=("two", "three", "four", "five", "six", "seven"),
    months=(
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ),
    measures=(
        "The share", "The number", "The average cost", "The total value", "The proportion", "The demand",
    ),
    changes=("rose", "fell", "grew", "dropped", "increased", "declined", "jumped", "slipped"),
    modals=("can|can", "could|could", "may|may", "might|might", "should|should", "will|will"),
    modals_past=("could|could", "would|would"),
    say_past=("said", "noted", "explained", "added", "argued", "told reporters", "wrote"),
    say_present=("says", "explains", "notes", "adds", "argues"),
    prepositions=(
        "in", "for", "with", "across", "among", "near", "around", "alongside", "without", "beyond", "through",
        "behind",
    ),
    sentences=SENTENCES,
    titles=TITLES,
    insertions=("also", "often", "still", "really", "reportedly", "clearly", "largely", "now"),
    footers=(
        "Updated on {DATE}.", "This article first appeared on {HOST}.",
        "Share this story with your friends and colleagues.", "Read more stories like this on {HOST}.",
        "Reporting by {NAME}; editing by {NAME}.",
    ),
    junk=JUNK,
)
# fmt: on
