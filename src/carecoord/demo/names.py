"""
Name pools for the demo world, written for CareCoord (no outside data), roughly reflecting the Chicago
area's communities. Given names are split by generation ("old": born before about 1965) so a
90-year-old is a Dorothy or a Stanisław and a child is a Camila or a Jalen. `languages` gives, per group,
the language a patient may prefer and how likely that is for older adults, younger adults and children.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NameGroup:
    key: str
    weight: float
    female_old: tuple[str, ...]
    female_young: tuple[str, ...]
    male_old: tuple[str, ...]
    male_young: tuple[str, ...]
    family: tuple[str, ...]
    # (language code, probability for age >= 60, for adults under 60, for children)
    language: tuple[str, float, float, float] = ("en", 0.0, 0.0, 0.0)
    gendered_family: bool = False  # Polish -ski/-cki names take -ska/-cka for women


GROUPS: tuple[NameGroup, ...] = (
    NameGroup(
        key="hispanic", weight=0.27,
        female_old=("María", "Guadalupe", "Rosa", "Carmen", "Josefina", "Dolores", "Esperanza", "Teresa",
                    "Juana", "Leticia", "Graciela", "Luz", "Socorro", "Irma", "Consuelo", "Yolanda"),
        female_young=("Daniela", "Valeria", "Jessica", "Andrea", "Gabriela", "Alejandra", "Vanessa", "Karina",
                      "Stephanie", "Ximena", "Camila", "Sofía", "Isabella", "Natalia", "Mariana", "Lucía"),
        male_old=("José", "Juan", "Jesús", "Francisco", "Manuel", "Ramón", "Pedro", "Alfredo", "Raúl",
                  "Roberto", "Ignacio", "Rafael", "Arturo", "Salvador", "Enrique", "Miguel"),
        male_young=("Luis", "Carlos", "Alejandro", "Diego", "Adrián", "Eduardo", "Jonathan", "Kevin", "Mateo",
                    "Santiago", "Emiliano", "Ángel", "Daniel", "Christian", "Javier", "Óscar"),
        family=("García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez",
                "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Reyes", "Morales", "Cruz", "Ortiz",
                "Gutiérrez", "Chávez", "Ramos", "Vargas", "Castillo", "Jiménez", "Ruiz", "Mendoza", "Aguilar",
                "Salazar", "Delgado", "Navarro", "Rosales", "Ibarra", "Montoya", "Zavala", "Cervantes"),
        language=("es", 0.55, 0.3, 0.15),
    ),
    NameGroup(
        key="black", weight=0.25,
        female_old=("Dorothy", "Gloria", "Bernice", "Loretta", "Mattie", "Ernestine", "Geraldine", "Doris",
                    "Shirley", "Annie", "Hattie", "Evelyn", "Lillian", "Cora", "Willa", "Odessa"),
        female_young=("Keisha", "Tamika", "Ebony", "Aaliyah", "Jasmine", "Imani", "Destiny", "Brianna",
                      "Latoya", "Kiara", "Nia", "Aisha", "Tiana", "Monique", "Danielle", "Jada"),
        male_old=("Willie", "Earl", "Otis", "Clarence", "Leroy", "Lester", "Roosevelt", "Curtis", "Melvin",
                  "Alvin", "Cornelius", "Walter", "Henry", "Eugene", "Calvin", "Odell"),
        male_young=("Darnell", "Marcus", "Terrence", "DeShawn", "Jamal", "Andre", "Malik", "Jalen", "Isaiah",
                    "Xavier", "Tyrone", "Dominique", "Cedric", "Brandon", "Elijah", "Kendrick"),
        family=("Washington", "Jefferson", "Jackson", "Johnson", "Williams", "Brown", "Jones", "Davis",
                "Robinson", "Harris", "Thomas", "Coleman", "Banks", "Freeman", "Mitchell", "Booker", "Dixon",
                "Holloway", "Simmons", "Gaines", "Pruitt", "Whitfield", "Boyd", "Crawford", "Tate", "Hawkins",
                "Merriweather", "Bell", "Moss", "Ware"),
    ),
    NameGroup(
        key="white", weight=0.22,
        female_old=("Margaret", "Dorothy", "Patricia", "Barbara", "Joan", "Shirley", "Helen", "Betty",
                    "Marilyn", "Judith", "Carol", "Eleanor", "Ruth", "Marjorie", "Phyllis", "Kathleen"),
        female_young=("Emily", "Sarah", "Megan", "Lauren", "Ashley", "Hannah", "Katie", "Abigail", "Olivia",
                      "Emma", "Molly", "Brooke", "Claire", "Rachel", "Amanda", "Courtney"),
        male_old=("Robert", "William", "Richard", "James", "Donald", "Gerald", "Harold", "Kenneth", "Raymond",
                  "Thomas", "Charles", "Walter", "Lawrence", "Eugene", "Norman", "Francis"),
        male_young=("Michael", "Matthew", "Ryan", "Kyle", "Tyler", "Andrew", "Brian", "Connor", "Jacob",
                    "Nathan", "Patrick", "Sean", "Justin", "Ethan", "Logan", "Owen"),
        family=("O'Brien", "Murphy", "Sullivan", "Schmidt", "Mueller", "Becker", "Anderson", "Olson",
                "Larson", "Peterson", "Rossi", "Bianchi", "Russo", "Esposito", "Goldberg", "Rosen", "Katz",
                "Miller", "Wilson", "Thompson", "Walsh", "Byrne", "Keller", "Hoffman", "Meyer", "Nelson",
                "Swanson", "Costello", "Marino", "Kaplan", "Fitzgerald", "Doyle", "Brennan", "Reilly"),
    ),
    NameGroup(
        key="polish", weight=0.06,
        female_old=("Stanisława", "Zofia", "Halina", "Krystyna", "Danuta", "Jadwiga", "Irena", "Wanda",
                    "Helena", "Genowefa"),
        female_young=("Agnieszka", "Katarzyna", "Magdalena", "Joanna", "Monika", "Karolina", "Aleksandra",
                      "Julia", "Zuzanna", "Natalia"),
        male_old=("Stanisław", "Tadeusz", "Kazimierz", "Zbigniew", "Jerzy", "Józef", "Andrzej", "Henryk",
                  "Władysław", "Bogdan", "Ryszard", "Czesław"),
        male_young=("Piotr", "Tomasz", "Marcin", "Paweł", "Krzysztof", "Łukasz", "Michał", "Jakub", "Kamil",
                    "Mateusz"),
        family=("Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
                "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
                "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Pawlak", "Michalski", "Wróbel"),
        language=("pl", 0.55, 0.2, 0.05),
        gendered_family=True,
    ),
    NameGroup(
        key="chinese", weight=0.04,
        female_old=("Mei", "Xiu Ying", "Hui", "Yan", "Lan", "Fang", "Yu Lan", "Shu Fen", "Ying", "Qing"),
        female_young=("Jing", "Xin", "Yue", "Wen", "Qian", "Amy", "Grace", "Michelle", "Jennifer", "Emily"),
        male_old=("Wei", "Jian", "Guo Qiang", "Zhi Ming", "Hong", "Jun", "Bao", "Chang", "Ming", "Yong"),
        male_young=("Hao", "Yi", "Kai", "Jason", "Kevin", "Eric", "Andrew", "Tony", "Ryan", "Daniel"),
        family=("Chen", "Wang", "Zhang", "Liu", "Huang", "Wu", "Lin", "Zhou", "Yang", "Zhao", "Xu", "Sun",
                "Ma", "Zhu", "Guo", "He", "Lee", "Wong", "Chan"),
        language=("zh", 0.75, 0.35, 0.1),
    ),
    NameGroup(
        key="vietnamese", weight=0.03,
        female_old=("Lan", "Hoa", "Mai", "Thu", "Hanh", "Nga", "Phuong", "Tuyet", "Hong", "Kim", "Loan"),
        female_young=("Linh", "Trang", "Vy", "Ngoc", "Thao", "Anh", "Tram", "Quynh", "Vivian", "Tiffany"),
        male_old=("Minh", "Tuan", "Hung", "Dung", "Thanh", "Cuong", "Hai", "Long", "Phuc", "Quang", "Binh"),
        male_young=("Duc", "Khoa", "Bao", "Huy", "Khang", "Nam", "Tri", "Viet", "Peter", "Jimmy"),
        family=("Nguyen", "Tran", "Le", "Pham", "Hoang", "Huynh", "Phan", "Vu", "Vo", "Dang", "Bui", "Do",
                "Ho", "Ngo", "Duong", "Ly"),
        language=("vi", 0.75, 0.35, 0.1),
    ),
    NameGroup(
        key="korean", weight=0.02,
        female_old=("Young-ja", "Soon-ja", "Jung-hee", "Myung-sook", "Kyung-ja", "Mi-kyung", "Hye-sook"),
        female_young=("Ji-woo", "Seo-yeon", "Min-ji", "Soo-jin", "Ha-eun", "Jennifer", "Christine"),
        male_old=("Young-ho", "Sung-min", "Jae-hyun", "Dong-hyun", "Kwang-soo", "Byung-chul", "Sang-hoon"),
        male_young=("Min-jun", "Ji-hoon", "Hyun-woo", "Joon-young", "David", "Paul", "John"),
        family=("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin",
                "Kwon", "Hwang", "Song"),
        language=("ko", 0.6, 0.2, 0.0),
    ),
    NameGroup(
        key="filipino", weight=0.03,
        female_old=("Corazon", "Erlinda", "Remedios", "Lourdes", "Rosario", "Perla", "Imelda", "Milagros",
                    "Teresita", "Maria Luisa"),
        female_young=("Kristine", "Joy", "Mary Grace", "Angelica", "Jasmine", "Bea", "Camille", "Nicole",
                      "Patricia", "Princess"),
        male_old=("Rodolfo", "Ernesto", "Rogelio", "Danilo", "Romeo", "Eduardo", "Reynaldo", "Benjamin",
                  "Ferdinand", "Virgilio"),
        male_young=("Mark", "John Paul", "Jerome", "Carlo", "Paolo", "Rafael", "Christian", "Miguel",
                    "Joshua", "Nathaniel"),
        family=("Santos", "Bautista", "Ocampo", "Dela Cruz", "Villanueva", "Aquino", "Manalo", "Pascual",
                "Soriano", "Dizon", "Macaraeg", "Tolentino", "Mercado", "Lacson", "Dimaculangan"),
        language=("tl", 0.25, 0.05, 0.0),
    ),
    NameGroup(
        key="south_asian", weight=0.04,
        female_old=("Kamala", "Lakshmi", "Sushila", "Savitri", "Parvati", "Shanti", "Usha", "Nirmala",
                    "Kusum", "Manjula"),
        female_young=("Priya", "Ananya", "Divya", "Neha", "Pooja", "Shreya", "Aarti", "Kavya", "Riya",
                      "Meera"),
        male_old=("Ramesh", "Suresh", "Mahesh", "Prakash", "Rajendra", "Krishna", "Vijay", "Mohan", "Gopal",
                  "Ashok"),
        male_young=("Arjun", "Rohan", "Vikram", "Aditya", "Rahul", "Nikhil", "Karan", "Sanjay", "Aarav",
                    "Dev"),
        family=("Patel", "Shah", "Desai", "Mehta", "Sharma", "Gupta", "Singh", "Reddy", "Rao", "Iyer",
                "Nair", "Joshi", "Kapoor", "Malhotra", "Chaudhry", "Qureshi"),
        language=("hi", 0.3, 0.05, 0.0),
    ),
    NameGroup(
        key="arab", weight=0.04,
        female_old=("Fatima", "Aisha", "Khadija", "Samira", "Layla", "Nadia", "Huda", "Amal", "Salma",
                    "Mariam"),
        female_young=("Noor", "Yasmin", "Rania", "Leena", "Sara", "Hana", "Dina", "Maya", "Lina", "Zainab"),
        male_old=("Mohammed", "Ahmad", "Mahmoud", "Ibrahim", "Khalil", "Youssef", "Hassan", "Mustafa",
                  "Omar", "Nabil"),
        male_young=("Karim", "Tariq", "Sami", "Adam", "Zaid", "Amir", "Faris", "Bilal", "Rami", "Hamza"),
        family=("Haddad", "Khoury", "Saleh", "Nasser", "Mansour", "Hamdan", "Odeh", "Abdallah", "Yousef",
                "Darwish", "Farah", "Suleiman", "Awad", "Hussein", "Masri", "Shalabi"),
        language=("ar", 0.7, 0.35, 0.1),
    ),
)  # fmt: skip

GROUP_BY_KEY = {group.key: group for group in GROUPS}

# Names people go by; the demo gives some patients the short form as their preferred name.
NICKNAMES = {
    "William": "Bill", "Robert": "Bob", "Richard": "Rick", "James": "Jim", "Margaret": "Peggy",
    "Patricia": "Pat", "Dorothy": "Dot", "Kenneth": "Ken", "Thomas": "Tom", "Charles": "Chuck",
    "Lawrence": "Larry", "Francis": "Frank", "Kathleen": "Kathy", "Barbara": "Barb", "Judith": "Judy",
    "Eleanor": "Ellie", "Guadalupe": "Lupe", "Francisco": "Paco", "Josefina": "Josie", "Jesús": "Chuy",
    "Ignacio": "Nacho", "Stanisław": "Stan", "Kazimierz": "Casey", "Tadeusz": "Ted", "Zbigniew": "Ziggy",
    "Władysław": "Walter", "Guo Qiang": "George", "Xiu Ying": "Susan", "Zhi Ming": "Jimmy",
    "Young-ho": "Paul", "Myung-sook": "Grace", "Jae-hyun": "James", "Corazon": "Cory", "Remedios": "Remy",
    "Mohammed": "Mo", "Cornelius": "Neil", "Roosevelt": "Rosie", "Christopher": "Chris",
}  # fmt: skip


def feminine_family(name: str) -> str:
    """Kowalski -> Kowalska, Zieliński -> Zielińska, Nowak stays Nowak."""
    for masculine, feminine in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if name.endswith(masculine):
            return name[: -len(masculine)] + feminine
    return name
