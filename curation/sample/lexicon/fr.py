"""French word lists and sentence grammar.

Notation (parsed by `curation.sample.grammar.fr`):
- nouns: `gender singular` or `gender singular|plural` when the plural is not regular
  (multi-word nouns always spell their plural out);
- adjectives: the masculine singular, or `masculine/feminine` when the feminine is not `+e`;
  every adjective is placed after the noun;
- verbs: the infinitive of a regular `-er` verb, or `infinitive|3sg|3pl|past-participle`;
- roles: `masculine/feminine`; modals: `sg|pl`.
Elision (`l'`, `d'`, `qu'`) and contraction (`du`, `des`, `au`, `aux`) are applied by the grammar.
"""

from __future__ import annotations

from curation.sample.lexicon.types import DomainWords, JunkWords, LanguageWords

# fmt: off
SCIENCE = DomainWords(
    nouns=(
        "m échantillon", "f expérience", "m télescope", "f galaxie", "f molécule", "f protéine", "f cellule",
        "m génome", "m fossile", "m glacier", "f particule", "m laboratoire", "f hypothèse", "m spectre",
        "f espèce", "f enzyme", "m cristal", "f couche de sédiments|couches de sédiments", "f orbite",
        "f étoile à neutrons|étoiles à neutrons", "m courant océanique|courants océaniques",
        "m modèle climatique|modèles climatiques", "m isotope", "m minéral", "f bactérie", "m microscope",
        "f comète", "m volcan", "m champ magnétique|champs magnétiques", "m astéroïde", "m spécimen",
        "f carotte de glace|carottes de glace", "m chromosome", "m photon",
        "m récif corallien|récifs coralliens", "f météorite", "m jeu de données|jeux de données",
    ),
    agents=(
        "m chercheur", "f chercheuse", "m physicien", "f biologiste", "m chimiste", "f astronome",
        "m géologue", "f scientifique", "m écologue", "m doctorant", "f généticienne", "m océanographe",
        "f physicienne",
    ),
    adjectives=(
        "expérimental", "moléculaire", "génétique", "cosmique", "microscopique", "thermique", "chimique",
        "planétaire", "évolutif/évolutive", "ancien/ancienne", "quantique", "organique", "atmosphérique",
        "magnétique", "statistique", "volcanique", "subatomique", "fossilisé", "radioactif/radioactive",
        "cristallin", "géologique",
    ),
    verbs=(
        "mesurer", "observer", "détecter", "séquencer", "analyser", "cartographier", "identifier", "simuler",
        "calibrer", "isoler", "classer", "examiner", "photographier", "collecter",
        "suivre|suit|suivent|suivi", "cataloguer", "modéliser", "estimer",
        "reconstruire|reconstruit|reconstruisent|reconstruit", "disséquer|dissèque|dissèquent|disséqué",
        "dater", "irradier",
    ),
    units=(
        "échantillons", "années-lumière", "degrés Celsius", "espèces", "millions d'années", "nanomètres",
        "spécimens",
    ),
    roles=(
        "physicien/physicienne", "biologiste/biologiste", "géologue/géologue", "astronome/astronome",
        "chimiste/chimiste", "climatologue/climatologue", "généticien/généticienne",
    ),
    places_at=(
        "à l'Université de {PLACE}", "à l'observatoire de {PLACE}",
        "au laboratoire de biologie marine de {PLACE}", "au Muséum d'histoire naturelle de {PLACE}",
        "à l'Institut {LAST} de physique", "au Centre de génomique de {PLACE}",
    ),
    spam=("corrigés de devoirs gratuits", "matériel de laboratoire pas cher", "guérison quantique miracle"),
    host_words=("science", "decouverte", "recherche", "labo"),
)

HEALTH = DomainWords(
    nouns=(
        "m vaccin", "m symptôme", "f clinique", "m hôpital", "m diagnostic", "m traitement", "f thérapie",
        "f infection", "f mesure de tension|mesures de tension", "m régime", "m médicament", "f dose",
        "f maladie", "f blessure", "f réponse immunitaire|réponses immunitaires",
        "m trouble du sommeil|troubles du sommeil", "m rythme cardiaque|rythmes cardiaques", "f vitamine",
        "m antibiotique", "f opération", "m bilan de santé|bilans de santé", "f allergie", "f ordonnance",
        "m programme de dépistage|programmes de dépistage", "m taux de cholestérol|taux de cholestérol",
        "m effet secondaire|effets secondaires", "f pharmacie", "m virus",
        "m service hospitalier|services hospitaliers", "f consultation", "f prise de sang|prises de sang",
        "m inhalateur", "f pompe à insuline|pompes à insuline", "f migraine", "f fracture",
    ),
    agents=(
        "m médecin", "f infirmière", "m chirurgien", "m pharmacien", "f patiente", "m patient",
        "f épidémiologiste", "m thérapeute", "f aide-soignante", "m ambulancier", "f sage-femme|sages-femmes",
        "m kinésithérapeute",
    ),
    adjectives=(
        "clinique", "chronique", "médical", "préventif/préventive", "cardiaque", "respiratoire",
        "alimentaire", "chirurgical", "pédiatrique", "infectieux/infectieuse", "aigu/aiguë",
        "nutritionnel/nutritionnelle", "hormonal", "diabétique", "intensif/intensive", "antiviral",
        "postopératoire", "inflammatoire", "psychiatrique", "orthopédique",
    ),
    verbs=(
        "diagnostiquer", "traiter", "prescrire|prescrit|prescrivent|prescrit", "vacciner", "surveiller",
        "dépister", "prévenir|prévient|préviennent|prévenu", "soulager", "administrer", "évaluer", "orienter",
        "recommander", "soigner", "documenter", "stériliser", "panser", "hospitaliser",
        "opérer|opère|opèrent|opéré", "immuniser", "ausculter", "radiographier",
    ),
    units=(
        "patients", "milligrammes", "calories", "lits d'hôpital", "doses", "battements par minute",
        "heures de sommeil",
    ),
    roles=(
        "cardiologue/cardiologue", "médecin généraliste/médecin généraliste", "infirmier/infirmière",
        "épidémiologiste/épidémiologiste", "pédiatre/pédiatre", "nutritionniste/nutritionniste",
        "oncologue/oncologue",
    ),
    places_at=(
        "à l'hôpital de {PLACE}", "à la faculté de médecine de {PLACE}", "à la clinique {LAST}",
        "au centre hospitalier de {PLACE}", "à la Fondation du cœur de {PLACE}",
        "à l'hôpital pour enfants de {PLACE}",
    ),
    spam=("pilules minceur pas chères", "maigrir vite", "médicaments sans ordonnance", "cure détox miracle"),
    host_words=("sante", "medecine", "bienetre", "clinique"),
)

FINANCE = DomainWords(
    nouns=(
        "f obligation", "f action", "m cours de bourse|cours de bourse", "m taux d'intérêt|taux d'intérêt",
        "m portefeuille", "m dividende", "m prêt", "m crédit immobilier|crédits immobiliers",
        "m fonds de pension|fonds de pension", "m taux d'inflation|taux d'inflation", "m budget", "m impôt",
        "f devise", "m actif", "m investissement", "m chiffre d'affaires|chiffres d'affaires", "m bénéfice",
        "f dette", "m compte d'épargne|comptes d'épargne", "m indice boursier|indices boursiers",
        "f carte de crédit|cartes de crédit", "m taux de change|taux de change",
        "m rapport trimestriel|rapports trimestriels", "m fonds spéculatif|fonds spéculatifs",
        "f police d'assurance|polices d'assurance", "m bilan comptable|bilans comptables", "m dépôt",
        "m plan de sauvetage|plans de sauvetage", "f banque", "f déclaration fiscale|déclarations fiscales",
        "m rendement", "f facture", "f note de crédit|notes de crédit",
        "f salle des marchés|salles des marchés", "f créance",
    ),
    agents=(
        "m investisseur", "f analyste", "m banquier", "f économiste", "m trader", "m actionnaire",
        "f comptable", "m gestionnaire de fonds|gestionnaires de fonds", "m régulateur", "m prêteur",
        "m courtier", "m auditeur",
    ),
    adjectives=(
        "fiscal", "monétaire", "financier/financière", "trimestriel/trimestrielle", "volatil", "imposable",
        "spéculatif/spéculative", "rentable", "inflationniste", "souverain",
        "institutionnel/institutionnelle", "budgétaire", "liquide", "commercial", "boursier/boursière",
        "obligataire", "bancaire", "endetté", "immobilier/immobilière", "comptable",
    ),
    verbs=(
        "investir|investit|investissent|investi", "emprunter", "prêter", "négocier", "auditer",
        "couvrir|couvre|couvrent|couvert", "refinancer", "prévoir|prévoit|prévoient|prévu",
        "souscrire|souscrit|souscrivent|souscrit", "taxer", "allouer", "diversifier",
        "vendre|vend|vendent|vendu", "acheter|achète|achètent|acheté", "coter", "financer", "restructurer",
        "assurer", "liquider", "titriser", "dévaluer", "réinvestir|réinvestit|réinvestissent|réinvesti",
    ),
    units=(
        "dollars", "euros", "points de base", "actions", "millions d'euros", "milliards d'euros",
        "francs suisses",
    ),
    roles=(
        "économiste/économiste", "gestionnaire de portefeuille/gestionnaire de portefeuille",
        "analyste crédit/analyste crédit", "directeur financier/directrice financière",
        "conseiller fiscal/conseillère fiscale", "banquier d'affaires/banquière d'affaires",
        "stratège actions/stratège actions",
    ),
    places_at=(
        "à la Banque de {PLACE}", "chez {LAST} Capital", "chez {LAST} Gestion", "à la Bourse de {PLACE}",
        "chez {LAST} et Associés", "à la Caisse d'épargne de {PLACE}",
    ),
    spam=(
        "prêt rapide sans justificatif", "profits crypto garantis", "devenir riche vite",
        "crédit pour mauvais payeurs",
    ),
    host_words=("finance", "bourse", "argent", "patrimoine"),
)

SPORTS = DomainWords(
    nouns=(
        "m match|matchs", "m but", "m stade", "m tournoi", "f saison", "m championnat", "f ligue",
        "m tir au but|tirs au but", "f médaille", "f course", "m marathon", "m trophée", "m transfert",
        "m entraînement", "f finale", "m sprint", "f raquette", "f ligne d'arrivée|lignes d'arrivée",
        "m tour de piste|tours de piste", "f victoire", "f défaite", "m effectif", "m maillot",
        "m tableau d'affichage|tableaux d'affichage", "m coup franc|coups francs", "m relais", "m corner",
        "m podium", "m vestiaire", "f séance de tirs au but|séances de tirs au but",
        "f course au titre|courses au titre", "m retourné", "m banc de touche|bancs de touche", "m triplé",
        "m classement",
    ),
    agents=(
        "m joueur", "f joueuse", "m entraîneur", "f athlète", "m attaquant", "m gardien", "m supporter",
        "m arbitre", "f sprinteuse", "m cycliste", "f capitaine", "m milieu de terrain|milieux de terrain",
        "m défenseur",
    ),
    adjectives=(
        "sportif/sportive", "compétitif/compétitive", "défensif/défensive", "offensif/offensive",
        "professionnel/professionnelle", "tactique", "invaincu", "musclé", "décisif/décisive",
        "amateur/amateur", "olympique", "relégué", "spectaculaire", "acrobatique", "blessé", "athlétique",
        "qualificatif/qualificative", "disputé", "victorieux/victorieuse", "serré",
    ),
    verbs=(
        "marquer", "défendre|défend|défendent|défendu", "entraîner", "gagner", "perdre|perd|perdent|perdu",
        "disputer", "tacler", "qualifier", "dribbler", "arbitrer", "sponsoriser",
        "accueillir|accueille|accueillent|accueilli", "battre|bat|battent|battu",
        "célébrer|célèbre|célèbrent|célébré", "recruter", "signer", "contrer", "dépasser", "remporter",
        "affronter", "encaisser",
    ),
    units=("points", "buts", "spectateurs", "kilomètres", "secondes", "tours", "médailles"),
    roles=(
        "entraîneur principal/entraîneuse principale", "capitaine/capitaine",
        "kinésithérapeute sportif/kinésithérapeute sportive", "commentateur/commentatrice",
        "président du club/présidente du club", "préparateur physique/préparatrice physique",
        "recruteur/recruteuse",
    ),
    places_at=(
        "à l'Olympique de {PLACE}", "au Racing Club de {PLACE}", "à l'AS {PLACE}",
        "au Comité national olympique", "au FC {PLACE}", "au Vélo Club de {PLACE}",
    ),
    spam=("streaming gratuit en direct", "pronostics sûrs", "maillots pas chers", "cotes paris foot"),
    host_words=("sport", "foot", "match", "ligue"),
)

TECHNOLOGY = DomainWords(
    nouns=(
        "m logiciel", "m smartphone", "m processeur", "m serveur", "m algorithme",
        "f base de données|bases de données", "m réseau", "f application", "f puce",
        "m service cloud|services cloud", "f batterie", "m capteur", "m robot",
        "m langage de programmation|langages de programmation", "f jeune pousse|jeunes pousses",
        "f mise à jour|mises à jour", "m navigateur", "m système d'exploitation|systèmes d'exploitation",
        "f clé de chiffrement|clés de chiffrement", "m centre de données|centres de données",
        "m ordinateur portable|ordinateurs portables", "m routeur", "m code source|codes sources",
        "f interface", "m semi-conducteur", "m drone", "m agent conversationnel|agents conversationnels",
        "m mot de passe|mots de passe", "m micrologiciel", "m correctif de sécurité|correctifs de sécurité",
        "m appareil", "m compilateur", "m microcontrôleur", "f carte graphique|cartes graphiques",
        "m moteur de recherche|moteurs de recherche", "m bogue",
    ),
    agents=(
        "m ingénieur", "f ingénieure", "m développeur", "f développeuse", "m programmeur", "f designer",
        "m pirate informatique|pirates informatiques", "m utilisateur", "f fondatrice", "m technicien",
        "f scientifique des données|scientifiques des données",
        "m administrateur système|administrateurs système", "m testeur",
    ),
    adjectives=(
        "numérique", "chiffré", "automatisé", "libre", "mobile", "virtuel/virtuelle", "informatique",
        "robotique", "évolutif/évolutive", "électronique", "programmable", "autonome", "sécurisé",
        "algorithmique", "connecté", "embarqué", "logiciel/logicielle", "intelligent",
        "interactif/interactive", "performant",
    ),
    verbs=(
        "installer", "déployer", "chiffrer", "programmer", "déboguer", "actualiser", "télécharger",
        "diffuser", "automatiser", "configurer", "pirater", "lancer", "coder", "redémarrer", "corriger",
        "compiler", "optimiser", "intégrer|intègre|intègrent|intégré", "tester", "prototyper", "virtualiser",
        "héberger",
    ),
    units=(
        "utilisateurs", "gigaoctets", "mégabits par seconde", "serveurs", "lignes de code", "appareils",
        "téraoctets", "transistors",
    ),
    roles=(
        "ingénieur logiciel/ingénieure logiciel", "directeur technique/directrice technique",
        "chercheur en sécurité/chercheuse en sécurité", "scientifique des données/scientifique des données",
        "concepteur de puces/conceptrice de puces", "chef de produit/cheffe de produit",
        "architecte réseau/architecte réseau",
    ),
    places_at=(
        "chez {LAST} Systèmes", "chez {LAST} Logiciels", "à l'Institut d'informatique de {PLACE}",
        "chez {LAST} Robotique", "chez {LAST} Réseaux", "au technopôle de {PLACE}",
    ),
    spam=(
        "logiciel gratuit à télécharger", "déblocage téléphone pas cher", "crack VPN gratuit",
        "générateur de cartes cadeaux",
    ),
    host_words=("tech", "numerique", "informatique", "geek"),
)

COOKING = DomainWords(
    nouns=(
        "f recette", "f sauce", "m four", "f pâte", "f épice", "m ingrédient", "f soupe", "f pâtisserie",
        "f poêle", "f gousse d'ail|gousses d'ail", "m oignon", "f tomate", "f casserole", "m couteau",
        "m pain", "m gâteau", "m légume", "f herbe aromatique|herbes aromatiques", "f marinade", "m gratin",
        "f quenelle", "f salade", "m bouillon", "m rôti", "m filet", "f tarte",
        "m livre de cuisine|livres de cuisine", "f cuisine", "m citron", "f pomme de terre|pommes de terre",
        "m champignon", "f nouille", "m gril", "f spatule", "f crêpe", "m fouet",
    ),
    agents=(
        "m chef", "m cuisinier", "f cuisinière", "m boulanger", "f boulangère",
        "m cuisinier amateur|cuisiniers amateurs", "f critique gastronomique|critiques gastronomiques",
        "m restaurateur", "m pâtissier", "m boucher", "m sommelier", "m convive", "m traiteur",
    ),
    adjectives=(
        "croustillant", "savoureux/savoureuse", "rôti", "épicé", "tendre", "crémeux/crémeuse", "caramélisé",
        "aromatique", "beurré", "doré", "acidulé", "fumé", "juteux/juteuse", "feuilleté", "parfumé", "braisé",
        "moelleux/moelleuse", "fondant", "gratiné", "sucré",
    ),
    verbs=(
        "cuire|cuit|cuisent|cuit", "rôtir|rôtit|rôtissent|rôti", "mijoter", "hacher", "assaisonner",
        "fouetter", "griller", "pétrir|pétrit|pétrissent|pétri", "mariner", "poêler", "trancher", "remuer",
        "bouillir|bout|bouillent|bouilli", "garnir|garnit|garnissent|garni", "goûter",
        "servir|sert|servent|servi", "braiser", "éplucher", "saisir|saisit|saisissent|saisi", "pocher",
        "glacer", "flamber", "émincer",
    ),
    units=(
        "grammes", "minutes", "cuillères à soupe", "portions", "tasses de farine", "tranches",
        "cuillères à café de sel",
    ),
    roles=(
        "chef cuisinier/cheffe cuisinière", "pâtissier/pâtissière",
        "critique gastronomique/critique gastronomique",
        "auteur de livres de cuisine/autrice de livres de cuisine", "restaurateur/restauratrice",
        "boulanger/boulangère", "professeur de cuisine/professeure de cuisine",
    ),
    places_at=(
        "à l'école de cuisine de {PLACE}", "au bistrot {LAST}", "à la boulangerie {LAST}",
        "au marché de {PLACE}", "à l'auberge {LAST}", "à l'institut culinaire de {PLACE}",
    ),
    spam=(
        "meilleures recettes gratuites", "recettes minceur", "couteaux de cuisine pas chers",
        "livre de recettes gratuit",
    ),
    host_words=("cuisine", "recettes", "gourmand", "saveurs"),
)

SENTENCES = (
    "{S} {V} {O} {PP}.",
    "{CONN} {S} {VD} {O}.",
    "{TIME}, {S} {VD} {O} {PP}.",
    "Selon {NAME}, {S} {V} {O} {PP}.",
    "{SP} {SAY} que {S2} {VD2} {O2} {TIME}.",
    "{ST} {BE} {ADJ}, mais {S2} {V2} {O2}.",
    "Comme {S} {V} {O}, {S2} {MODAL2} {VB2} {O2}.",
    "{S} {VD} {O}, et {S2} {VD2} {O2} {PP}.",
    "{S} {MODAL} {VB} {O} si {S2} {V2} {O2}.",
    "{MEASURE} de {NPPL} {CHG} de {PCT} {TIME}.",
    "{SPR} {VD} {O} {TIME}.",
    "{S} {V} {O}, tandis que {S2} {V2} {O2} {PP}.",
    "Même si {S} {VD} {O}, {ST2} {BED2} toujours {ADJ2}.",
    "{S} {V} non seulement {O}, mais aussi {O}.",
    "{ST} {BE} particulièrement {ADJ} {PP}.",
    "À {PLACE}, {S} {VD} environ {NUM} {TIME}.",
    "Au total, {S} {VD} {NUM} {PP}.",
    "Peu de {AG} pensaient que {S} {MODALD} {VB} {O} aussi vite.",
    "{S} {VD} {O} peu après que {S2} {VD2} {O2}.",
    "« {S} {V} {O} », {SAYP} {NAME}.",
    "{EVID} que {S} {V} {O} {PP}.",
    "{S} {VD} {O}, que {S2} {V2} ensuite.",
    "Pour {VB} {O}, {S} {V} {O} {PP}.",
    "Au lieu de {VB} {O}, {S} {VD} {O} {TIME}.",
    "{SA} {V} {O} {PP}, mais {S2} {V2} {O2} {TIME}.",
    "{S} {V} {O} ; {S2} {V2} {O2}.",
    "{CONN} {ST} {BE} {ADJ}.",
    "Chaque année, {S} {V} {O} {PP}.",
    "{S}, selon {NAME}, {V} {O} {PP}.",
    "{SP} {VD} {O} {PP} et {VD} {O} {TIME}.",
    "{S} {MODAL} {VB} {O} {PP}, {SAY2} {SP2}.",
    "{S} {VD} {O} {PP}, ce qui a surpris beaucoup de {AG}.",
    "Au cours des {FEW} dernières années, {S} {VD} {O} {PP}.",
    "{SB} {V} {O} lorsque {S2} {V2} {O2}.",
    "L'intérêt pour {NPPL} {CHG} de {PCT} {TIME}, {SAY} {NAME}.",
    "{SPR} {SAY} que {ST2} {BED2} {ADJ2}.",
)

TITLES = (
    "Comment {S} {V} {O}",
    "Pourquoi {S} {V} {O}",
    "{NPT} à {PLACE} : ce qu'il faut savoir",
    "{NAME} sur {NPT} et {NPT}",
    "Ce que {NPT} révèlent sur {NPT}",
    "Un regard sur {NPT} à {PLACE}",
    "{NPT} : les leçons de {PLACE}",
    "Quand {SB} {V} {O}",
    "Enquête sur {NPT}",
    "L'essor discret de {NPT}",
)

JUNK = JunkWords(
    nav=(
        "Accueil", "À propos", "Contact", "Blog", "Boutique", "Connexion", "Inscription",
        "Politique de confidentialité", "Mentions légales", "CGU", "FAQ", "Carrières", "Lettre d'information",
        "Plan du site", "Rechercher", "Menu", "Événements", "Presse",
    ),
    cookie=(
        "Nous utilisons des cookies pour améliorer votre expérience sur notre site.",
        "En poursuivant votre navigation, vous acceptez l'utilisation de cookies.",
        "Accepter tous les cookies", "Gérer les préférences de cookies",
        "Ce site utilise des cookies à des fins de statistiques et de personnalisation.",
    ),
    footer=(
        "Politique de confidentialité", "Conditions générales", "Paramètres des cookies", "Accessibilité",
        "Nous contacter", "Publicité", "Suivez-nous sur Facebook", "Suivez-nous sur Instagram",
        "Haut de page", "Aller au contenu",
    ),
    copyright="© {YEAR} {SITE}. Tous droits réservés.",
    offers=(
        "ACHETEZ MAINTENANT ET ÉCONOMISEZ 90% AUJOURD'HUI SEULEMENT", "OFFRE LIMITÉE CLIQUEZ ICI",
        "VOUS AVEZ GAGNÉ UN IPHONE GRATUIT", "100% GRATUIT SANS CARTE BANCAIRE",
        "DERNIÈRES HEURES POUR EN PROFITER", "MEILLEUR PRIX GARANTI",
    ),
    calls=(
        "Cliquez ici", "Achetez maintenant", "Commandez aujourd'hui", "Inscription gratuite",
        "Visitez notre boutique", "Téléchargez maintenant",
    ),
)

FR = LanguageWords(
    code="fr",
    tlds=("fr", "be", "ch"),
    host_suffixes=("actu", "magazine", "info", "journal", "blog", "hebdo", "quotidien", "mag"),
    domains={
        "science": SCIENCE,
        "health": HEALTH,
        "finance": FINANCE,
        "sports": SPORTS,
        "technology": TECHNOLOGY,
        "cooking": COOKING,
    },
    adjectives=(
        "récent", "important", "local", "régional", "inattendu", "détaillé", "modeste", "courant",
        "populaire", "rare", "coûteux/coûteuse", "typique", "majeur", "considérable", "habituel/habituelle",
        "prometteur/prometteuse",
    ),
    predicates=(
        "important", "difficile", "cher/chère", "fiable", "inhabituel/inhabituelle", "prometteur/prometteuse",
        "controversé", "essentiel/essentielle", "surprenant", "populaire", "risqué", "efficace", "fragile",
        "rare", "utile", "lent",
    ),
    first_names_m=(
        "Pierre", "Jean", "Nicolas", "Julien", "Thomas", "Antoine", "Mathieu", "Olivier", "Laurent",
        "François", "Philippe", "Sébastien", "Guillaume", "Vincent", "Christophe", "Maxime", "Hugo",
        "Alexandre", "Éric", "Benoît",
    ),
    first_names_f=(
        "Marie", "Sophie", "Camille", "Claire", "Julie", "Nathalie", "Isabelle", "Céline", "Émilie",
        "Aurélie", "Caroline", "Hélène", "Léa", "Chloé", "Manon", "Pauline", "Anne", "Valérie", "Sandrine",
        "Margaux",
    ),
    last_names=(
        "Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel",
        "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont",
        "Lambert", "Fontaine", "Rousseau", "Vincent", "Mercier", "Faure", "Blanc", "Guérin", "Boyer",
        "Garnier", "Chevalier",
    ),
    places=(
        "Lyon", "Nantes", "Lille", "Grenoble", "Bordeaux", "Toulouse", "Rennes", "Strasbourg", "Montpellier",
        "Dijon", "Nancy", "Reims", "Angers", "Brest", "Tours", "Limoges", "Rouen", "Caen", "Genève",
        "Lausanne", "Liège", "Namur", "Québec", "Montréal", "Poitiers", "Nîmes",
    ),
    connectors=(
        "Cependant,", "Par ailleurs,", "En outre,", "Entre-temps,", "Par conséquent,", "En même temps,",
        "Par exemple,", "En revanche,", "De plus,", "Pourtant,", "Néanmoins,", "En pratique,",
        "D'un autre côté,", "Sans surprise,", "Finalement,", "Malgré tout,",
    ),
    times=(
        "en {YEAR}", "l'année dernière", "ces derniers mois", "au cours de la dernière décennie",
        "au début de l'année", "pendant l'hiver {YEAR}", "il y a {FEW} ans", "au printemps {YEAR}",
        "la semaine dernière", "fin {YEAR}", "à l'automne {YEAR}", "le mois dernier",
    ),
    evidentials=(
        "Il est clair", "Il semble probable", "La plupart des observateurs estiment",
        "Il ne fait guère de doute", "De nombreux experts pensent", "Des rapports récents suggèrent",
        "Les critiques affirment", "Les partisans soulignent",
    ),
    few=("deux", "trois", "quatre", "cinq", "six", "sept"),
    months=(
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre",
    ),
    measures=("La part", "Le nombre", "Le coût moyen", "La valeur totale", "La proportion", "La demande"),
    changes=(
        "a augmenté", "a diminué", "a progressé", "a reculé", "a bondi", "a chuté", "a grimpé", "a baissé",
    ),
    modals=("peut|peuvent", "pourrait|pourraient", "doit|doivent", "devrait|devraient", "va|vont"),
    modals_past=("pouvait|pouvaient", "allait|allaient", "devait|devaient"),
    say_past=("a déclaré", "a expliqué", "a souligné", "a ajouté", "a affirmé", "a précisé"),
    say_present=("explique", "souligne", "précise", "ajoute", "affirme"),
    prepositions=("dans", "pour", "avec", "sur", "sans", "près de", "autour de", "malgré", "contre", "après"),
    sentences=SENTENCES,
    titles=TITLES,
    insertions=(
        "aussi", "souvent", "encore", "vraiment", "apparemment", "clairement", "largement", "désormais",
    ),
    footers=(
        "Mis à jour le {DATE}.", "Cet article a d'abord été publié sur {HOST}.",
        "Partagez cet article avec vos amis.", "Retrouvez d'autres articles sur {HOST}.",
        "Texte de {NAME}, édition de {NAME}.",
    ),
    junk=JUNK,
)
# fmt: on
