"""Spanish word lists and sentence grammar.

Notation (parsed by `curation.sample.grammar.es`):
- nouns: `gender singular` or `gender singular|plural` when the plural is not regular
  (multi-word nouns always spell their plural out); feminine nouns with a stressed initial `a`
  (`el agua`) are avoided because they take a masculine article;
- adjectives: the masculine singular, or `masculine/feminine` when the feminine is not regular;
  every adjective is placed after the noun;
- verbs: the infinitive of a regular verb, or `infinitive|3sg|3pl|preterite-3sg|preterite-3pl`;
- roles: `masculine/feminine`; modals: `sg|pl`.
"""

from __future__ import annotations

from curation.sample.lexicon.types import DomainWords, JunkWords, LanguageWords

# fmt: off
SCIENCE = DomainWords(
    nouns=(
        "f muestra", "m experimento", "m telescopio", "f galaxia", "f molécula", "f proteína", "f célula",
        "m genoma", "m fósil|fósiles", "m glaciar", "f partícula", "m laboratorio", "f hipótesis|hipótesis",
        "m espectro", "f especie", "f enzima", "m cristal", "f capa de sedimentos|capas de sedimentos",
        "f órbita", "f estrella de neutrones|estrellas de neutrones",
        "f corriente oceánica|corrientes oceánicas", "m modelo climático|modelos climáticos", "m isótopo",
        "m mineral", "f bacteria", "m microscopio", "m cometa", "m volcán",
        "m campo magnético|campos magnéticos", "m asteroide", "m espécimen|especímenes",
        "m núcleo de hielo|núcleos de hielo", "m cromosoma", "m fotón",
        "m arrecife de coral|arrecifes de coral", "m meteorito", "m conjunto de datos|conjuntos de datos",
    ),
    agents=(
        "m investigador", "f investigadora", "m físico", "f bióloga", "m químico", "f astrónoma", "m geólogo",
        "f científica", "m ecólogo", "m doctorando", "f genetista", "m oceanógrafo", "m científico",
    ),
    adjectives=(
        "experimental", "molecular", "genético", "cósmico", "microscópico", "térmico", "químico",
        "planetario", "evolutivo", "antiguo", "cuántico", "orgánico", "atmosférico", "magnético",
        "estadístico", "volcánico", "subatómico", "fosilizado", "radiactivo", "cristalino", "geológico",
    ),
    verbs=(
        "medir|mide|miden|midió|midieron", "observar", "detectar", "secuenciar", "analizar",
        "cartografiar|cartografía|cartografían|cartografió|cartografiaron", "identificar", "simular",
        "calibrar", "aislar|aísla|aíslan|aisló|aislaron", "clasificar", "examinar",
        "fotografiar|fotografía|fotografían|fotografió|fotografiaron", "recolectar", "rastrear", "catalogar",
        "modelar", "estimar", "reconstruir|reconstruye|reconstruyen|reconstruyó|reconstruyeron",
        "diseccionar", "datar", "irradiar",
    ),
    units=(
        "muestras", "años luz", "grados centígrados", "especies", "millones de años", "nanómetros",
        "especímenes",
    ),
    roles=(
        "físico/física", "biólogo/bióloga", "geólogo/geóloga", "astrónomo/astrónoma", "químico/química",
        "climatólogo/climatóloga", "genetista/genetista",
    ),
    places_at=(
        "en la Universidad de {PLACE}", "en el Observatorio de {PLACE}",
        "en el Laboratorio de Biología Marina de {PLACE}", "en el Museo de Ciencias Naturales de {PLACE}",
        "en el Instituto {LAST} de Física", "en el Centro de Genómica de {PLACE}",
    ),
    spam=("respuestas de tareas gratis", "material de laboratorio barato", "curación cuántica milagrosa"),
    host_words=("ciencia", "descubre", "investigacion", "laboratorio"),
)

HEALTH = DomainWords(
    nouns=(
        "f vacuna", "m síntoma", "f clínica", "m hospital", "m diagnóstico", "m tratamiento", "f terapia",
        "f infección", "f medición de presión|mediciones de presión", "f dieta", "m medicamento",
        "f dosis|dosis", "f enfermedad", "f lesión", "f respuesta inmunitaria|respuestas inmunitarias",
        "m trastorno del sueño|trastornos del sueño", "m ritmo cardíaco|ritmos cardíacos", "f vitamina",
        "m antibiótico", "f cirugía", "m chequeo", "f alergia", "f prescripción",
        "m programa de cribado|programas de cribado", "m nivel de colesterol|niveles de colesterol",
        "m efecto secundario|efectos secundarios", "f farmacia", "m virus|virus",
        "f planta hospitalaria|plantas hospitalarias", "f consulta",
        "m análisis de sangre|análisis de sangre", "m inhalador", "f bomba de insulina|bombas de insulina",
        "f migraña", "f fractura",
    ),
    agents=(
        "m médico", "f enfermera", "m cirujano", "m farmacéutico", "f paciente", "m paciente",
        "f epidemióloga", "m terapeuta", "f cuidadora", "m paramédico", "f matrona", "m fisioterapeuta",
        "m enfermero",
    ),
    adjectives=(
        "clínico", "crónico", "médico", "preventivo", "cardíaco", "respiratorio", "alimentario", "quirúrgico",
        "pediátrico", "infeccioso", "agudo", "nutricional", "hormonal", "diabético", "intensivo", "antiviral",
        "postoperatorio", "inflamatorio", "psiquiátrico", "ortopédico",
    ),
    verbs=(
        "diagnosticar", "tratar", "prescribir", "vacunar", "vigilar", "explorar",
        "prevenir|previene|previenen|previno|previnieron", "aliviar", "administrar",
        "evaluar|evalúa|evalúan|evaluó|evaluaron", "derivar",
        "recomendar|recomienda|recomiendan|recomendó|recomendaron",
        "atender|atiende|atienden|atendió|atendieron", "documentar", "esterilizar", "vendar", "hospitalizar",
        "operar", "inmunizar", "auscultar", "monitorizar",
    ),
    units=(
        "pacientes", "miligramos", "calorías", "camas de hospital", "dosis", "latidos por minuto",
        "horas de sueño",
    ),
    roles=(
        "cardiólogo/cardióloga", "médico de familia/médica de familia", "enfermero/enfermera",
        "epidemiólogo/epidemióloga", "pediatra/pediatra", "nutricionista/nutricionista", "oncólogo/oncóloga",
    ),
    places_at=(
        "en el Hospital General de {PLACE}", "en la Facultad de Medicina de {PLACE}", "en la Clínica {LAST}",
        "en el Departamento de Salud Pública de {PLACE}", "en la Fundación del Corazón de {PLACE}",
        "en el Hospital Infantil de {PLACE}",
    ),
    spam=(
        "pastillas para adelgazar baratas", "adelgazar rápido", "medicamentos sin receta",
        "cura detox milagrosa",
    ),
    host_words=("salud", "medicina", "bienestar", "clinica"),
)

FINANCE = DomainWords(
    nouns=(
        "m bono", "f acción", "f cotización", "m tipo de interés|tipos de interés", "f cartera",
        "m dividendo", "m préstamo", "f hipoteca", "m fondo de pensiones|fondos de pensiones",
        "f tasa de inflación|tasas de inflación", "m presupuesto", "m impuesto", "f divisa", "m activo",
        "f inversión", "m ingreso", "m beneficio", "f deuda", "f cuenta de ahorro|cuentas de ahorro",
        "m índice bursátil|índices bursátiles", "f tarjeta de crédito|tarjetas de crédito",
        "m tipo de cambio|tipos de cambio", "m informe trimestral|informes trimestrales",
        "m fondo de cobertura|fondos de cobertura", "f póliza de seguro|pólizas de seguro", "m balance",
        "m depósito", "m rescate", "m banco", "f declaración de la renta|declaraciones de la renta",
        "f rentabilidad", "f factura", "f calificación crediticia|calificaciones crediticias",
        "f mesa de operaciones|mesas de operaciones", "m crédito",
    ),
    agents=(
        "m inversor", "f analista", "m banquero", "f economista", "m operador", "m accionista", "f contable",
        "m gestor de fondos|gestores de fondos", "m regulador", "m prestamista",
        "m corredor de bolsa|corredores de bolsa", "m auditor", "m economista",
    ),
    adjectives=(
        "fiscal", "monetario", "financiero", "trimestral", "volátil", "corporativo", "imponible",
        "especulativo", "rentable", "inflacionario", "soberano", "institucional", "presupuestario", "líquido",
        "comercial", "bursátil", "bancario", "endeudado", "hipotecario", "crediticio",
    ),
    verbs=(
        "invertir|invierte|invierten|invirtió|invirtieron", "amortizar", "prestar", "negociar", "auditar",
        "cubrir", "refinanciar", "pronosticar", "suscribir", "gravar", "asignar", "diversificar", "vender",
        "comprar", "cotizar", "financiar", "reestructurar", "asegurar", "liquidar", "titulizar",
        "devaluar|devalúa|devalúan|devaluó|devaluaron",
        "reinvertir|reinvierte|reinvierten|reinvirtió|reinvirtieron",
    ),
    units=(
        "dólares", "euros", "puntos básicos", "acciones", "millones de euros", "miles de millones de euros",
        "pesos",
    ),
    roles=(
        "economista/economista", "gestor de carteras/gestora de carteras",
        "analista de crédito/analista de crédito", "director financiero/directora financiera",
        "asesor fiscal/asesora fiscal", "banquero de inversión/banquera de inversión",
        "estratega de renta variable/estratega de renta variable",
    ),
    places_at=(
        "en el Banco de {PLACE}", "en {LAST} Capital", "en {LAST} Gestión de Activos",
        "en la Bolsa de {PLACE}", "en {LAST} y Asociados", "en la Caja de Ahorros de {PLACE}",
    ),
    spam=(
        "préstamos rápidos sin aval", "ganancias cripto garantizadas", "hazte rico rápido",
        "créditos para morosos",
    ),
    host_words=("finanzas", "bolsa", "dinero", "inversion"),
)

SPORTS = DomainWords(
    nouns=(
        "m partido", "m gol", "m estadio", "m torneo", "f temporada", "m campeonato", "f liga", "m penalti",
        "f medalla", "f carrera", "m maratón", "m trofeo", "m fichaje", "m entrenamiento", "f final",
        "m esprint|esprints", "f raqueta", "f línea de meta|líneas de meta", "f vuelta", "f victoria",
        "f derrota", "f plantilla", "f camiseta", "m marcador", "m tiro libre|tiros libres", "m relevo",
        "m saque de esquina|saques de esquina", "m podio", "m vestuario",
        "f tanda de penaltis|tandas de penaltis", "f lucha por el título|luchas por el título", "f chilena",
        "m banquillo", "m triplete", "f clasificación",
    ),
    agents=(
        "m jugador", "f jugadora", "m entrenador", "f atleta", "m delantero", "m portero", "m aficionado",
        "m árbitro", "f velocista", "m ciclista", "f capitana", "m centrocampista", "m defensor",
    ),
    adjectives=(
        "deportivo", "competitivo", "defensivo", "ofensivo", "profesional", "táctico", "invicto", "musculoso",
        "decisivo", "aficionado", "olímpico", "descendido", "espectacular", "acrobático", "lesionado",
        "atlético", "clasificatorio", "reñido", "victorioso", "goleador/goleadora",
    ),
    verbs=(
        "marcar", "defender|defiende|defienden|defendió|defendieron", "entrenar", "ganar",
        "perder|pierde|pierden|perdió|perdieron", "disputar", "placar", "clasificar", "regatear", "arbitrar",
        "patrocinar", "acoger|acoge|acogen|acogió|acogieron", "derrotar", "celebrar", "fichar", "firmar",
        "bloquear", "adelantar", "conquistar", "golear", "encajar",
    ),
    units=("puntos", "goles", "espectadores", "kilómetros", "segundos", "vueltas", "medallas"),
    roles=(
        "entrenador principal/entrenadora principal", "capitán/capitana",
        "fisioterapeuta deportivo/fisioterapeuta deportiva", "comentarista/comentarista",
        "presidente del club/presidenta del club", "preparador físico/preparadora física", "ojeador/ojeadora",
    ),
    places_at=(
        "en el Real {PLACE}", "en el Atlético de {PLACE}", "en el Club Deportivo {PLACE}",
        "en el Comité Olímpico Nacional", "en el {PLACE} Club de Fútbol", "en el Club Ciclista de {PLACE}",
    ),
    spam=("fútbol en directo gratis", "pronósticos seguros", "camisetas baratas", "cuotas de apuestas"),
    host_words=("deportes", "futbol", "jornada", "liga"),
)

TECHNOLOGY = DomainWords(
    nouns=(
        "m programa informático|programas informáticos", "m teléfono inteligente|teléfonos inteligentes",
        "m procesador", "m servidor", "m algoritmo", "f base de datos|bases de datos", "f red",
        "f aplicación", "m chip|chips", "m servicio en la nube|servicios en la nube", "f batería", "m sensor",
        "m robot|robots", "m lenguaje de programación|lenguajes de programación",
        "f empresa emergente|empresas emergentes", "f actualización", "m navegador",
        "m sistema operativo|sistemas operativos", "f clave de cifrado|claves de cifrado",
        "m centro de datos|centros de datos", "m portátil", "m enrutador", "m código fuente|códigos fuente",
        "f interfaz", "m semiconductor", "m dron", "m chatbot|chatbots", "f contraseña",
        "m firmware|firmwares", "m parche de seguridad|parches de seguridad", "m dispositivo", "m compilador",
        "m microcontrolador", "f tarjeta gráfica|tarjetas gráficas",
        "m motor de búsqueda|motores de búsqueda", "m fallo de software|fallos de software",
    ),
    agents=(
        "m ingeniero", "f ingeniera", "m desarrollador", "f desarrolladora", "m programador", "f diseñadora",
        "m pirata informático|piratas informáticos", "m usuario", "f fundadora", "m técnico",
        "f científica de datos|científicas de datos",
        "m administrador de sistemas|administradores de sistemas", "m probador",
    ),
    adjectives=(
        "digital", "inalámbrico", "cifrado", "automatizado", "libre", "móvil", "virtual", "informático",
        "robótico", "escalable", "electrónico", "programable", "autónomo", "seguro", "algorítmico",
        "conectado", "integrado", "interactivo", "inteligente", "tecnológico",
    ),
    verbs=(
        "instalar", "desplegar|despliega|despliegan|desplegó|desplegaron", "cifrar", "programar", "depurar",
        "actualizar", "descargar", "transmitir", "automatizar", "configurar", "piratear", "lanzar",
        "codificar", "reiniciar", "parchear", "compilar", "optimizar", "integrar",
        "probar|prueba|prueban|probó|probaron", "prototipar", "virtualizar", "alojar",
    ),
    units=(
        "usuarios", "gigabytes", "megabits por segundo", "servidores", "líneas de código", "dispositivos",
        "terabytes", "transistores",
    ),
    roles=(
        "ingeniero de software/ingeniera de software", "director de tecnología/directora de tecnología",
        "investigador de seguridad/investigadora de seguridad", "científico de datos/científica de datos",
        "diseñador de chips/diseñadora de chips", "jefe de producto/jefa de producto",
        "arquitecto de redes/arquitecta de redes",
    ),
    places_at=(
        "en {LAST} Sistemas", "en {LAST} Software", "en el Instituto de Informática de {PLACE}",
        "en {LAST} Robótica", "en {LAST} Redes", "en el parque tecnológico de {PLACE}",
    ),
    spam=(
        "descargar programas gratis", "liberar móvil barato", "crack VPN gratis",
        "generador de tarjetas regalo",
    ),
    host_words=("tecno", "digital", "informatica", "gadgets"),
)

COOKING = DomainWords(
    nouns=(
        "f receta", "f salsa", "m horno", "f masa", "f especia", "m ingrediente", "f sopa", "m pastel",
        "f sartén", "m diente de ajo|dientes de ajo", "f cebolla", "m tomate", "f cacerola", "m cuchillo",
        "m pan", "m bizcocho", "f verdura", "f hierba aromática|hierbas aromáticas", "m adobo", "m guiso",
        "f albóndiga", "f ensalada", "m caldo", "m asado", "m filete", "f tarta",
        "m libro de cocina|libros de cocina", "f cocina", "m limón", "f patata", "m champiñón", "m fideo",
        "f parrilla", "f espátula", "f tortita", "f olla",
    ),
    agents=(
        "m chef|chefs", "m cocinero", "f cocinera", "m panadero", "f panadera",
        "m cocinero aficionado|cocineros aficionados", "f crítica gastronómica|críticas gastronómicas",
        "m restaurador", "m pastelero", "m carnicero", "m sumiller", "m comensal",
    ),
    adjectives=(
        "crujiente", "sabroso", "asado", "picante", "tierno", "cremoso", "casero", "caramelizado",
        "aromático", "mantecoso", "dorado", "ácido", "ahumado", "jugoso", "hojaldrado", "especiado",
        "guisado", "esponjoso", "gratinado", "meloso",
    ),
    verbs=(
        "hornear", "asar", "cocer|cuece|cuecen|coció|cocieron", "picar", "sazonar", "batir", "gratinar",
        "amasar", "marinar", "freír|fríe|fríen|frió|frieron", "rebanar",
        "remover|remueve|remueven|removió|removieron", "hervir|hierve|hierven|hirvió|hirvieron", "decorar",
        "degustar", "servir|sirve|sirven|sirvió|sirvieron", "estofar", "pelar", "sellar", "escalfar",
        "glasear", "blanquear", "flambear", "rallar",
    ),
    units=(
        "gramos", "minutos", "cucharadas", "raciones", "tazas de harina", "rebanadas", "cucharaditas de sal",
    ),
    roles=(
        "jefe de cocina/jefa de cocina", "pastelero/pastelera", "crítico gastronómico/crítica gastronómica",
        "autor de libros de cocina/autora de libros de cocina", "restaurador/restauradora",
        "panadero/panadera", "profesor de cocina/profesora de cocina",
    ),
    places_at=(
        "en la Escuela de Cocina de {PLACE}", "en el bistró {LAST}", "en la panadería {LAST}",
        "en el mercado de {PLACE}", "en la taberna {LAST}", "en el Instituto Culinario de {PLACE}",
    ),
    spam=(
        "mejores recetas gratis", "recetas para adelgazar", "cuchillos de cocina baratos",
        "libro de recetas gratis",
    ),
    host_words=("cocina", "recetas", "sabores", "gastro"),
)

SENTENCES = (
    "{S} {V} {O} {PP}.",
    "{CONN} {S} {VD} {O}.",
    "{TIME}, {S} {VD} {O} {PP}.",
    "Según {NAME}, {S} {V} {O} {PP}.",
    "{SP} {SAY} que {S2} {VD2} {O2} {TIME}.",
    "{ST} {BE} {ADJ}, pero {S2} {V2} {O2}.",
    "Como {S} {V} {O}, {S2} {MODAL2} {VB2} {O2}.",
    "{S} {VD} {O}, y {S2} {VD2} {O2} {PP}.",
    "{S} {MODAL} {VB} {O} si {S2} {V2} {O2}.",
    "{MEASURE} de {NPPL} {CHG} un {PCT} {TIME}.",
    "{SPR} {VD} {O} {TIME}.",
    "{S} {V} {O}, mientras que {S2} {V2} {O2} {PP}.",
    "Aunque {S} {VD} {O}, {ST2} {BED2} todavía {ADJ2}.",
    "{S} {V} no solo {O}, sino también {O}.",
    "{ST} {BE} especialmente {ADJ} {PP}.",
    "En {PLACE}, {S} {VD} alrededor de {NUM} {TIME}.",
    "En total, {S} {VD} {NUM} {PP}.",
    "Pocos {AG} creían que {S} {MODALD} {VB} {O} tan rápido.",
    "{S} {VD} {O} justo cuando {S2} {VD2} {O2}.",
    "«{S} {V} {O}», {SAYP} {NAME}.",
    "{EVID} que {S} {V} {O} {PP}.",
    "{S} {VD} {O}, que {S2} {V2} después.",
    "Para {VB} {O}, {S} {V} {O} {PP}.",
    "En lugar de {VB} {O}, {S} {VD} {O} {TIME}.",
    "{SA} {V} {O} {PP}, pero {S2} {V2} {O2} {TIME}.",
    "{S} {V} {O}; {S2} {V2} {O2}.",
    "{CONN} {ST} {BE} {ADJ}.",
    "Cada año, {S} {V} {O} {PP}.",
    "{S}, según {NAME}, {V} {O} {PP}.",
    "{SP} {VD} {O} {PP} y {VD} {O} {TIME}.",
    "{S} {MODAL} {VB} {O} {PP}, {SAY2} {SP2}.",
    "{S} {VD} {O} {PP}, algo que sorprendió a muchos {AG}.",
    "En los últimos {FEW} años, {S} {VD} {O} {PP}.",
    "{SB} {V} {O} cuando {S2} {V2} {O2}.",
    "El interés por {NPPL} {CHG} un {PCT} {TIME}, {SAY} {NAME}.",
    "{SPR} {SAY} que {ST2} {BED2} {ADJ2}.",
)

TITLES = (
    "Cómo {S} {V} {O}",
    "Por qué {S} {V} {O}",
    "{NPT} en {PLACE}: lo que hay que saber",
    "{NAME} sobre {NPT} y {NPT}",
    "Lo que {NPT} revelan sobre {NPT}",
    "Una mirada a {NPT} en {PLACE}",
    "{NPT}: lecciones de {PLACE}",
    "Cuando {SB} {V} {O}",
    "Radiografía de {NPT}",
    "El auge silencioso de {NPT}",
)

JUNK = JunkWords(
    nav=(
        "Inicio", "Quiénes somos", "Contacto", "Blog", "Tienda", "Acceder", "Registrarse",
        "Política de privacidad", "Aviso legal", "Términos de uso", "Preguntas frecuentes", "Empleo",
        "Boletín", "Mapa del sitio", "Buscar", "Menú", "Eventos", "Prensa",
    ),
    cookie=(
        "Utilizamos cookies para mejorar su experiencia en nuestro sitio web.",
        "Si continúa navegando, acepta el uso de cookies.", "Aceptar todas las cookies", "Configurar cookies",
        "Este sitio utiliza cookies analíticas y de personalización.",
    ),
    footer=(
        "Política de privacidad", "Términos y condiciones", "Configuración de cookies", "Accesibilidad",
        "Contáctenos", "Publicidad", "Síguenos en Facebook", "Síguenos en Instagram", "Volver arriba",
        "Ir al contenido",
    ),
    copyright="© {YEAR} {SITE}. Todos los derechos reservados.",
    offers=(
        "COMPRE AHORA Y AHORRE UN 90% SOLO HOY", "OFERTA LIMITADA HAGA CLIC AQUÍ",
        "HA GANADO UN IPHONE GRATIS", "100% GRATIS SIN TARJETA DE CRÉDITO", "ÚLTIMAS HORAS DE OFERTA",
        "MEJOR PRECIO GARANTIZADO",
    ),
    calls=(
        "Haga clic aquí", "Compre ahora", "Pida hoy", "Regístrese gratis", "Visite nuestra tienda",
        "Descargue ahora",
    ),
)

ES = LanguageWords(
    code="es",
    tlds=("es", "com.mx", "com.ar"),
    host_suffixes=("hoy", "noticias", "revista", "diario", "blog", "portal", "semanal", "mundo"),
    domains={
        "science": SCIENCE,
        "health": HEALTH,
        "finance": FINANCE,
        "sports": SPORTS,
        "technology": TECHNOLOGY,
        "cooking": COOKING,
    },
    adjectives=(
        "reciente", "importante", "local", "regional", "inesperado", "detallado", "modesto", "habitual",
        "popular", "raro", "costoso", "típico", "notable", "considerable", "frecuente",
        "prometedor/prometedora",
    ),
    predicates=(
        "importante", "difícil", "caro", "fiable", "inusual", "prometedor/prometedora", "polémico",
        "esencial", "sorprendente", "popular", "arriesgado", "eficaz", "frágil", "raro", "útil", "lento",
    ),
    first_names_m=(
        "José", "Antonio", "Manuel", "Francisco", "Javier", "Carlos", "David", "Miguel", "Pablo", "Alejandro",
        "Sergio", "Jorge", "Luis", "Álvaro", "Diego", "Raúl", "Fernando", "Andrés", "Rubén", "Iván",
    ),
    first_names_f=(
        "María", "Carmen", "Lucía", "Laura", "Marta", "Elena", "Ana", "Paula", "Sara", "Cristina", "Isabel",
        "Pilar", "Raquel", "Beatriz", "Alicia", "Silvia", "Rocío", "Irene", "Nuria", "Patricia",
    ),
    last_names=(
        "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
        "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso",
        "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano", "Blanco",
        "Molina", "Ortega",
    ),
    places=(
        "Sevilla", "Valencia", "Bilbao", "Córdoba", "Granada", "Zaragoza", "Málaga", "Salamanca",
        "Valladolid", "Murcia", "Alicante", "Santander", "Oviedo", "Pamplona", "Toledo", "Cádiz", "Vigo",
        "Burgos", "Rosario", "Cuzco", "Mendoza", "Quito", "Medellín", "Guadalajara", "Montevideo",
        "Valparaíso",
    ),
    connectors=(
        "Sin embargo,", "Además,", "Mientras tanto,", "Como resultado,", "Al mismo tiempo,", "Por ejemplo,",
        "En cambio,", "Asimismo,", "Aun así,", "En comparación,", "No obstante,", "En la práctica,",
        "Por otro lado,", "Como era de esperar,", "Al final,", "De todos modos,",
    ),
    times=(
        "en {YEAR}", "el año pasado", "en los últimos meses", "durante la última década",
        "a principios de este año", "durante el invierno de {YEAR}", "hace {FEW} años",
        "en la primavera de {YEAR}", "la semana pasada", "a finales de {YEAR}", "en el otoño de {YEAR}",
        "el mes pasado",
    ),
    evidentials=(
        "Está claro", "Parece evidente", "La mayoría de los observadores cree", "No cabe duda de",
        "Muchos expertos creen", "Informes recientes indican", "Los críticos sostienen",
        "Los defensores señalan",
    ),
    few=("dos", "tres", "cuatro", "cinco", "seis", "siete"),
    months=(
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
        "noviembre", "diciembre",
    ),
    measures=("La proporción", "El número", "El coste medio", "El valor total", "La cuota", "La demanda"),
    changes=("aumentó", "bajó", "creció", "cayó", "subió", "disminuyó", "se disparó", "retrocedió"),
    modals=("puede|pueden", "podría|podrían", "debe|deben", "debería|deberían", "va a|van a"),
    modals_past=("podía|podían", "iba a|iban a", "debía|debían"),
    say_past=("dijo", "explicó", "señaló", "añadió", "afirmó", "aseguró"),
    say_present=("explica", "señala", "afirma", "añade", "asegura"),
    prepositions=("en", "para", "con", "sobre", "sin", "cerca de", "junto a", "tras", "contra", "hacia"),
    sentences=SENTENCES,
    titles=TITLES,
    insertions=(
        "también", "a menudo", "todavía", "realmente", "al parecer", "claramente", "ahora", "sobre todo",
    ),
    footers=(
        "Actualizado el {DATE}.", "Este artículo se publicó originalmente en {HOST}.",
        "Comparte esta noticia con tus amigos.", "Lee más artículos como este en {HOST}.",
        "Texto de {NAME}; edición de {NAME}.",
    ),
    junk=JUNK,
)
# fmt: on
