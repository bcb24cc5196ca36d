"""The words the statewide dataset is made of: towns, names, course topics, rooms, events."""

from __future__ import annotations


def _words(text: str) -> list[str]:
    """Comma-separated words (one line or several) as a list."""
    return [w.strip() for w in text.replace("\n", " ").split(",") if w.strip()]


# Towns of a fictional library system that spans three time zones (east to west).
TOWNS = {
    "America/New_York": [
        "Capital City",
        "Ashford",
        "Brookfield",
        "Clearwater",
        "Dunmore",
        "Elmira Falls",
        "Fairhaven",
        "Glenwood",
        "Harborview",
        "Ivy Hill",
        "Jericho",
        "Kingsbridge",
        "Lakeside",
        "Maplewood",
        "Northgate",
        "Oakdale",
        "Pine Ridge",
        "Queensbury",
        "Riverside",
        "Saint Albans",
        "Twin Forks",
        "Union Springs",
        "Valle Verde",
        "Westbrook",
        "Yorktown",
    ],
    "America/Chicago": [
        "Prairie View",
        "Cedar Rapids North",
        "Red Oak",
        "Sioux Bend",
        "Grand Island",
        "Council Bluffs East",
        "Hastings",
        "Kearney",
        "La Crosse",
        "Mankato",
        "Norfolk",
        "Ottumwa",
        "Pawnee City",
        "Quincy",
    ],
    "America/Denver": [
        "Mesa Alta",
        "Boulder Creek",
        "Cañon City",
        "Durango",
        "Estes Park",
        "Fort Morgan",
        "Gunnison",
        "Lamar",
        "Montrose",
        "Peñasco",
        "Salida",
    ],
}

FIRST_NAMES = _words(
    """
    Ana, Ben, Carmen, Chen, Dolores, Ed, Fatima, Gabriel, Hannah, Iris, Jorge, Kwame, Lucía,
    Maya, Nikolai, Olga, Priya, Quinn, Rosa, Sam, Tomás, Uma, Víctor, Wen, Ximena, Yusuf, Zoë,
    Aisha, Björn, Chloé, Diego, Émile, Farah, Grace, Héctor, Ingrid, José, Keiko, Liam, Mónica,
    Noah, Oluwaseun, Pilar, Rafael, Siobhan, Thandiwe, Valentina, William
    """
)
LAST_NAMES = _words(
    """
    Álvarez, Okafor, Wei, Ruiz, Thompson, Noor, Pérez, Kim, Jean-Baptiste, Castillo, Nguyễn,
    Müller, O'Brien, Haddad, Kowalski, Santos, Ibáñez, Johnson, Williams, García, Martínez,
    Rodríguez, Hernández, López, Smith, Brown, Davis, Wilson, Anderson, Taylor, Moore, Jackson,
    Lee, Walker, Hall, Young, Allen, King, Wright, Scott, Green, Baker, Adams, Nelson, Hill,
    Ramírez, Campbell, Mitchell, Roberts, Carter, Phillips, Evans, Turner, Torres, Parker,
    Collins, Edwards, Stewart, Flores, Morris, Núñez
    """
)

# (name, capacity, features): the rooms a branch may have, smallest first.
ROOMS = [
    ("Study Room 1", 6, ["whiteboard"]),
    ("Study Room 2", 8, ["whiteboard", "accessible"]),
    ("Conference Room", 12, ["projector", "video_conferencing", "accessible"]),
    ("Meeting Room A", 14, ["whiteboard", "video_conferencing", "accessible"]),
    ("Meeting Room B", 16, ["projector", "accessible"]),
    ("Computer Lab", 20, ["computers", "projector", "accessible"]),
    ("Training Lab", 24, ["computers", "accessible", "video_conferencing"]),
    ("Makerspace", 18, ["computers", "whiteboard"]),
    ("Community Room", 40, ["projector", "accessible", "hearing_loop"]),
    ("Program Room", 30, ["projector", "accessible", "video_conferencing"]),
    ("Teen Space", 25, ["projector"]),
    ("Boardroom", 20, ["projector", "video_conferencing", "accessible"]),
    ("Auditorium", 120, ["projector", "accessible", "hearing_loop"]),
    ("Story Room", 35, ["accessible"]),
    ("Local History Room", 15, ["whiteboard", "accessible"]),
    ("Media Lab", 12, ["computers", "video_conferencing"]),
]

# Per skill area: course topics (English, then a few in Spanish).
TOPICS = {
    "management": [
        "Supervising Library Staff",
        "Budgeting for Branch Managers",
        "Managing Change",
        "Project Management Foundations",
        "Scheduling and Workforce Planning",
        "Gestión de equipos en bibliotecas",
    ],
    "collection_management": [
        "Collection Development Essentials",
        "Weeding with CREW",
        "Digital Collections 101",
        "Cataloguing with RDA",
        "Evaluating E-book Platforms",
        "Desarrollo de colecciones",
    ],
    "programming": [
        "Designing Adult Programmes",
        "Storytime Skills",
        "STEM Programmes for Kids",
        "Running a Book Club",
        "Programas bilingües para familias",
    ],
    "outreach": [
        "Community Engagement Basics",
        "Serving New Americans",
        "Library Marketing on a Budget",
        "Partnering with Schools",
        "Outreach to Older Adults",
        "Alcance comunitario",
    ],
    "technology": [
        "Python for Librarians",
        "Data Literacy",
        "Cybersecurity Awareness",
        "Excel Skills",
        "Web Accessibility",
        "Introducción a la programación",
    ],
    "customer_service": [
        "Customer Service at the Desk",
        "De-escalation Skills",
        "Serving Patrons with Disabilities",
        "Reference Interview Techniques",
        "Atención al público",
    ],
    "health_information": [
        "Consumer Health Information",
        "MedlinePlus for Patrons",
        "Health Literacy",
        "Mental Health First Aid for Libraries",
        "Evaluating Health Websites",
        "Información de salud para el público",
    ],
    "grant_writing": [
        "Proposal Writing Toolkit",
        "Grant Budgets Made Simple",
        "Finding Funders",
        "Writing Logic Models",
        "Redacción de propuestas",
    ],
    "leadership": [
        "Leading People and Teams",
        "Emotional Intelligence at Work",
        "Inclusive Leadership",
        "Coaching Skills for Managers",
        "Strategic Planning",
        "Liderazgo en la biblioteca",
    ],
    "digital_literacy": [
        "Computer Basics",
        "Internet Safety",
        "Google Workspace Essentials",
        "Smartphone Skills",
        "Teaching Digital Skills",
        "Informática básica",
    ],
}

PROVIDERS = [
    ("Coursera", "www.coursera.org/learn"),
    ("edX", "www.edx.org/course"),
    ("WebJunction", "learn.webjunction.org/course"),
    ("NNLM", "www.nnlm.gov/training"),
    ("GCFGlobal", "edu.gcfglobal.org/en"),
    ("FutureLearn", "www.futurelearn.com/courses"),
    ("TechSoup", "www.techsoup.org/courses"),
    ("Khan Academy", "www.khanacademy.org/course"),
]

# (name, kind, awarding body, CE hours, renewal months, renewal CE hours)
CREDENTIALS = [
    ("NNLM CHIS Level 1", "credential", "Medical Library Association (MLA)", 12, 36, 12),
    ("NNLM CHIS Level 2", "credential", "Medical Library Association (MLA)", 24, 36, 12),
    ("Certified Public Library Administrator", "credential", "ALA-APA", 60, 60, 30),
    ("Library Support Staff Certification", "credential", "ALA", 40, None, None),
    ("Mental Health First Aid", "credential", "National Council for Mental Wellbeing", 8, 36, None),
    ("Grant Professional Certified", "credential", "GPCI", 30, 36, 20),
    ("WebJunction certificate", "certificate", "WebJunction (OCLC)", None, None, None),
    ("Coursera course certificate", "certificate", "Coursera", None, None, None),
    ("edX verified certificate", "certificate", "edX", None, None, None),
    ("Google IT Support certificate", "certificate", "Google", None, None, None),
]

# Which credential a course of a skill area may offer (index into CREDENTIALS).
AREA_CREDENTIALS = {
    "health_information": [0, 1, 4],
    "management": [2, 3],
    "leadership": [2],
    "grant_writing": [5],
    "technology": [9, 7],
    "digital_literacy": [6, 7],
    "customer_service": [6, 3],
    "programming": [6],
    "outreach": [6],
    "collection_management": [3, 8],
}

EVENTS = _words(
    """
    Tax help, Board meeting, Friends of the Library, ESL conversation group, Job fair prep,
    Chess club, Knitting circle, Author talk, Seed library swap, Genealogy drop-in, Citizenship
    class, Teen advisory board
    """
)

CHANGES = [
    "I wrote my first grant budget on my own.",
    "I answer health questions at the desk with more confidence.",
    "",
    "I use what we practised in my team meetings.",
    "Our branch started a new programme because of this circle.",
    "",
    "Ahora ayudo a más usuarios con la computadora.",
]

REFLECTIONS = [
    "Good discussion; the video ran long.",
    "Half the group had not watched the lecture.",
    "Great energy, everyone shared an example.",
    "Projector trouble for ten minutes.",
    "We practised the reference interview in pairs.",
]
