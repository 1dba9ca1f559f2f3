"""
Word lists the generator draws from: names of the many origins a US city's patients have (with accents,
apostrophes and hyphens, as registration clerks type them), streets, cities, problem-list codes, task
wording. Earlier entries are drawn more often (a Zipf-like weight), so common names repeat as they do in life.
"""


def _words(text: str) -> list[str]:
    return text.split()


FEMALE_GIVEN = _words("""
Mary Patricia Linda Barbara Elizabeth Jennifer Maria Susan Margaret Dorothy Lisa Nancy Karen Betty Helen
Sandra Donna Carol Ruth Sharon Michelle Laura Sarah Kimberly Deborah Jessica Shirley Cynthia Angela Melissa
Brenda Amy Anna Rebecca Virginia Kathleen Pamela Martha Debra Amanda Stephanie Carolyn Christine Marie Janet
Catherine Frances Ann Joyce Diane Alice Julie Heather Teresa Doris Gloria Evelyn Jean Cheryl Mildred Katherine
Joan Ashley Judith Rose Janice Kelly Nicole Judy Christina Kathy Theresa Beverly Denise Tammy Irene Jane Lori
Rachel Marilyn Andrea Kathryn Louise Sara Anne Jacqueline Wanda Bonnie Julia Ruby Lois Tina Phyllis Norma Paula
Diana Annie Lillian Emily Robin Peggy Crystal Gladys Rita Dawn Connie Florence Tracy Edna Tiffany Carmen Rosa
Cindy Grace Wendy Victoria Edith Kim Sherry Sylvia Josephine Thelma Shannon Sheila Ethel Ellen Elaine Marjorie
Carrie Charlotte Monica Esther Pauline Emma Juanita Anita Rhonda Hazel Amber Eva Debbie April Leslie Clara Lucille
Jamie Joanne Eleanor Valerie Danielle Megan Alicia Suzanne Michele Gail Bertha Darlene Veronica Jill Erin
Geraldine Lauren Cathy Joann Lorraine Lynn Sally Regina Erica Beatrice Dolores Bernice Audrey Yvonne Annette
Guadalupe Sofía Ximena Valentina Camila Lucía Mariana Gabriela Daniela Alejandra Fernanda Adriana Yolanda
Mei Xiu Ying Li Hui Jia Yan Fang Lan Thi Linh Ngoc Huong Hoa Mai Trang Anh Priya Ananya Lakshmi Sunita Aisha
Fatima Amina Zainab Mariam Layla Nour Yasmin Leila Olga Svetlana Natalia Irina Tatiana Agnieszka Katarzyna
Małgorzata Zofia Siobhan Aoife Niamh Chiamaka Ngozi Adaeze Folasade Abena Akosua Imani Aaliyah Keisha Latoya
Tamika Ebony Shanice Destiny Jasmine Zoë Chloé Hélène Renée Anaïs Seo-yeon Ji-woo Min-ji Yuki Haruka Sakura
Marisol Concepción Ángela Inés Dagny Ingrid Astrid Freya Saoirse Wilhelmina
""")

MALE_GIVEN = _words("""
James John Robert Michael William David Richard Charles Joseph Thomas Christopher Daniel Paul Mark Donald George
Kenneth Steven Edward Brian Ronald Anthony Kevin Jason Matthew Gary Timothy Jose Larry Jeffrey Frank Scott Eric
Stephen Andrew Raymond Gregory Joshua Jerry Dennis Walter Patrick Peter Harold Douglas Henry Carl Arthur Ryan
Roger Joe Juan Jack Albert Jonathan Justin Terry Gerald Keith Samuel Willie Ralph Lawrence Nicholas Roy Benjamin
Bruce Brandon Adam Harry Fred Wayne Billy Steve Louis Jeremy Aaron Randy Howard Eugene Carlos Russell Bobby Victor
Martin Ernest Phillip Todd Jesse Craig Alan Shawn Clarence Sean Philip Chris Johnny Earl Jimmy Antonio Danny Bryan
Tony Luis Mike Stanley Leonard Nathan Dale Manuel Rodney Curtis Norman Allen Marvin Vincent Glenn Jeffery Travis
Jeff Chad Jacob Lee Melvin Alfred Kyle Francis Bradley Jesus Herbert Frederick Ray Joel Edwin Don Eddie Ricky
Troy Randall Barry Alexander Bernard Mario Leroy Francisco Marcus Micheal Theodore Clifford Miguel Oscar Jay Jim
Tom Calvin Alex Jon Ronnie Bill Lloyd Tommy Leon Derek Warren Darrell Jerome Floyd Leo Alvin Tim Wesley Gordon
Dean Greg Jorge Dustin Pedro Derrick Dan Lewis Zachary Corey Herman Maurice Vernon Roberto Clyde Glen Hector
Shane Ricardo Sam Rick Lester Brent Ramon Charlie Tyler Gilbert Gene Marc Reginald Ruben Brett Angel Nathaniel
Rafael Leslie Edgar Milton Raul Ben Chester Cecil Duane Franklin Andre Elmer Brad Gabriel Ron Mitchell Roland
Arnold Harvey Jared Adrian Karl Cory Claude Erik Darryl Jamie Neil Jessie Christian Javier Fernando Clinton Ted
Mathew Tyrone Darren Lonnie Lance Cody Julio Kelly Kurt Allan Nelson Guy Clayton Hugh Max Dwayne Dwight Armando
Felix Jimmie Everett Jordan Ian Wallace Ken Bob Jaime Casey Alfredo Alberto Dave Ivan Johnnie Sidney Byron Julian
Isaac Morris Clifton Willard Daryl Ross Virgil Andy Marshall Salvador Perry Kirk Sergio Marion Tracy Seth Kent
Terrance Rene Eduardo Terrence Enrique Freddie Wade José Jesús Andrés Joaquín Ángel Rubén Héctor Iván Nicolás
Wei Jian Hao Jun Ming Qiang Lei Tao Minh Duc Hung Tuan Quang Long Nam Rajesh Sanjay Arjun Vikram Rahul Amit
Mohammed Ahmed Omar Ali Hassan Yusuf Ibrahim Khalid Tariq Dmitri Sergei Vladimir Aleksandr Mikhail Piotr
Krzysztof Tomasz Łukasz Wojciech Seamus Ciarán Eoin Padraig Chinedu Emeka Oluwaseun Kwame Kofi Jamal DeShawn
Tyrell Darnell Malik Andre Jean-Pierre François Émile Jérôme Min-jun Seo-jun Hiroshi Takeshi Kenji Björn Søren
""")

FAMILY = _words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson
Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson
Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell
Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales
Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long
Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher
Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes
Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez
McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson
Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Muñoz Hunt Hicks Holmes Palmer Wagner Black Robertson
Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt García Ferguson Weaver Wang Zhang Liu Chen Yang Huang
Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao Luo Pham Hoang Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly Nguyễn Trần
Shah Singh Kumar Sharma Gupta Reddy Rao Iyer Desai Mehta Joshi Chaudhry Khan Ahmed Hussain Rahman Ali Haddad
Khoury Nasser Saleh Abdullah Mansour Ivanov Petrov Smirnov Kuznetsov Popov Volkov Sokolov Kowalski Nowak Wiśniewski
Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Dąbrowski O'Brien O'Connor O'Neil O'Sullivan O'Reilly
McCarthy McLaughlin Gallagher Doyle Byrne Ryan Walsh Quinn Okafor Okeke Adeyemi Nwosu Mensah Boateng Asante
Owusu Diallo Traoré Kamara Mbeki Dubois Lefèvre Moreau Laurent Bernard Girard Rousseau Müller Schneider Fischer
Weber Becker Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Krüger Hoffmann Rossi
Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti De Luca Costa Santos Oliveira
Souza Lima Pereira Carvalho Almeida Ribeiro Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi
Park Choi Jung Kang Cho Yoon Jang Lim Han Shin Andersen Nielsen Hansen Larsen Johansson Lindqvist Berg
Hernández-Ruiz Smith-Jones Garcia-Lopez Ramírez Peña Ibáñez Núñez Echeverría Cortés Domínguez Velázquez
St. Clair DeJesus LaRue Van der Berg Abernathy Blackwood Castellanos Delacroix Fitzgerald Goldberg Horowitz
Katz Levine Rosenberg Schwartz Steinberg Weiss Friedman Cohen Kaplan Yilmaz Kaya Demir Şahin Çelik Papadopoulos
Georgiou Nikolaidis Horvath Nagy Novák Dvořák Petrović Jovanović Nikolić Kovač Popescu Ionescu Gheorghe
""")
# The split breaks the two-word surnames; join them back (kept as real two-word names: "De Luca", "Van der Berg").
_TWO_WORD = {("De", "Luca"): "De Luca", ("St.", "Clair"): "St. Clair"}


def _join_multiword(words: list[str]) -> list[str]:
    out: list[str] = []
    skip = 0
    for i, word in enumerate(words):
        if skip:
            skip -= 1
            continue
        if word == "Van" and words[i + 1 : i + 3] == ["der", "Berg"]:
            out.append("Van der Berg")
            skip = 2
        elif tuple(words[i : i + 2]) in _TWO_WORD:
            out.append(_TWO_WORD[tuple(words[i : i + 2])])
            skip = 1
        else:
            out.append(word)
    return list(dict.fromkeys(out))


FAMILY = _join_multiword(FAMILY)
FEMALE_GIVEN = list(dict.fromkeys(FEMALE_GIVEN))
MALE_GIVEN = list(dict.fromkeys(MALE_GIVEN))

NICKNAMES = {
    "Elizabeth": "Beth", "Margaret": "Peggy", "Patricia": "Pat", "Katherine": "Kate", "Deborah": "Debbie",
    "Jennifer": "Jen", "Dorothy": "Dot", "Josephine": "Jo", "William": "Bill", "Robert": "Bob",
    "Richard": "Rick", "James": "Jim", "Michael": "Mike", "Thomas": "Tom", "Joseph": "Joe", "Charles": "Chuck",
    "Edward": "Ted", "Anthony": "Tony", "Francisco": "Paco", "José": "Pepe", "Guadalupe": "Lupe",
    "Alejandra": "Ale", "Aleksandr": "Sasha", "Wilhelmina": "Billie", "Christopher": "Chris",
}  # fmt: skip

STREET_NAMES = _words("""
Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Sheridan Halsted Ashland Western Pulaski Cicero Kedzie
California Damen Racine Clark State Wabash Michigan Lincoln Milwaukee Belmont Fullerton Diversey Irving Lawrence
Foster Devon Touhy Howard Addison Roscoe Montrose Wilson Division Chicago Grand Madison Roosevelt Cermak Archer
Pershing Garfield 47th 55th 63rd 71st 79th 87th 95th 103rd 111th Stony Island Cottage Grove King Drive Jeffery
""")
STREET_TYPES = ["Ave", "St", "Blvd", "Rd", "Dr", "Ct", "Pl", "Ln"]
CITIES = [
    ("Chicago", "606"), ("Evanston", "602"), ("Oak Park", "603"), ("Cicero", "608"), ("Skokie", "600"),
    ("Berwyn", "604"), ("Des Plaines", "600"), ("Joliet", "604"), ("Aurora", "605"), ("Naperville", "605"),
    ("Waukegan", "600"), ("Elgin", "601"), ("Harvey", "604"), ("Calumet City", "604"), ("Blue Island", "604"),
]  # fmt: skip
# Area codes of the Chicago region; 555-01xx in each is the fictional range, then ordinary exchanges.
AREA_CODES = ["312", "773", "872", "708", "630", "847", "224", "331", "779", "815"]

PAYERS = [
    ("urn:bench:payer:illinois-medicaid", "MA"), ("urn:bench:payer:medicare", "MC"),
    ("urn:bench:payer:blue-cross-il", "MB"), ("urn:bench:payer:aetna", "MB"), ("urn:bench:payer:humana", "MB"),
    ("urn:bench:payer:unitedhealthcare", "MB"), ("urn:bench:payer:cigna", "MB"), ("urn:bench:payer:meridian", "MB"),
]  # fmt: skip

# (ICD-10-CM code, display, care-plan category, care-plan title) — a coordination program's common problems.
CONDITIONS = [
    ("E11.9", "Type 2 diabetes mellitus without complications", "chronic", "Diabetes self-management"),
    ("I10", "Essential (primary) hypertension", "chronic", "Blood pressure control"),
    ("I50.9", "Heart failure, unspecified", "chronic", "Heart failure follow-up"),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified", "chronic", "COPD action plan"),
    ("N18.30", "Chronic kidney disease, stage 3 unspecified", "chronic", "Kidney health plan"),
    ("E78.5", "Hyperlipidemia, unspecified", "chronic", "Cholesterol management"),
    ("F32.9", "Major depressive disorder, single episode, unspecified", "behavioral_health", "Depression care"),
    ("F41.1", "Generalized anxiety disorder", "behavioral_health", "Anxiety care"),
    ("I48.91", "Unspecified atrial fibrillation", "chronic", "Atrial fibrillation follow-up"),
    ("G30.9", "Alzheimer's disease, unspecified", "nursing_home", "Memory care planning"),
    ("M17.11", "Unilateral primary osteoarthritis, right knee", "rehabilitation", "Knee rehabilitation"),
    ("I63.9", "Cerebral infarction, unspecified", "rehabilitation", "Stroke recovery"),
    ("S72.001A", "Fracture of unspecified part of neck of right femur, initial encounter", "post_discharge",
     "Hip fracture transition"),
    ("J45.909", "Unspecified asthma, uncomplicated", "chronic", "Asthma action plan"),
    ("E66.9", "Obesity, unspecified", "chronic", "Healthy weight plan"),
    ("F84.0", "Autistic disorder", "pediatric_school", "School readiness"),
    ("F90.9", "Attention-deficit hyperactivity disorder, unspecified type", "pediatric_school", "School support"),
    ("F10.20", "Alcohol dependence, uncomplicated", "behavioral_health", "Recovery support"),
    ("C50.911", "Malignant neoplasm of unspecified site of right female breast", "chronic",
     "Cancer care navigation"),
    ("Z87.891", "Personal history of nicotine dependence", "chronic", "Tobacco-free plan"),
]  # fmt: skip
PEDIATRIC_CONDITIONS = ["F84.0", "F90.9", "J45.909", "E66.9"]

GOALS = {
    "chronic": ["Keep the condition stable at home", "Take medicines as prescribed every day",
                "Attend every follow-up visit"],
    "behavioral_health": ["Fewer low days each week", "Keep weekly counseling appointments"],
    "nursing_home": ["Safe placement that fits the family's wishes", "Caregiver feels supported"],
    "rehabilitation": ["Walk 200 feet without help", "Return to independent self-care"],
    "post_discharge": ["No readmission within 30 days", "Follow-up visit within 7 days of discharge"],
    "pediatric_school": ["Ready for school in the fall", "Individualized education plan in place"],
}  # fmt: skip

TASK_TITLES = {
    "call": ["Call to review blood sugar log", "Check-in call after medication change", "Call about missed visit",
             "Call caregiver about home support", "Follow-up call after ER visit", "Call to confirm transport"],
    "visit": ["Home visit: safety check", "Home visit: medication review", "Accompany to specialist visit"],
    "education": ["Teach-back: low-salt diet", "Teach-back: inhaler technique", "Send diabetes handout"],
    "referral": ["Refer to cardiology", "Refer to physical therapy", "Refer to food pantry",
                 "Refer to behavioral health"],
    "schedule": ["Schedule primary care follow-up", "Schedule eye exam", "Schedule lab work (A1c)",
                 "Schedule echocardiogram"],
    "medication_review": ["Reconcile medications after discharge", "Review pharmacy fill history"],
    "paperwork": ["Prior authorization for home oxygen", "Renew Medicaid paperwork", "Transport benefit form"],
    "check_in": ["Weekly weight check-in", "Monthly PHQ-9 check-in", "Blood pressure reading check-in"],
    "other": ["Update care plan with family", "Coordinate with school nurse"],
}  # fmt: skip

# NUCC provider taxonomy codes of a coordination network's directory.
SPECIALTIES = [
    ("207Q00000X", "Family Medicine", "MD"), ("207R00000X", "Internal Medicine", "MD"),
    ("207RC0000X", "Cardiovascular Disease", "MD"), ("207RE0101X", "Endocrinology, Diabetes & Metabolism", "MD"),
    ("207RN0300X", "Nephrology", "MD"), ("207RP1001X", "Pulmonary Disease", "MD"), ("2084P0800X", "Psychiatry", "MD"),
    ("208000000X", "Pediatrics", "MD"), ("207RG0300X", "Geriatric Medicine", "DO"),
    ("363L00000X", "Nurse Practitioner", "NP"), ("225100000X", "Physical Therapist", "PT"),
    ("225X00000X", "Occupational Therapist", "OT"), ("2084N0400X", "Neurology", "MD"),
    ("207X00000X", "Orthopaedic Surgery", "MD"), ("103T00000X", "Psychologist", "PhD"),
]  # fmt: skip
PRIMARY_CARE_CODES = {"207Q00000X", "207R00000X", "208000000X", "207RG0300X", "363L00000X"}
