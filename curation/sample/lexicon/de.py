"""German word lists and sentence grammar.

Notation (parsed by `curation.sample.grammar.de`):
- nouns: `gender singular plural` with gender `m`, `f` or `n` (weak masculine nouns are avoided
  because they would need their own case endings);
- adjectives: the uninflected stem (`genetisch`); stems that drop an `e` when inflected are avoided;
- verbs: the infinitive of a regular, inseparable verb, or `infinitive|3sg|3pl|past-sg|past-pl`;
- roles: `masculine/feminine`; modals: `sg|pl`.
Word order (verb second, verb-final subordinate clauses) is written into the templates.
"""

from __future__ import annotations

from curation.sample.lexicon.types import DomainWords, JunkWords, LanguageWords

# fmt: off
SCIENCE = DomainWords(
    nouns=(
        "f Probe Proben", "n Experiment Experimente", "n Teleskop Teleskope", "f Galaxie Galaxien",
        "n Molekül Moleküle", "n Protein Proteine", "f Zelle Zellen", "n Genom Genome", "n Fossil Fossilien",
        "m Gletscher Gletscher", "n Teilchen Teilchen", "n Labor Labore", "f Hypothese Hypothesen",
        "n Spektrum Spektren", "f Tierart Tierarten", "n Enzym Enzyme", "m Kristall Kristalle",
        "f Sedimentschicht Sedimentschichten", "f Umlaufbahn Umlaufbahnen",
        "m Neutronenstern Neutronensterne", "f Meeresströmung Meeresströmungen", "n Klimamodell Klimamodelle",
        "n Isotop Isotope", "n Mineral Mineralien", "n Bakterium Bakterien", "n Mikroskop Mikroskope",
        "m Vulkan Vulkane", "n Magnetfeld Magnetfelder", "m Eisbohrkern Eisbohrkerne",
        "n Chromosom Chromosome", "n Photon Photonen", "n Korallenriff Korallenriffe",
        "m Datensatz Datensätze", "f Messreihe Messreihen",
    ),
    agents=(
        "m Forscher Forscher", "f Forscherin Forscherinnen", "m Physiker Physiker", "f Biologin Biologinnen",
        "m Chemiker Chemiker", "f Astronomin Astronominnen", "f Geologin Geologinnen",
        "f Wissenschaftlerin Wissenschaftlerinnen", "m Wissenschaftler Wissenschaftler",
        "f Ökologin Ökologinnen", "m Laborleiter Laborleiter", "f Genetikerin Genetikerinnen",
        "m Meeresforscher Meeresforscher",
    ),
    adjectives=(
        "experimentell", "molekular", "genetisch", "kosmisch", "mikroskopisch", "thermisch", "chemisch",
        "planetar", "evolutionär", "uralt", "organisch", "atmosphärisch", "magnetisch", "statistisch",
        "vulkanisch", "radioaktiv", "subatomar", "fossil", "kristallin", "geologisch",
    ),
    verbs=(
        "messen|misst|messen|maß|maßen", "beobachten", "entdecken", "sequenzieren", "analysieren",
        "kartieren", "identifizieren", "simulieren", "kalibrieren", "isolieren", "klassifizieren",
        "untersuchen", "fotografieren", "sammeln", "verfolgen", "katalogisieren", "modellieren", "schätzen",
        "rekonstruieren", "sezieren", "bestrahlen", "datieren",
    ),
    units=("Proben", "Lichtjahre", "Grad Celsius", "Tierarten", "Millionen Jahre", "Nanometer", "Exemplare"),
    roles=(
        "Physiker/Physikerin", "Biologe/Biologin", "Geologe/Geologin", "Astronom/Astronomin",
        "Chemiker/Chemikerin", "Klimaforscher/Klimaforscherin", "Genetiker/Genetikerin",
    ),
    places_at=(
        "an der Universität {PLACE}", "an der Sternwarte {PLACE}",
        "am Institut für Meeresbiologie in {PLACE}", "am Naturkundemuseum {PLACE}",
        "am {LAST}-Institut für Physik", "am Zentrum für Genomforschung in {PLACE}",
    ),
    spam=("Hausaufgaben Lösungen gratis", "Laborbedarf billig kaufen", "Quantenheilung Wunder"),
    host_words=("wissenschaft", "forschung", "entdeckung", "labor"),
)

HEALTH = DomainWords(
    nouns=(
        "m Impfstoff Impfstoffe", "n Symptom Symptome", "f Klinik Kliniken", "n Krankenhaus Krankenhäuser",
        "f Diagnose Diagnosen", "f Behandlung Behandlungen", "f Therapie Therapien",
        "f Infektion Infektionen", "m Blutdruckwert Blutdruckwerte", "f Diät Diäten",
        "n Medikament Medikamente", "f Dosis Dosen", "f Krankheit Krankheiten", "f Verletzung Verletzungen",
        "f Immunreaktion Immunreaktionen", "f Schlafstörung Schlafstörungen", "f Herzfrequenz Herzfrequenzen",
        "n Vitamin Vitamine", "n Antibiotikum Antibiotika", "f Operation Operationen",
        "f Vorsorgeuntersuchung Vorsorgeuntersuchungen", "f Allergie Allergien",
        "f Verschreibung Verschreibungen", "n Screeningprogramm Screeningprogramme",
        "m Cholesterinwert Cholesterinwerte", "f Nebenwirkung Nebenwirkungen", "f Apotheke Apotheken",
        "n Virus Viren", "f Station Stationen", "m Bluttest Bluttests", "m Inhalator Inhalatoren",
        "f Insulinpumpe Insulinpumpen", "f Migräne Migränen", "m Knochenbruch Knochenbrüche",
    ),
    agents=(
        "m Arzt Ärzte", "f Ärztin Ärztinnen", "f Pflegekraft Pflegekräfte", "f Chirurgin Chirurginnen",
        "m Apotheker Apotheker", "f Patientin Patientinnen", "f Epidemiologin Epidemiologinnen",
        "f Therapeutin Therapeutinnen", "m Sanitäter Sanitäter", "f Hebamme Hebammen", "m Hausarzt Hausärzte",
        "f Krankenschwester Krankenschwestern",
    ),
    adjectives=(
        "klinisch", "chronisch", "medizinisch", "präventiv", "kardiologisch", "diätetisch", "chirurgisch",
        "pädiatrisch", "infektiös", "akut", "hormonell", "diabetisch", "intensivmedizinisch", "antiviral",
        "postoperativ", "entzündlich", "psychiatrisch", "orthopädisch", "ambulant", "therapeutisch",
    ),
    verbs=(
        "diagnostizieren", "behandeln", "verschreiben|verschreibt|verschreiben|verschrieb|verschrieben",
        "impfen", "überwachen", "verhindern", "lindern", "verabreichen", "bewerten",
        "überweisen|überweist|überweisen|überwies|überwiesen",
        "empfehlen|empfiehlt|empfehlen|empfahl|empfahlen", "dokumentieren", "sterilisieren",
        "verbinden|verbindet|verbinden|verband|verbanden", "röntgen", "operieren", "immunisieren",
        "entlassen|entlässt|entlassen|entließ|entließen", "therapieren",
    ),
    units=(
        "Patienten", "Milligramm", "Kalorien", "Krankenhausbetten", "Dosen", "Schläge pro Minute",
        "Stunden Schlaf",
    ),
    roles=(
        "Kardiologe/Kardiologin", "Hausarzt/Hausärztin", "Epidemiologe/Epidemiologin",
        "Kinderarzt/Kinderärztin", "Ernährungsberater/Ernährungsberaterin", "Onkologe/Onkologin",
        "Pflegeexperte/Pflegeexpertin",
    ),
    places_at=(
        "am Klinikum {PLACE}", "an der Medizinischen Hochschule {PLACE}", "in der {LAST}-Klinik",
        "beim Gesundheitsamt {PLACE}", "am Universitätsklinikum {PLACE}", "im Kinderkrankenhaus {PLACE}",
    ),
    spam=("Diätpillen billig", "schnell abnehmen", "Tabletten ohne Rezept", "Wunder Entgiftung"),
    host_words=("gesundheit", "medizin", "klinik", "wohlbefinden"),
)

FINANCE = DomainWords(
    nouns=(
        "f Anleihe Anleihen", "f Aktie Aktien", "m Aktienkurs Aktienkurse", "m Zinssatz Zinssätze",
        "n Portfolio Portfolios", "f Dividende Dividenden", "m Kredit Kredite", "f Hypothek Hypotheken",
        "m Pensionsfonds Pensionsfonds", "f Inflationsrate Inflationsraten", "m Haushaltsplan Haushaltspläne",
        "f Steuer Steuern", "f Währung Währungen", "f Investition Investitionen", "m Umsatz Umsätze",
        "m Gewinn Gewinne", "f Verbindlichkeit Verbindlichkeiten", "n Sparkonto Sparkonten",
        "m Aktienindex Aktienindizes", "f Kreditkarte Kreditkarten", "m Wechselkurs Wechselkurse",
        "m Quartalsbericht Quartalsberichte", "m Hedgefonds Hedgefonds",
        "f Versicherungspolice Versicherungspolicen", "f Bilanz Bilanzen", "f Einlage Einlagen",
        "n Rettungspaket Rettungspakete", "f Bank Banken", "f Steuererklärung Steuererklärungen",
        "f Rendite Renditen", "f Rechnung Rechnungen", "f Bonitätsnote Bonitätsnoten",
        "m Handelsraum Handelsräume", "m Vermögenswert Vermögenswerte",
    ),
    agents=(
        "m Anleger Anleger", "f Anlegerin Anlegerinnen", "f Analystin Analystinnen", "m Banker Banker",
        "f Ökonomin Ökonominnen", "m Händler Händler", "m Aktionär Aktionäre",
        "f Buchhalterin Buchhalterinnen", "m Fondsmanager Fondsmanager",
        "f Aufsichtsbehörde Aufsichtsbehörden", "m Kreditgeber Kreditgeber", "m Makler Makler",
        "m Wirtschaftsprüfer Wirtschaftsprüfer",
    ),
    adjectives=(
        "fiskalisch", "monetär", "finanziell", "vierteljährlich", "volatil", "steuerpflichtig", "spekulativ",
        "gewinnbringend", "inflationär", "institutionell", "kommerziell", "hochverzinslich", "kurzfristig",
        "langfristig", "börsennotiert", "verschuldet", "renditestark", "konjunkturell", "bilanziell",
        "steuerfrei",
    ),
    verbs=(
        "investieren", "leihen|leiht|leihen|lieh|liehen", "verkaufen", "kaufen", "prüfen", "refinanzieren",
        "prognostizieren", "versteuern", "finanzieren", "bewerten", "verzinsen", "liquidieren", "verbriefen",
        "verwalten", "tilgen", "bilanzieren", "reinvestieren", "versichern", "emittieren", "besteuern",
        "diversifizieren",
    ),
    units=("Euro", "Dollar", "Basispunkte", "Aktien", "Millionen Euro", "Milliarden Euro", "Franken"),
    roles=(
        "Ökonom/Ökonomin", "Fondsmanager/Fondsmanagerin", "Kreditanalyst/Kreditanalystin",
        "Finanzvorstand/Finanzvorständin", "Steuerberater/Steuerberaterin",
        "Investmentbanker/Investmentbankerin", "Anleihehändler/Anleihehändlerin",
    ),
    places_at=(
        "bei der Sparkasse {PLACE}", "bei {LAST} Capital", "bei der {LAST} Vermögensverwaltung",
        "an der Börse {PLACE}", "bei {LAST} und Partner", "bei der Landesbank {PLACE}",
    ),
    spam=(
        "schnelle Kredite ohne Schufa", "Krypto Gewinne garantiert", "schnell reich werden",
        "Geld verdoppeln",
    ),
    host_words=("finanzen", "boerse", "geld", "anlage"),
)

SPORTS = DomainWords(
    nouns=(
        "n Spiel Spiele", "n Tor Tore", "n Stadion Stadien", "n Turnier Turniere", "f Saison Saisons",
        "f Meisterschaft Meisterschaften", "f Liga Ligen", "m Elfmeter Elfmeter", "f Medaille Medaillen",
        "n Rennen Rennen", "m Marathon Marathons", "f Trophäe Trophäen", "m Transfer Transfers",
        "n Training Trainings", "n Endspiel Endspiele", "m Sprint Sprints", "m Schläger Schläger",
        "f Ziellinie Ziellinien", "f Runde Runden", "m Sieg Siege", "f Niederlage Niederlagen",
        "m Kader Kader", "n Trikot Trikots", "f Anzeigetafel Anzeigetafeln", "m Freistoß Freistöße",
        "f Staffel Staffeln", "m Eckball Eckbälle", "n Siegerpodest Siegerpodeste", "f Kabine Kabinen",
        "n Elfmeterschießen Elfmeterschießen", "m Titelkampf Titelkämpfe", "m Fallrückzieher Fallrückzieher",
        "m Hattrick Hattricks", "f Tabelle Tabellen",
    ),
    agents=(
        "m Spieler Spieler", "f Spielerin Spielerinnen", "m Trainer Trainer", "f Trainerin Trainerinnen",
        "f Athletin Athletinnen", "m Stürmer Stürmer", "m Torhüter Torhüter", "m Fan Fans",
        "m Schiedsrichter Schiedsrichter", "f Sprinterin Sprinterinnen", "m Radfahrer Radfahrer",
        "f Kapitänin Kapitäninnen", "m Mittelfeldspieler Mittelfeldspieler", "m Verteidiger Verteidiger",
    ),
    adjectives=(
        "sportlich", "athletisch", "defensiv", "offensiv", "professionell", "taktisch", "ungeschlagen",
        "muskulös", "entscheidend", "olympisch", "abgestiegen", "verletzt", "spektakulär", "ehrgeizig",
        "torhungrig", "dramatisch", "knapp", "kämpferisch", "rekordverdächtig", "souverän",
    ),
    verbs=(
        "schießen|schießt|schießen|schoss|schossen", "verteidigen", "trainieren",
        "gewinnen|gewinnt|gewinnen|gewann|gewannen", "verlieren|verliert|verlieren|verlor|verloren",
        "bestreiten|bestreitet|bestreiten|bestritt|bestritten", "feiern", "verpflichten", "sponsern",
        "veranstalten", "besiegen", "blocken", "überholen", "dominieren", "erzielen", "bejubeln", "kontern",
        "foulen", "parieren", "verlängern",
    ),
    units=("Punkte", "Tore", "Zuschauer", "Kilometer", "Sekunden", "Runden", "Medaillen"),
    roles=(
        "Cheftrainer/Cheftrainerin", "Mannschaftskapitän/Mannschaftskapitänin",
        "Sportphysiotherapeut/Sportphysiotherapeutin", "Kommentator/Kommentatorin",
        "Vereinspräsident/Vereinspräsidentin", "Fitnesstrainer/Fitnesstrainerin",
        "Torwarttrainer/Torwarttrainerin",
    ),
    places_at=(
        "beim FC {PLACE}", "bei Borussia {PLACE}", "beim SV {PLACE}", "beim Olympiastützpunkt {PLACE}",
        "beim Radsportverein {PLACE}", "beim TSV {PLACE}",
    ),
    spam=("Livestream gratis", "sichere Wetttipps", "billige Trikots", "Fußball Wetten Quoten"),
    host_words=("sport", "fussball", "spieltag", "liga"),
)

TECHNOLOGY = DomainWords(
    nouns=(
        "n Softwarepaket Softwarepakete", "n Smartphone Smartphones", "m Prozessor Prozessoren",
        "m Server Server", "m Algorithmus Algorithmen", "f Datenbank Datenbanken", "n Netzwerk Netzwerke",
        "f App Apps", "m Chip Chips", "m Clouddienst Clouddienste", "m Akku Akkus", "m Sensor Sensoren",
        "m Roboter Roboter", "f Programmiersprache Programmiersprachen", "n Update Updates",
        "m Browser Browser", "n Betriebssystem Betriebssysteme",
        "m Verschlüsselungscode Verschlüsselungscodes", "n Rechenzentrum Rechenzentren", "m Laptop Laptops",
        "m Router Router", "f Codebasis Codebasen", "f Schnittstelle Schnittstellen",
        "m Halbleiter Halbleiter", "f Drohne Drohnen", "m Chatbot Chatbots", "n Passwort Passwörter",
        "f Firmware-Version Firmware-Versionen", "n Sicherheitsupdate Sicherheitsupdates", "n Gerät Geräte",
        "m Compiler Compiler", "m Mikrocontroller Mikrocontroller", "f Grafikkarte Grafikkarten",
        "f Suchmaschine Suchmaschinen", "m Programmfehler Programmfehler",
    ),
    agents=(
        "m Ingenieur Ingenieure", "f Ingenieurin Ingenieurinnen", "m Entwickler Entwickler",
        "f Entwicklerin Entwicklerinnen", "m Programmierer Programmierer", "f Designerin Designerinnen",
        "m Hacker Hacker", "m Nutzer Nutzer", "f Gründerin Gründerinnen", "m Techniker Techniker",
        "f Datenwissenschaftlerin Datenwissenschaftlerinnen", "m Administrator Administratoren",
        "m Tester Tester",
    ),
    adjectives=(
        "digital", "drahtlos", "verschlüsselt", "automatisiert", "quelloffen", "mobil", "virtuell",
        "rechnergestützt", "robotisch", "skalierbar", "elektronisch", "programmierbar", "cloudbasiert",
        "autonom", "vernetzt", "algorithmisch", "leistungsstark", "energiesparend", "webbasiert",
        "intelligent",
    ),
    verbs=(
        "installieren", "verschlüsseln", "programmieren", "debuggen", "aktualisieren", "speichern",
        "streamen", "automatisieren", "konfigurieren", "hosten", "entwickeln", "testen", "kompilieren",
        "optimieren", "integrieren", "virtualisieren", "übertakten", "vernetzen", "digitalisieren", "patchen",
    ),
    units=(
        "Nutzer", "Gigabyte", "Megabit pro Sekunde", "Server", "Codezeilen", "Geräte", "Terabyte",
        "Transistoren",
    ),
    roles=(
        "Softwareentwickler/Softwareentwicklerin", "Technikvorstand/Technikvorständin",
        "Sicherheitsforscher/Sicherheitsforscherin", "Datenwissenschaftler/Datenwissenschaftlerin",
        "Hardwaredesigner/Hardwaredesignerin", "Produktmanager/Produktmanagerin",
        "Netzwerkarchitekt/Netzwerkarchitektin",
    ),
    places_at=(
        "bei {LAST} Systems", "bei {LAST} Software", "am Institut für Informatik in {PLACE}",
        "bei {LAST} Robotics", "bei {LAST} Networks", "im Technologiepark {PLACE}",
    ),
    spam=(
        "Software kostenlos herunterladen", "Handy entsperren billig", "VPN Crack gratis",
        "Gutschein Generator",
    ),
    host_words=("technik", "digital", "computer", "netzwelt"),
)

COOKING = DomainWords(
    nouns=(
        "n Rezept Rezepte", "f Soße Soßen", "m Ofen Öfen", "m Teig Teige", "n Gewürz Gewürze",
        "f Zutat Zutaten", "f Suppe Suppen", "n Törtchen Törtchen", "f Pfanne Pfannen",
        "f Knoblauchzehe Knoblauchzehen", "f Zwiebel Zwiebeln", "f Tomate Tomaten", "n Messer Messer",
        "n Brot Brote", "m Kuchen Kuchen", "f Gemüsesorte Gemüsesorten", "n Kraut Kräuter",
        "f Marinade Marinaden", "m Auflauf Aufläufe", "m Knödel Knödel", "m Salat Salate", "f Brühe Brühen",
        "m Braten Braten", "n Filet Filets", "f Pastete Pasteten", "n Kochbuch Kochbücher", "f Küche Küchen",
        "f Zitrone Zitronen", "f Kartoffel Kartoffeln", "m Pilz Pilze", "f Nudel Nudeln", "m Grill Grills",
        "m Pfannenwender Pfannenwender", "m Kochtopf Kochtöpfe", "m Pfannkuchen Pfannkuchen",
    ),
    agents=(
        "m Koch Köche", "f Köchin Köchinnen", "m Bäcker Bäcker", "f Bäckerin Bäckerinnen",
        "m Hobbykoch Hobbyköche", "f Foodbloggerin Foodbloggerinnen", "m Gastwirt Gastwirte",
        "m Konditor Konditoren", "m Metzger Metzger", "m Sommelier Sommeliers", "m Gast Gäste",
        "m Caterer Caterer",
    ),
    adjectives=(
        "knusprig", "herzhaft", "geröstet", "scharf", "zart", "cremig", "hausgemacht", "karamellisiert",
        "aromatisch", "buttrig", "goldbraun", "säuerlich", "rauchig", "saftig", "würzig", "fluffig",
        "geschmort", "frisch", "klebrig", "mürbe",
    ),
    verbs=(
        "backen|backt|backen|backte|backten", "rösten", "köcheln", "hacken", "würzen", "verquirlen",
        "grillen", "kneten", "marinieren", "braten|brät|braten|briet|brieten",
        "schneiden|schneidet|schneiden|schnitt|schnitten", "rühren", "kochen", "garnieren", "servieren",
        "schmoren", "schälen", "pochieren", "glasieren", "blanchieren", "flambieren", "pürieren", "panieren",
    ),
    units=("Gramm", "Minuten", "Esslöffel", "Portionen", "Tassen Mehl", "Scheiben", "Teelöffel Salz"),
    roles=(
        "Küchenchef/Küchenchefin", "Konditor/Konditorin", "Gastrokritiker/Gastrokritikerin",
        "Kochbuchautor/Kochbuchautorin", "Restaurantbesitzer/Restaurantbesitzerin",
        "Bäckermeister/Bäckermeisterin", "Kochlehrer/Kochlehrerin",
    ),
    places_at=(
        "an der Kochschule {PLACE}", "im Bistro {LAST}", "in der Bäckerei {LAST}",
        "auf dem Wochenmarkt {PLACE}", "im Gasthaus {LAST}", "in der Hotelfachschule {PLACE}",
    ),
    spam=("beste Rezepte gratis", "Abnehmen Rezepte", "billige Küchenmesser", "Rezept E-Book gratis"),
    host_words=("kueche", "rezepte", "kochen", "genuss"),
)

SENTENCES = (
    "{S} {V} {O} {PP}.",
    "{CONN} {VD} {S} {O}.",
    "{TIME} {VD} {S} {O} {PP}.",
    "Laut {NAME} {V} {S} {O} {PP}.",
    "{SP} {SAY}, dass {S2} {O2} {VD2}.",
    "{ST} {BE} {ADJ}, aber {S2} {V2} {O2}.",
    "Weil {S} {O} {V}, {MODAL2} {S2} {O2} {VB2}.",
    "{S} {VD} {O}, und {S2} {VD2} {O2} {PP}.",
    "{S} {MODAL} {O} {VB}, wenn {S2} {O2} {V2}.",
    "{MEASURE} {NPPL} {CHG} {TIME} um {PCT}.",
    "{SPR} {VD} {TIME} {O}.",
    "{S} {V} {O}, während {S2} {O2} {PP} {V2}.",
    "Obwohl {S} {O} {VD}, {BED2} {ST2} noch immer {ADJ2}.",
    "{S} {V} nicht nur {O}, sondern auch {O}.",
    "{ST} {BE} {PP} besonders {ADJ}.",
    "In {PLACE} {VD} {S} {TIME} rund {NUM}.",
    "Insgesamt {VD} {S} {NUM} {PP}.",
    "Nur wenige {AG} hatten erwartet, dass {S} {O} so schnell {VB} {MODALD}.",
    "{S} {VD} {O}, kurz bevor {S2} {O2} {VD2}.",
    "„{S} {V} {O}“, {SAYP} {NAME}.",
    "{EVID}, dass {S} {O} {PP} {V}.",
    "{S} {VD} {O}, {RELO} {S2} später {VD2}.",
    "Um {O} zu {VB}, {V} {S} {O} {PP}.",
    "Anstatt {O} zu {VB}, {VD} {S} {O} {TIME}.",
    "{SA} {V} {O} {PP}, aber {S2} {V2} {O2} {TIME}.",
    "{S} {V} {O}; {S2} {V2} {O2}.",
    "{CONN} {BE} {ST} {ADJ}.",
    "Jedes Jahr {V} {S} {O} {PP}.",
    "{S} {V} {O} {PP}, {SAYP} {NAME}.",
    "{SP} {VD} {O} {PP} und {VD} {O} {TIME}.",
    "{S} {MODAL} {O} {PP} {VB}, {SAY2} {SP2}.",
    "{S} {VD} {O} {PP}, was viele {AG} überraschte.",
    "In den vergangenen {FEW} Jahren {VD} {S} {O} {PP}.",
    "{SB} {V} {O}, wenn {S2} {O2} {V2}.",
    "Die Beliebtheit {NPPL} {CHG} {TIME} um {PCT}, {SAY} {NAME}.",
    "{SPR} {SAY}, dass {ST2} {ADJ2} {BED2}.",
)

TITLES = (
    "Wie {SB} {O} {V}",
    "Warum {S} {O} {V}",
    "{NPT} in {PLACE}: Was {AG} wissen sollten",
    "{NAME} über {NPT} und {NPT}",
    "Was {NPT} über {NPT} verraten",
    "Ein Blick auf {NPT} in {PLACE}",
    "{NPT}: Lehren aus {PLACE}",
    "Neue Erkenntnisse über {NPT}",
    "Wenn {SB} {O} {V}",
    "Alles über {NPT}",
)

JUNK = JunkWords(
    nav=(
        "Startseite", "Über uns", "Kontakt", "Blog", "Shop", "Anmelden", "Registrieren", "Datenschutz",
        "Impressum", "AGB", "FAQ", "Karriere", "Newsletter", "Sitemap", "Suche", "Menü", "Veranstaltungen",
        "Presse",
    ),
    cookie=(
        "Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten.",
        "Wenn Sie weitersurfen, stimmen Sie der Nutzung von Cookies zu.", "Alle Cookies akzeptieren",
        "Cookie-Einstellungen verwalten",
        "Diese Website nutzt Cookies für Statistiken und personalisierte Inhalte.",
    ),
    footer=(
        "Datenschutzerklärung", "Impressum", "Cookie-Einstellungen", "Barrierefreiheit", "Kontakt",
        "Werben bei uns", "Folgen Sie uns auf Facebook", "Folgen Sie uns auf Instagram", "Nach oben",
        "Zum Inhalt springen",
    ),
    copyright="© {YEAR} {SITE}. Alle Rechte vorbehalten.",
    offers=(
        "JETZT KAUFEN UND 90% SPAREN NUR HEUTE", "LIMITIERTES ANGEBOT HIER KLICKEN",
        "SIE HABEN EIN GRATIS IPHONE GEWONNEN", "100% GRATIS KEINE KREDITKARTE NÖTIG",
        "NUR NOCH WENIGE STUNDEN", "BESTPREIS GARANTIERT",
    ),
    calls=(
        "Hier klicken", "Jetzt kaufen", "Heute bestellen", "Gratis anmelden", "Zum Shop",
        "Jetzt herunterladen",
    ),
)

DE = LanguageWords(
    code="de",
    tlds=("de", "at", "ch"),
    host_suffixes=("aktuell", "magazin", "news", "heute", "blog", "portal", "welt", "zeitung"),
    domains={
        "science": SCIENCE,
        "health": HEALTH,
        "finance": FINANCE,
        "sports": SPORTS,
        "technology": TECHNOLOGY,
        "cooking": COOKING,
    },
    adjectives=(
        "neu", "aktuell", "groß", "klein", "häufig", "lokal", "wichtig", "unerwartet", "detailliert",
        "bescheiden", "bekannt", "regional", "beliebt", "selten", "kostspielig", "typisch", "früh", "zweit",
    ),
    predicates=(
        "wichtig", "schwierig", "teuer", "zuverlässig", "ungewöhnlich", "vielversprechend", "umstritten",
        "unverzichtbar", "überraschend", "beliebt", "riskant", "wirksam", "empfindlich", "selten", "nützlich",
        "langsam",
    ),
    first_names_m=(
        "Thomas", "Michael", "Andreas", "Stefan", "Markus", "Jan", "Lukas", "Felix", "Matthias", "Tobias",
        "Florian", "Sebastian", "Jürgen", "Wolfgang", "Klaus", "Dirk", "Uwe", "Bernd", "Holger", "Philipp",
    ),
    first_names_f=(
        "Anna", "Katrin", "Sabine", "Julia", "Claudia", "Petra", "Monika", "Lena", "Sophie", "Miriam",
        "Ursula", "Birgit", "Heike", "Franziska", "Johanna", "Silke", "Annette", "Carolin", "Stefanie",
        "Marion",
    ),
    last_names=(
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
        "Hoffmann", "Krause", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Hofmann", "Hartmann", "Lange", "Werner", "Krüger", "Lehmann", "Köhler", "Maier", "Huber",
        "Kaiser", "Fuchs",
    ),
    places=(
        "Leipzig", "Bremen", "Graz", "Münster", "Freiburg", "Heidelberg", "Kassel", "Rostock", "Dresden",
        "Augsburg", "Mainz", "Kiel", "Bielefeld", "Potsdam", "Salzburg", "Linz", "Innsbruck", "Göttingen",
        "Regensburg", "Würzburg", "Erfurt", "Bonn", "Jena", "Ulm",
    ),
    connectors=(
        "Außerdem", "Dennoch", "Deshalb", "Inzwischen", "Zudem", "Allerdings", "Trotzdem", "Gleichzeitig",
        "Dagegen", "Darüber hinaus", "Tatsächlich", "Schließlich", "Immerhin", "Folglich",
    ),
    times=(
        "im Jahr {YEAR}", "im vergangenen Jahr", "in den letzten Monaten", "im Frühjahr {YEAR}",
        "vor {FEW} Jahren", "im Winter {YEAR}", "Anfang {YEAR}", "Ende {YEAR}", "letzte Woche",
        "im Herbst {YEAR}", "im Laufe des Jahres {YEAR}", "Mitte {YEAR}",
    ),
    evidentials=(
        "Es ist klar", "Es scheint wahrscheinlich", "Viele Fachleute glauben", "Fest steht",
        "Kritiker bemängeln", "Befürworter betonen", "Neue Berichte zeigen", "Es gilt als sicher",
    ),
    few=("zwei", "drei", "vier", "fünf", "sechs", "sieben"),
    months=(
        "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
        "November", "Dezember",
    ),
    measures=("Die Zahl", "Der Anteil", "Der Durchschnittspreis", "Der Gesamtwert", "Die Menge", "Der Preis"),
    changes=("stieg", "sank", "wuchs", "fiel", "kletterte", "schrumpfte", "sprang"),
    modals=("kann|können", "könnte|könnten", "muss|müssen", "soll|sollen", "wird|werden", "darf|dürfen"),
    modals_past=("konnte|konnten", "würde|würden", "musste|mussten"),
    say_past=("sagte", "erklärte", "betonte", "ergänzte", "meinte", "berichtete"),
    say_present=("sagt", "erklärt", "betont", "meint", "ergänzt"),
    prepositions=("mit", "bei", "in", "neben", "aus", "nach"),
    sentences=SENTENCES,
    titles=TITLES,
    insertions=("auch", "oft", "noch", "wirklich", "angeblich", "deutlich", "weitgehend", "jetzt"),
    footers=(
        "Aktualisiert am {DATE}.", "Dieser Artikel erschien zuerst auf {HOST}.",
        "Teilen Sie diesen Beitrag mit Ihren Freunden.", "Weitere Artikel finden Sie auf {HOST}.",
        "Text: {NAME}, Redaktion: {NAME}.",
    ),
    junk=JUNK,
)
# fmt: on
