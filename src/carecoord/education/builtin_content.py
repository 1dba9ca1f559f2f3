"""
The education materials CareCoord ships (read by `builtin.py`, synced after every `migrate`).

Written by CareCoord in our own words, in plain language (aiming at grade 6-8), each topic in English and in
Spanish (written in Spanish, not machine-translated, using "usted"). Each names the public guidance it follows
in `source_note`. They are general teaching material, not medical advice for one person: a clinician decides
what applies to each patient, and an organization copies a material to adapt it.

Tags: ICD-10-CM code prefixes (E11 matches E11.9), SNOMED CT codes (exact), RxNorm ingredient codes (exact)
and care-plan categories (careplans.choices.CarePlanCategory). The body uses the markup in `markup.py`.
"""

import datetime as dt

REVIEW_ON = dt.date(2027, 1, 1)

# RxNorm ingredient codes used below.
WARFARIN, APIXABAN, RIVAROXABAN = "11289", "1364430", "1114195"
INSULIN_GLARGINE, INSULIN_LISPRO, INSULIN_ASPART, INSULIN_DETEMIR = "274783", "86009", "51428", "139825"
OXYCODONE, HYDROCODONE, MORPHINE, TRAMADOL = "7804", "5489", "7052", "10689"
FENTANYL, HYDROMORPHONE, METHADONE = "4337", "3423", "6813"

BUILTIN_MATERIALS: list[dict] = [
    {
        "topic": "diabetes-basics",
        "icd10_prefixes": ["E10", "E11", "E13"],
        "snomed_codes": ["44054006", "46635009", "73211009"],
        "source_note": "CDC Diabetes Basics; NIDDK Diabetes Overview; ADA Standards of Care 2025",
        "versions": {
            "en": {
                "title": "Living with diabetes",
                "summary": "What diabetes is and the daily steps that keep you well.",
                "body": """
Diabetes means there is too much sugar in your blood. Over time, high blood sugar can hurt your eyes,
kidneys, nerves, feet and heart. The good news: daily steps help a lot.

# What you can do each day
- Take your medicine the way your care team told you.
- Check your blood sugar if you were asked to. Write down the numbers.
- Eat meals at about the same times. Fill half your plate with vegetables.
- Drink water instead of soda or juice.
- Walk or move for 30 minutes on most days.
- Look at your feet every day for cuts, sores or red spots.

# Tests to get
- An A1C blood test two to four times a year. It shows your sugar over the last 3 months.
- An eye exam once a year.
- A kidney test once a year.
- A foot check at every visit.

# Call your care team if
- Your sugar is often above 250 or below 70.
- You have a sore on your foot that does not heal.
- You feel sick and cannot eat or drink.
""",
            },
            "es": {
                "title": "Vivir con diabetes",
                "summary": "Qué es la diabetes y los pasos diarios que le ayudan a estar bien.",
                "body": """
La diabetes quiere decir que hay mucha azúcar en la sangre. Con el tiempo, el azúcar alta puede dañar los
ojos, los riñones, los nervios, los pies y el corazón. La buena noticia: los pasos de cada día ayudan mucho.

# Lo que puede hacer cada día
- Tome su medicina como le dijo su equipo de salud.
- Mida su azúcar si se lo pidieron. Anote los números.
- Coma a la misma hora cada día. Llene la mitad del plato con verduras.
- Tome agua en vez de refresco o jugo.
- Camine o muévase 30 minutos casi todos los días.
- Revise sus pies todos los días. Busque cortadas, llagas o manchas rojas.

# Pruebas que necesita
- La prueba A1C de dos a cuatro veces al año. Muestra su azúcar de los últimos 3 meses.
- Un examen de los ojos cada año.
- Una prueba de los riñones cada año.
- Una revisión de los pies en cada cita.

# Llame a su equipo de salud si
- Su azúcar está muchas veces arriba de 250 o abajo de 70.
- Tiene una llaga en el pie que no sana.
- Se siente mal y no puede comer ni beber.
""",
            },
        },
    },
    {
        "topic": "low-blood-sugar",
        "icd10_prefixes": ["E10", "E11", "E13", "E16.0", "E16.1", "E16.2"],
        "snomed_codes": ["302866003"],
        "rxnorm_codes": [INSULIN_GLARGINE, INSULIN_LISPRO, INSULIN_ASPART, INSULIN_DETEMIR],
        "source_note": "CDC Low Blood Sugar (Hypoglycemia); ADA the 15-15 rule",
        "versions": {
            "en": {
                "title": "Low blood sugar: what to do",
                "summary": "Signs of low blood sugar and the 15-15 rule.",
                "body": """
Blood sugar below 70 is low. It can happen if you take insulin or some diabetes pills, skip a meal, or are
more active than usual. Low sugar needs care right away.

# Signs of low sugar
- Shaking, sweating or feeling cold and clammy.
- A fast heartbeat.
- Feeling hungry, cranky or confused.
- Feeling dizzy or weak.

# The 15-15 rule
- Eat or drink 15 grams of fast sugar. That is half a cup of juice or regular soda, or 4 glucose tablets.
- Wait 15 minutes. Check your sugar again.
- If it is still below 70, do it again.
- When it is back to normal, eat a snack or a meal.

# Get help
- If a person with low sugar passes out or cannot swallow, call 911. Do not put food in their mouth.
- Tell your care team about every low. Your medicine may need to change.
- Carry glucose tablets or candy with you at all times.
""",
            },
            "es": {
                "title": "Azúcar baja: qué hacer",
                "summary": "Las señales del azúcar baja y la regla 15-15.",
                "body": """
El azúcar en la sangre abajo de 70 es baja. Puede pasar si usa insulina o algunas pastillas para la diabetes,
si no come a tiempo o si hace más ejercicio que de costumbre. El azúcar baja se trata enseguida.

# Señales del azúcar baja
- Temblor, sudor o piel fría y húmeda.
- El corazón late rápido.
- Hambre, mal humor o confusión.
- Mareo o debilidad.

# La regla 15-15
- Coma o tome 15 gramos de azúcar rápida. Es media taza de jugo o de refresco normal, o 4 tabletas de glucosa.
- Espere 15 minutos. Mida su azúcar otra vez.
- Si sigue abajo de 70, repita.
- Cuando esté normal, coma algo ligero o su comida.

# Pida ayuda
- Si una persona con azúcar baja se desmaya o no puede tragar, llame al 911. No le ponga comida en la boca.
- Cuéntele a su equipo de salud cada vez que tenga el azúcar baja. Tal vez haya que cambiar su medicina.
- Lleve siempre tabletas de glucosa o dulces con usted.
""",
            },
        },
    },
    {
        "topic": "high-blood-pressure",
        "icd10_prefixes": ["I10", "I11", "I12", "I13", "I15", "I16"],
        "snomed_codes": ["38341003", "59621000"],
        "source_note": "NHLBI High Blood Pressure; AHA/ACC 2017 guideline; CDC Measure Your Blood Pressure",
        "versions": {
            "en": {
                "title": "High blood pressure",
                "summary": "Why blood pressure matters and how to bring it down.",
                "body": """
High blood pressure means your blood pushes too hard on the walls of your blood vessels. Most people do not
feel it. Over time it can lead to a stroke, a heart attack or kidney damage.

# Know your numbers
Blood pressure has two numbers, like 120 over 80. Ask your care team what your goal is. For many people the
goal is below 130 over 80.

# Steps that help
- Take your blood pressure medicine every day, even when you feel fine.
- Eat less salt. Read food labels. Canned soups, chips and deli meats have a lot.
- Eat more fruits and vegetables.
- Move your body 30 minutes on most days.
- Limit alcohol. Do not smoke.

# Checking at home
- Sit still for 5 minutes first, with your back supported and feet flat.
- Keep your arm at the level of your heart.
- Write down the numbers and bring them to your visits.

Call 911 if your top number is above 180 and you have chest pain, trouble breathing, a bad headache, or weak
arms or legs.
""",
            },
            "es": {
                "title": "Presión alta",
                "summary": "Por qué importa la presión y cómo bajarla.",
                "body": """
La presión alta quiere decir que la sangre empuja muy fuerte en las venas y arterias. Casi nadie la siente.
Con el tiempo puede causar un derrame cerebral, un ataque al corazón o daño a los riñones.

# Conozca sus números
La presión tiene dos números, como 120 sobre 80. Pregunte a su equipo de salud cuál es su meta. Para muchas
personas la meta es menos de 130 sobre 80.

# Pasos que ayudan
- Tome su medicina para la presión todos los días, aunque se sienta bien.
- Coma menos sal. Lea las etiquetas. Las sopas de lata, las papitas y los fiambres tienen mucha.
- Coma más frutas y verduras.
- Mueva el cuerpo 30 minutos casi todos los días.
- Tome poco alcohol. No fume.

# Cómo medirla en casa
- Siéntese quieto 5 minutos antes, con la espalda apoyada y los pies en el piso.
- Ponga el brazo a la altura del corazón.
- Anote los números y tráigalos a sus citas.

Llame al 911 si el número de arriba pasa de 180 y tiene dolor de pecho, le falta el aire, tiene un dolor de
cabeza fuerte o siente débiles los brazos o las piernas.
""",
            },
        },
    },
    {
        "topic": "heart-failure",
        "icd10_prefixes": ["I50", "I11.0", "I13.0", "I13.2"],
        "snomed_codes": ["84114007", "42343007"],
        "source_note": "AHA Heart Failure self-care; NHLBI Heart Failure; 2022 AHA/ACC/HFSA guideline",
        "versions": {
            "en": {
                "title": "Heart failure: daily care",
                "summary": "Weigh yourself, watch salt and fluid, and know when to call.",
                "body": """
Heart failure means your heart does not pump as well as it should. Fluid can build up in your body. Daily
care helps you feel better and stay out of the hospital.

# Every day
- Weigh yourself each morning after you use the toilet and before you eat. Write it down.
- Take your heart medicines as told. Do not skip a dose if you feel good.
- Eat less salt. Ask how much salt is right for you.
- Drink only as much fluid as your care team tells you.
- Check your feet, ankles and belly for swelling.
- Rest when you are tired. Stay active as your care team allows.

# Call your care team the same day if
- You gain 2 to 3 pounds in one day, or 5 pounds in one week.
- Your feet, legs or belly swell more.
- You are more short of breath, or need more pillows to sleep.
- You feel dizzy or very tired.

# Call 911 if
- You have chest pain.
- You cannot catch your breath, even at rest.
- You cough up pink, foamy mucus, or you pass out.
""",
            },
            "es": {
                "title": "Insuficiencia cardíaca: cuidado diario",
                "summary": "Pésese, cuide la sal y los líquidos, y sepa cuándo llamar.",
                "body": """
La insuficiencia cardíaca quiere decir que el corazón no bombea tan bien como debe. El cuerpo puede guardar
líquido. El cuidado de cada día le ayuda a sentirse mejor y a no volver al hospital.

# Cada día
- Pésese cada mañana después de ir al baño y antes de comer. Anote su peso.
- Tome sus medicinas del corazón como le dijeron. No deje una dosis aunque se sienta bien.
- Coma menos sal. Pregunte cuánta sal puede comer.
- Tome solo la cantidad de líquidos que le diga su equipo de salud.
- Revise si tiene hinchados los pies, los tobillos o la barriga.
- Descanse cuando esté cansado. Siga activo como le permita su equipo de salud.

# Llame a su equipo de salud el mismo día si
- Sube 2 o 3 libras en un día, o 5 libras en una semana.
- Se le hinchan más los pies, las piernas o la barriga.
- Le falta más el aire o necesita más almohadas para dormir.
- Se siente mareado o muy cansado.

# Llame al 911 si
- Tiene dolor de pecho.
- No puede respirar bien, aun en reposo.
- Tose flema rosada con espuma, o se desmaya.
""",
            },
        },
    },
    {
        "topic": "copd",
        "icd10_prefixes": ["J44", "J43"],
        "snomed_codes": ["13645005"],
        "source_note": "NHLBI COPD; CDC COPD; GOLD 2025 patient guidance",
        "versions": {
            "en": {
                "title": "COPD: breathing easier",
                "summary": "Inhalers, flare-ups and the steps that help your lungs.",
                "body": """
COPD is a long-term lung disease. It makes it hard to move air in and out. It cannot be cured, but you can
breathe easier and do more.

# Steps that help
- If you smoke, quitting is the best thing you can do. Ask us for help.
- Use your inhalers the way you were shown. Ask us to check how you use them.
- Use your daily inhaler even when you feel well.
- Keep your rescue inhaler with you.
- Get a flu shot every year. Ask about shots for pneumonia, COVID and RSV.
- Stay active. Ask about a lung exercise program, called pulmonary rehab.
- Stay away from smoke, dust and strong fumes.

# Signs of a flare-up
- More short of breath than usual.
- More coughing, or more mucus, or mucus that changes color.
- A fever.

Call your care team early if you have a flare-up. Follow your action plan if you have one.

Call 911 if you are so short of breath you cannot talk, or your lips or fingers turn blue or gray.
""",
            },
            "es": {
                "title": "EPOC: respirar mejor",
                "summary": "Inhaladores, crisis y los pasos que ayudan a sus pulmones.",
                "body": """
La EPOC es una enfermedad de los pulmones que dura toda la vida. Hace difícil que el aire entre y salga. No
tiene cura, pero usted puede respirar mejor y hacer más cosas.

# Pasos que ayudan
- Si fuma, dejar de fumar es lo mejor que puede hacer. Pídanos ayuda.
- Use sus inhaladores como le enseñaron. Pídanos que revisemos cómo los usa.
- Use su inhalador de cada día aunque se sienta bien.
- Lleve con usted su inhalador de rescate.
- Póngase la vacuna de la gripe cada año. Pregunte por las vacunas de neumonía, COVID y RSV.
- Manténgase activo. Pregunte por un programa de ejercicios para los pulmones.
- Aléjese del humo, del polvo y de los olores fuertes.

# Señales de una crisis
- Le falta el aire más que de costumbre.
- Tose más, tiene más flema o la flema cambia de color.
- Tiene fiebre.

Llame pronto a su equipo de salud si tiene una crisis. Siga su plan de acción si tiene uno.

Llame al 911 si le falta tanto el aire que no puede hablar, o si los labios o los dedos se ponen azules o grises.
""",
            },
        },
    },
    {
        "topic": "asthma",
        "icd10_prefixes": ["J45"],
        "snomed_codes": ["195967001"],
        "source_note": "NHLBI Asthma; CDC Asthma action plan; GINA 2024 patient guidance",
        "versions": {
            "en": {
                "title": "Asthma: stay in control",
                "summary": "Know your triggers, use your inhalers, follow your action plan.",
                "body": """
Asthma makes the airways in your lungs swell and get tight. This can cause coughing, wheezing and a tight
chest. With care, most people with asthma can live an active life.

# Two kinds of medicine
- A control medicine keeps the swelling down. Use it every day, even when you feel fine.
- A quick-relief inhaler opens the airways fast. Keep it with you.

# Know your triggers
- Smoke, dust, mold, pets, pollen and cold air are common triggers.
- Colds and the flu can set off an attack. Get a flu shot every year.
- Try to stay away from the things that make your asthma worse.

# Your action plan
Ask your care team for a written asthma action plan. It tells you what to do when your breathing gets worse.

Call your care team if you use your quick-relief inhaler more than 2 days a week, or asthma wakes you up at
night.

Call 911 if your quick-relief inhaler does not help, you cannot talk in full sentences, or your lips turn blue
or gray.
""",
            },
            "es": {
                "title": "Asma: manténgala bajo control",
                "summary": "Conozca lo que le afecta, use sus inhaladores y siga su plan.",
                "body": """
El asma hace que las vías del aire en los pulmones se hinchen y se cierren. Esto causa tos, silbido en el
pecho y pecho apretado. Con cuidado, casi todas las personas con asma pueden llevar una vida activa.

# Dos tipos de medicina
- La medicina de control baja la hinchazón. Úsela todos los días, aunque se sienta bien.
- El inhalador de alivio rápido abre las vías del aire enseguida. Llévelo siempre con usted.

# Conozca lo que le afecta
- El humo, el polvo, el moho, los animales, el polen y el aire frío afectan a muchas personas.
- Los resfriados y la gripe pueden causar un ataque. Póngase la vacuna de la gripe cada año.
- Trate de alejarse de las cosas que empeoran su asma.

# Su plan de acción
Pida a su equipo de salud un plan de acción por escrito. Le dice qué hacer cuando le cuesta más respirar.

Llame a su equipo de salud si usa el inhalador de alivio rápido más de 2 días por semana, o si el asma lo
despierta de noche.

Llame al 911 si el inhalador de alivio rápido no le ayuda, no puede decir una frase completa o los labios se le
ponen azules o grises.
""",
            },
        },
    },
    {
        "topic": "depression",
        "icd10_prefixes": ["F32", "F33", "F34.1"],
        "snomed_codes": ["35489007", "370143000"],
        "careplan_categories": ["behavioral_health"],
        "source_note": "NIMH Depression; 988 Suicide and Crisis Lifeline",
        "versions": {
            "en": {
                "title": "Depression: you are not alone",
                "summary": "What depression feels like, what helps, and where to get help fast.",
                "body": """
Depression is a common health problem. It is not a weakness and it is not your fault. It can be treated, and
most people get better.

# Signs of depression
- Feeling sad, empty or hopeless most days.
- Losing interest in things you used to enjoy.
- Sleeping too much or too little.
- Feeling tired, or having trouble thinking.
- Eating more or less than usual.

# What helps
- Talk therapy, medicine, or both. Your care team will help you choose.
- Take your medicine every day. It can take 4 to 6 weeks to work. Do not stop it without talking to us.
- Stay in touch with people you trust.
- Get outside and move your body, even for a short walk.
- Try to go to bed and get up at the same times.
- Stay away from alcohol and drugs. They make depression worse.

# Get help right away
If you think about hurting yourself, call or text 988 at any time, day or night. You can talk to someone in
English or Spanish. If you are in danger now, call 911.
""",
            },
            "es": {
                "title": "Depresión: no está solo",
                "summary": "Cómo se siente la depresión, qué ayuda y dónde pedir ayuda rápido.",
                "body": """
La depresión es un problema de salud común. No es una debilidad y no es su culpa. Tiene tratamiento, y casi
todas las personas mejoran.

# Señales de depresión
- Se siente triste, vacío o sin esperanza casi todos los días.
- Pierde el interés en las cosas que antes le gustaban.
- Duerme mucho o muy poco.
- Se siente cansado o le cuesta pensar.
- Come más o menos que de costumbre.

# Lo que ayuda
- La terapia, la medicina, o las dos. Su equipo de salud le ayudará a escoger.
- Tome su medicina todos los días. Puede tardar de 4 a 6 semanas en hacer efecto. No la deje sin hablar con
  nosotros.
- Hable con las personas en quienes confía.
- Salga y mueva el cuerpo, aunque sea una caminata corta.
- Trate de acostarse y levantarse a la misma hora.
- Aléjese del alcohol y las drogas. Empeoran la depresión.

# Pida ayuda enseguida
Si piensa en hacerse daño, llame o mande un texto al 988 a cualquier hora, de día o de noche. Puede hablar
con alguien en español. Si está en peligro ahora, llame al 911.
""",
            },
        },
    },
    {
        "topic": "chronic-kidney-disease",
        "icd10_prefixes": ["N18", "E11.22", "I12", "I13"],
        "snomed_codes": ["709044004"],
        "source_note": "NIDDK Chronic Kidney Disease; National Kidney Foundation; KDIGO 2024 patient guidance",
        "versions": {
            "en": {
                "title": "Chronic kidney disease",
                "summary": "How to protect your kidneys and which medicines to avoid.",
                "body": """
Your kidneys clean your blood and take out extra water. In chronic kidney disease, the kidneys slowly lose
this power. You can often slow it down.

# Protect your kidneys
- Keep your blood pressure at your goal.
- If you have diabetes, keep your blood sugar in your target range.
- Take your medicines as told.
- Eat less salt. Ask if you should limit protein, potassium or phosphorus.
- Do not smoke.

# Be careful with medicines
- Do not take pain pills like ibuprofen (Advil, Motrin) or naproxen (Aleve) unless your doctor says it is OK.
  They can hurt your kidneys.
- Ask your pharmacist before you take any new medicine, vitamin or herb.
- Tell every doctor that you have kidney disease.

# Tests to get
- Blood and urine tests to check your kidneys, as often as your care team says.

Call your care team if you pee much less than usual, your legs swell, or you feel very tired or sick to your
stomach.
""",
            },
            "es": {
                "title": "Enfermedad crónica de los riñones",
                "summary": "Cómo cuidar sus riñones y qué medicinas evitar.",
                "body": """
Los riñones limpian la sangre y sacan el agua que sobra. En la enfermedad crónica de los riñones, estos
pierden poco a poco su fuerza. Muchas veces se puede frenar.

# Cuide sus riñones
- Mantenga la presión en su meta.
- Si tiene diabetes, mantenga el azúcar en su meta.
- Tome sus medicinas como le dijeron.
- Coma menos sal. Pregunte si debe comer menos proteína, potasio o fósforo.
- No fume.

# Tenga cuidado con las medicinas
- No tome pastillas para el dolor como ibuprofeno (Advil, Motrin) o naproxeno (Aleve) si su médico no le dice
  que puede. Pueden dañar los riñones.
- Pregunte al farmacéutico antes de tomar una medicina, vitamina o hierba nueva.
- Dígale a cada médico que tiene enfermedad de los riñones.

# Pruebas que necesita
- Pruebas de sangre y de orina para revisar los riñones, tan seguido como diga su equipo de salud.

Llame a su equipo de salud si orina mucho menos que de costumbre, se le hinchan las piernas, o se siente muy
cansado o con náuseas.
""",
            },
        },
    },
    {
        "topic": "taking-medicines",
        "icd10_prefixes": ["Z91.1"],
        "careplan_categories": ["chronic", "post_discharge"],
        "source_note": "FDA Use Medicines Wisely; AHRQ Your Medicine: Be Smart. Be Safe.",
        "versions": {
            "en": {
                "title": "Taking your medicines the right way",
                "summary": "Simple ways to take every dose as prescribed.",
                "body": """
Medicines work best when you take them the way your care team tells you. Missing doses, or taking extra, can
make you sick.

# Tips that help
- Take each medicine at the same time every day.
- Use a pill box with the days of the week.
- Set an alarm on your phone.
- Keep your medicines where you will see them, but away from children and pets.
- Refill your medicines a week before they run out.

# Talk to us if
- A medicine costs too much. There may be a cheaper one.
- You have side effects. Do not just stop the medicine. Call us first.
- You are not sure what a medicine is for.
- You have trouble opening bottles or reading labels.

# Ask these questions
- What is this medicine for?
- How and when do I take it?
- What side effects should I watch for?
- What should I do if I miss a dose?
""",
            },
            "es": {
                "title": "Cómo tomar bien sus medicinas",
                "summary": "Maneras fáciles de tomar cada dosis como se la recetaron.",
                "body": """
Las medicinas funcionan mejor cuando las toma como le dice su equipo de salud. Dejar dosis, o tomar de más,
puede enfermarlo.

# Consejos que ayudan
- Tome cada medicina a la misma hora todos los días.
- Use un pastillero con los días de la semana.
- Ponga una alarma en su teléfono.
- Guarde sus medicinas donde las vea, pero lejos de los niños y los animales.
- Pida más medicina una semana antes de que se le acabe.

# Hable con nosotros si
- Una medicina cuesta mucho. Puede haber una más barata.
- Tiene efectos secundarios. No deje la medicina así nomás. Llámenos antes.
- No sabe para qué es una medicina.
- Le cuesta abrir los frascos o leer las etiquetas.

# Haga estas preguntas
- ¿Para qué es esta medicina?
- ¿Cómo y cuándo la tomo?
- ¿Qué efectos secundarios debo vigilar?
- ¿Qué hago si se me olvida una dosis?
""",
            },
        },
    },
    {
        "topic": "blood-thinners",
        "icd10_prefixes": ["Z79.01", "I48", "I26", "I82.4"],
        "snomed_codes": ["49436004"],
        "rxnorm_codes": [WARFARIN, APIXABAN, RIVAROXABAN],
        "source_note": "AHRQ Blood Thinner Pills: Your Guide to Using Them Safely; FDA anticoagulant labels",
        "versions": {
            "en": {
                "title": "Blood thinners: staying safe",
                "summary": "How to take a blood thinner safely and the signs of bleeding.",
                "body": """
A blood thinner helps stop clots that can cause a stroke or block a blood vessel. Examples are warfarin
(Coumadin), apixaban (Eliquis) and rivaroxaban (Xarelto). These medicines also make you bleed more easily.

# Take it safely
- Take it at the same time every day. Do not skip doses or take extra.
- Do not stop it unless your doctor tells you to.
- Tell every doctor and dentist that you take a blood thinner, before any test or surgery.
- Ask before you take aspirin, ibuprofen, naproxen, vitamins or herbs. Many of them raise the risk of
  bleeding.
- If you take warfarin, get your blood tests (INR) on time. Keep the amount of green, leafy vegetables you
  eat about the same each week.

# Prevent falls and cuts
- Use a soft toothbrush and an electric razor.
- Wear shoes, and clear things off the floor.

# Call your care team if
- Your gums or nose bleed and it does not stop.
- Your pee is pink or brown, or your stool is red or black.
- You have big bruises you cannot explain.

Call 911 if you fall and hit your head, have a very bad headache, cough or throw up blood, or have bleeding
that will not stop.
""",
            },
            "es": {
                "title": "Anticoagulantes: cómo estar seguro",
                "summary": "Cómo tomar un anticoagulante sin peligro y las señales de sangrado.",
                "body": """
Un anticoagulante ayuda a evitar coágulos que pueden causar un derrame cerebral o tapar una vena. Algunos son
la warfarina (Coumadin), el apixabán (Eliquis) y el rivaroxabán (Xarelto). Estas medicinas también hacen que
sangre con más facilidad.

# Tómelo sin peligro
- Tómelo a la misma hora todos los días. No deje dosis ni tome de más.
- No lo deje a menos que su médico se lo diga.
- Dígale a cada médico y dentista que toma un anticoagulante, antes de una prueba o una operación.
- Pregunte antes de tomar aspirina, ibuprofeno, naproxeno, vitaminas o hierbas. Muchas suben el riesgo de
  sangrar.
- Si toma warfarina, hágase a tiempo sus pruebas de sangre (INR). Coma más o menos la misma cantidad de
  verduras de hoja verde cada semana.

# Evite caídas y cortadas
- Use un cepillo de dientes suave y una rasuradora eléctrica.
- Use zapatos y quite las cosas del piso.

# Llame a su equipo de salud si
- Le sangran las encías o la nariz y no para.
- La orina sale rosada o café, o el excremento sale rojo o negro.
- Tiene moretones grandes sin saber por qué.

Llame al 911 si se cae y se pega en la cabeza, tiene un dolor de cabeza muy fuerte, tose o vomita sangre, o
tiene un sangrado que no para.
""",
            },
        },
    },
    {
        "topic": "insulin",
        "icd10_prefixes": ["Z79.4", "E10"],
        "rxnorm_codes": [INSULIN_GLARGINE, INSULIN_LISPRO, INSULIN_ASPART, INSULIN_DETEMIR],
        "source_note": "ADA Insulin Basics; FDA insulin storage guidance; CDC Insulin",
        "versions": {
            "en": {
                "title": "Using insulin safely",
                "summary": "How to take, store and keep track of your insulin.",
                "body": """
Insulin lowers your blood sugar. It works well, but the dose must be right. Too much can make your sugar drop
too low.

# Taking insulin
- Take the dose your care team told you, at the times they told you.
- Some insulin is taken with meals. Do not take it if you are going to skip the meal, unless you were told
  to.
- Change the spot where you give the shot each time. Use your belly, thighs or the back of your arms.
- Use a new needle each time. Never share pens or needles, even with family.

# Storing insulin
- Keep unopened insulin in the fridge. Do not let it freeze.
- Insulin you are using can stay at room temperature. Check the label for how many days it lasts.
- Do not use insulin that looks cloudy or has clumps, unless it is the kind that is meant to be cloudy.
- Keep insulin out of hot cars and direct sun.

# Stay safe
- Check your blood sugar as you were told. Write it down.
- Know the signs of low sugar and carry fast sugar with you.
- Throw away used needles in a hard plastic bottle with a lid.
""",
            },
            "es": {
                "title": "Cómo usar la insulina sin peligro",
                "summary": "Cómo ponerse, guardar y llevar el control de su insulina.",
                "body": """
La insulina baja el azúcar en la sangre. Funciona bien, pero la dosis debe ser la correcta. Si se pone de más,
el azúcar puede bajar demasiado.

# Cómo ponerse la insulina
- Póngase la dosis que le dijo su equipo de salud, a las horas que le dijeron.
- Algunas insulinas se ponen con las comidas. No se la ponga si no va a comer, a menos que le digan que sí.
- Cambie el lugar de la inyección cada vez. Use la barriga, los muslos o la parte de atrás de los brazos.
- Use una aguja nueva cada vez. Nunca comparta plumas ni agujas, ni con su familia.

# Cómo guardar la insulina
- Guarde la insulina sin abrir en el refrigerador. No deje que se congele.
- La insulina que está usando puede estar a temperatura ambiente. Lea en la etiqueta cuántos días dura.
- No use insulina turbia o con grumos, a menos que sea del tipo que debe verse turbia.
- No deje la insulina en un carro caliente ni al sol.

# Cuídese
- Mida su azúcar como le dijeron. Anote los números.
- Conozca las señales del azúcar baja y lleve azúcar rápida con usted.
- Tire las agujas usadas en una botella de plástico duro con tapa.
""",
            },
        },
    },
    {
        "topic": "opioid-safety",
        "icd10_prefixes": ["Z79.891", "F11", "G89.2", "G89.4"],
        "rxnorm_codes": [OXYCODONE, HYDROCODONE, MORPHINE, TRAMADOL, FENTANYL, HYDROMORPHONE, METHADONE],
        "source_note": "CDC Opioid Safety; FDA naloxone and drug disposal guidance; 2022 CDC prescribing guideline",
        "versions": {
            "en": {
                "title": "Opioid pain medicine: safety",
                "summary": "How to take opioids safely, store them and use naloxone.",
                "body": """
Opioids are strong pain medicines, like oxycodone, hydrocodone, morphine and tramadol. They can help with
pain, but they can also slow your breathing and lead to addiction.

# Take them safely
- Take only the dose you were told. Never take extra.
- Do not mix opioids with alcohol, sleeping pills or anxiety pills. This can stop your breathing.
- Do not drive until you know how the medicine affects you.
- Tell your care team if you still need them after a few days. Ask about other ways to treat pain.

# Store and throw away
- Keep opioids locked up, away from children, teens and guests.
- Never share your pills.
- Bring pills you do not need to a drug take-back site. Ask your pharmacy where one is.

# Keep naloxone at home
Naloxone (Narcan) can reverse an overdose. You can get it at a pharmacy without a prescription. Show your
family where it is and how to use it.

# Signs of an overdose
- The person will not wake up, or their breathing is very slow or has stopped.
- Their lips or nails are blue or gray.

Call 911 and give naloxone right away.
""",
            },
            "es": {
                "title": "Medicinas opioides para el dolor: seguridad",
                "summary": "Cómo tomar opioides sin peligro, guardarlos y usar naloxona.",
                "body": """
Los opioides son medicinas fuertes para el dolor, como la oxicodona, la hidrocodona, la morfina y el
tramadol. Ayudan con el dolor, pero también pueden frenar la respiración y causar adicción.

# Tómelos sin peligro
- Tome solo la dosis que le dijeron. Nunca tome de más.
- No mezcle los opioides con alcohol, pastillas para dormir o pastillas para los nervios. Puede dejar de
  respirar.
- No maneje hasta saber cómo le afecta la medicina.
- Avise a su equipo de salud si todavía los necesita después de unos días. Pregunte por otras formas de
  tratar el dolor.

# Cómo guardarlos y tirarlos
- Guarde los opioides bajo llave, lejos de niños, jóvenes y visitas.
- Nunca comparta sus pastillas.
- Lleve las pastillas que no necesita a un lugar de devolución de medicinas. Pregunte en su farmacia dónde
  hay uno.

# Tenga naloxona en casa
La naloxona (Narcan) puede revertir una sobredosis. La puede comprar en la farmacia sin receta. Enseñe a su
familia dónde está y cómo usarla.

# Señales de una sobredosis
- La persona no despierta, o respira muy despacio o no respira.
- Tiene los labios o las uñas azules o grises.

Llame al 911 y dele naloxona enseguida.
""",
            },
        },
    },
    {
        "topic": "medication-list",
        "icd10_prefixes": ["Z79"],
        "careplan_categories": ["chronic", "post_discharge", "nursing_home"],
        "source_note": "FDA My Medicine Record; AHRQ medication safety tips",
        "versions": {
            "en": {
                "title": "Keeping a list of your medicines",
                "summary": "Why a medicine list keeps you safe, and what to put on it.",
                "body": """
A list of all your medicines helps your care team keep you safe. It helps stop mix-ups, double doses and
medicines that do not go well together.

# What to write down
- The name of each medicine.
- How much you take, and when.
- What it is for.
- Who prescribed it.
- Also list vitamins, herbs and medicines you buy without a prescription.
- Write down any allergies you have.

# Keep it up to date
- Change the list each time a medicine is started, stopped or changed.
- Cross out old medicines and add the date.
- Keep a copy in your wallet or on your phone. Give a copy to a family member.

# Bring it every time
- Bring your list to every visit, to the pharmacy and to the hospital.
- After a hospital stay, ask us to go over your list with you. Medicines often change.
""",
            },
            "es": {
                "title": "Cómo llevar una lista de sus medicinas",
                "summary": "Por qué una lista de medicinas lo protege y qué poner en ella.",
                "body": """
Una lista de todas sus medicinas ayuda a su equipo de salud a cuidarlo. Ayuda a evitar confusiones, dosis
dobles y medicinas que no se llevan bien entre sí.

# Qué anotar
- El nombre de cada medicina.
- Cuánto toma y cuándo.
- Para qué es.
- Quién se la recetó.
- Anote también las vitaminas, las hierbas y las medicinas que compra sin receta.
- Anote si tiene alergias.

# Manténgala al día
- Cambie la lista cada vez que empiece, deje o cambie una medicina.
- Tache las medicinas que ya no toma y anote la fecha.
- Guarde una copia en su cartera o en su teléfono. Dele una copia a alguien de su familia.

# Llévela siempre
- Lleve su lista a cada cita, a la farmacia y al hospital.
- Después de estar en el hospital, pídanos revisar la lista con usted. Las medicinas cambian muchas veces.
""",
            },
        },
    },
    {
        "topic": "after-the-hospital",
        "icd10_prefixes": ["Z09"],
        "careplan_categories": ["post_discharge"],
        "source_note": "AHRQ Re-Engineered Discharge (RED) patient instructions; CMS Your Discharge Planning Checklist",
        "versions": {
            "en": {
                "title": "Going home from the hospital",
                "summary": "The first days at home: medicines, follow-up visits and warning signs.",
                "body": """
The first days after a hospital stay are important. A few steps can help you heal and keep you from going
back.

# Before you leave, know
- Why you were in the hospital.
- Which medicines to take, which ones changed, and which ones to stop.
- When your follow-up visit is. Try to see your doctor within 7 days.
- Which warning signs mean you should call.

# At home
- Take your medicines exactly as your new list says. Throw away or set aside old ones that were stopped.
- Go to your follow-up visits. Bring your discharge papers and medicine list.
- Follow the diet and activity advice you were given.
- Ask a family member or friend to help the first few days.

# Call your care team if
- You have new or worse pain, fever, or trouble breathing.
- You cannot get your medicines or do not understand them.
- You have no ride to your visit.

We will call you after you get home. Keep your phone close and answer calls from us.
""",
            },
            "es": {
                "title": "De vuelta a casa después del hospital",
                "summary": "Los primeros días en casa: medicinas, citas de control y señales de alerta.",
                "body": """
Los primeros días después de estar en el hospital son muy importantes. Unos pocos pasos le ayudan a sanar y a
no tener que volver.

# Antes de salir, sepa
- Por qué estuvo en el hospital.
- Qué medicinas tomar, cuáles cambiaron y cuáles debe dejar.
- Cuándo es su cita de control. Trate de ver a su médico en los primeros 7 días.
- Qué señales de alerta quieren decir que debe llamar.

# En casa
- Tome sus medicinas tal como dice su nueva lista. Tire o aparte las viejas que le quitaron.
- Vaya a sus citas de control. Lleve sus papeles del hospital y su lista de medicinas.
- Siga los consejos de comida y de actividad que le dieron.
- Pida ayuda a un familiar o amigo en los primeros días.

# Llame a su equipo de salud si
- Tiene dolor nuevo o peor, fiebre o le falta el aire.
- No puede conseguir sus medicinas o no las entiende.
- No tiene cómo llegar a su cita.

Lo vamos a llamar cuando llegue a casa. Tenga su teléfono cerca y conteste nuestras llamadas.
""",
            },
        },
    },
    {
        "topic": "fall-prevention",
        "icd10_prefixes": ["Z91.81", "R26", "R29.6", "W19"],
        "careplan_categories": ["rehabilitation", "nursing_home"],
        "source_note": "CDC STEADI: What You Can Do to Prevent Falls; NIA Falls and Fractures",
        "versions": {
            "en": {
                "title": "Preventing falls",
                "summary": "Simple ways to make your home safer and stay steady.",
                "body": """
Falls are common as we get older, but many falls can be prevented. A fall can lead to a broken bone or a head
injury.

# Talk to your care team
- Tell us if you have fallen, or if you feel unsteady.
- Ask if any of your medicines can make you dizzy or sleepy.
- Have your eyes checked once a year.
- Ask about exercises to make your legs stronger and help your balance.

# Make your home safer
- Clear the floor of clutter, cords and loose rugs.
- Put bright lights on stairs and night lights in the bedroom, hall and bathroom.
- Put grab bars in the shower and next to the toilet.
- Have rails on both sides of the stairs.
- Keep things you use often within easy reach.

# Every day
- Get up slowly after you sit or lie down.
- Wear shoes with a firm, flat sole, inside and outside.
- Use your cane or walker if you have one.

If you fall, stay still for a moment. If you are hurt or cannot get up, call for help.
""",
            },
            "es": {
                "title": "Cómo evitar caídas",
                "summary": "Maneras fáciles de hacer su casa más segura y mantenerse firme.",
                "body": """
Las caídas son comunes al envejecer, pero muchas se pueden evitar. Una caída puede causar un hueso roto o un
golpe en la cabeza.

# Hable con su equipo de salud
- Avísenos si se ha caído o si se siente inseguro al caminar.
- Pregunte si alguna de sus medicinas puede darle mareo o sueño.
- Hágase revisar la vista cada año.
- Pregunte por ejercicios para tener piernas más fuertes y mejor equilibrio.

# Haga su casa más segura
- Quite del piso las cosas tiradas, los cables y los tapetes sueltos.
- Ponga buena luz en las escaleras y luces de noche en el cuarto, el pasillo y el baño.
- Ponga barras para agarrarse en la ducha y junto al inodoro.
- Ponga pasamanos a los dos lados de la escalera.
- Tenga a la mano las cosas que usa seguido.

# Cada día
- Levántese despacio después de estar sentado o acostado.
- Use zapatos con suela firme y plana, dentro y fuera de la casa.
- Use su bastón o andadera si tiene uno.

Si se cae, quédese quieto un momento. Si se lastimó o no puede levantarse, pida ayuda.
""",
            },
        },
    },
    {
        "topic": "preparing-for-a-visit",
        "careplan_categories": ["chronic", "rehabilitation", "pediatric_school"],
        "source_note": "AHRQ Questions Are the Answer; NIA How to Prepare for a Doctor's Appointment",
        "versions": {
            "en": {
                "title": "Getting ready for your visit",
                "summary": "What to bring and what to ask, so you get the most from each visit.",
                "body": """
Visits with your doctor are often short. A little planning helps you get what you need.

# Before the visit
- Write down your top 3 questions or worries.
- Write down any changes since your last visit, like new symptoms or a hospital stay.
- Plan your ride. Ask us if you need help getting there.
- If you need an interpreter, tell us ahead of time. It is free.

# What to bring
- Your medicine list, or all your medicine bottles in a bag.
- Your insurance card and photo ID.
- Your blood sugar or blood pressure log, if you keep one.
- A family member or friend, if you want help to listen and take notes.

# During the visit
- Ask your most important question first.
- If you do not understand, ask the doctor to say it another way.
- Repeat back what you heard in your own words, to be sure.
- Before you leave, ask: What is the next step? When should I come back?
""",
            },
            "es": {
                "title": "Cómo prepararse para su cita",
                "summary": "Qué llevar y qué preguntar para aprovechar cada cita.",
                "body": """
Las citas con el médico muchas veces son cortas. Un poco de preparación le ayuda a conseguir lo que necesita.

# Antes de la cita
- Anote sus 3 preguntas o dudas más importantes.
- Anote los cambios desde su última cita, como síntomas nuevos o una estadía en el hospital.
- Planee cómo va a llegar. Pregúntenos si necesita ayuda con el transporte.
- Si necesita un intérprete, avísenos antes. Es gratis.

# Qué llevar
- Su lista de medicinas, o todos sus frascos de medicina en una bolsa.
- Su tarjeta del seguro y una identificación con foto.
- Sus apuntes del azúcar o de la presión, si los tiene.
- Un familiar o amigo, si quiere ayuda para escuchar y tomar notas.

# Durante la cita
- Haga primero su pregunta más importante.
- Si no entiende, pida al médico que lo explique de otra manera.
- Repita con sus propias palabras lo que entendió, para estar seguro.
- Antes de salir, pregunte: ¿Cuál es el siguiente paso? ¿Cuándo debo volver?
""",
            },
        },
    },
    {
        "topic": "when-to-call",
        "careplan_categories": ["post_discharge", "chronic", "nursing_home"],
        "source_note": "American College of Emergency Physicians warning signs; AHA/ASA BE FAST stroke signs; 988",
        "versions": {
            "en": {
                "title": "When to call your doctor and when to call 911",
                "summary": "Know which problems can wait for a call and which need 911 now.",
                "body": """
It can be hard to know where to turn when you feel sick. This guide can help. Keep it by your phone.

# Call 911 right away for
- Chest pain or pressure, or pain that spreads to the arm, jaw or back.
- Trouble breathing that is bad or getting worse fast.
- Signs of a stroke: a face that droops, an arm that is weak, speech that is slurred or strange. Note the
  time it started.
- Passing out, a seizure, or being very hard to wake up.
- Bleeding that will not stop.
- Thoughts of hurting yourself or others. You can also call or text 988.

# Call your doctor or care team the same day for
- A fever, a cough or pain that does not get better.
- Swelling in your legs, or fast weight gain.
- Blood sugar or blood pressure far out of your usual range.
- A new rash, or side effects from a medicine.
- Throwing up or diarrhea that lasts more than a day.

# After hours
Call your doctor's office number. A nurse or doctor on call can help you decide what to do. Urgent care can
help with minor problems when the office is closed.
""",
            },
            "es": {
                "title": "Cuándo llamar al médico y cuándo llamar al 911",
                "summary": "Sepa qué problemas pueden esperar una llamada y cuáles necesitan el 911 ya.",
                "body": """
Cuando se siente mal, puede ser difícil saber a quién llamar. Esta guía le puede ayudar. Téngala junto al
teléfono.

# Llame al 911 enseguida si tiene
- Dolor o presión en el pecho, o dolor que se pasa al brazo, la quijada o la espalda.
- Mucha falta de aire, o que empeora rápido.
- Señales de derrame cerebral: la cara se cae de un lado, un brazo está débil, habla raro o no se le
  entiende. Fíjese en la hora en que empezó.
- Un desmayo, una convulsión o mucha dificultad para despertar.
- Un sangrado que no para.
- Ideas de hacerse daño o de hacer daño a otros. También puede llamar o mandar un texto al 988.

# Llame a su médico o a su equipo de salud el mismo día si tiene
- Fiebre, tos o dolor que no mejora.
- Hinchazón en las piernas o sube de peso muy rápido.
- El azúcar o la presión muy fuera de lo normal para usted.
- Un salpullido nuevo o efectos secundarios de una medicina.
- Vómito o diarrea por más de un día.

# Fuera de horario
Llame al número del consultorio. Una enfermera o un médico de turno le ayuda a decidir qué hacer. Una clínica
de urgencias puede ayudar con problemas menores cuando el consultorio está cerrado.
""",
            },
        },
    },
    {
        "topic": "healthy-eating-on-a-budget",
        "icd10_prefixes": ["E11", "E66", "E78", "I10", "Z59.4"],
        "source_note": "USDA MyPlate Kitchen and Shop Simple; Dietary Guidelines for Americans 2020-2025",
        "versions": {
            "en": {
                "title": "Healthy eating on a budget",
                "summary": "Eat well for less: plan, shop smart and cook simple meals.",
                "body": """
Eating healthy does not have to cost a lot. A few habits can help you eat well and save money.

# Plan ahead
- Plan your meals for the week. Make a shopping list and stick to it.
- Cook once and eat twice. Leftovers make a quick lunch.
- Do not shop when you are hungry.

# Shop smart
- Buy frozen or canned fruits and vegetables. They are as good for you as fresh. Pick canned ones with no
  added salt or sugar.
- Beans, lentils, eggs and canned fish are cheap sources of protein.
- Buy brown rice, oats and whole wheat bread.
- Store brands cost less and are often the same food.
- Buy fruits and vegetables that are in season.

# Fill your plate
- Half the plate: vegetables and fruit.
- A quarter: protein, like beans, chicken or fish.
- A quarter: whole grains.
- Drink water instead of soda.

# Get help with food
Ask us about food banks, SNAP (food stamps) and WIC. We can help you apply.
""",
            },
            "es": {
                "title": "Comer sano sin gastar mucho",
                "summary": "Coma bien por menos: planee, compre con cuidado y cocine fácil.",
                "body": """
Comer sano no tiene que costar mucho. Unos pocos hábitos le ayudan a comer bien y ahorrar dinero.

# Planee antes
- Planee las comidas de la semana. Haga una lista de compras y sígala.
- Cocine una vez y coma dos veces. Lo que sobra sirve para un almuerzo rápido.
- No vaya de compras con hambre.

# Compre con cuidado
- Compre frutas y verduras congeladas o de lata. Son tan buenas como las frescas. Escoja las de lata sin sal
  ni azúcar añadida.
- Los frijoles, las lentejas, los huevos y el pescado de lata son proteínas baratas.
- Compre arroz integral, avena y pan integral.
- Las marcas de la tienda cuestan menos y muchas veces son la misma comida.
- Compre las frutas y verduras de la temporada.

# Llene su plato
- La mitad del plato: verduras y frutas.
- Un cuarto: proteína, como frijoles, pollo o pescado.
- Un cuarto: granos integrales.
- Tome agua en vez de refresco.

# Ayuda con la comida
Pregúntenos por los bancos de comida, SNAP (estampillas de comida) y WIC. Le podemos ayudar a hacer la
solicitud.
""",
            },
        },
    },
    {
        "topic": "low-salt-eating",
        "icd10_prefixes": ["I10", "I11", "I50", "N18"],
        "source_note": "AHA Sodium and Salt; FDA Sodium in Your Diet; NHLBI DASH eating plan",
        "versions": {
            "en": {
                "title": "Eating less salt",
                "summary": "Where salt hides and how to cut back.",
                "body": """
Too much salt makes your body hold on to water. This raises blood pressure and makes the heart and kidneys
work harder. Most salt we eat comes from packaged and restaurant food, not the salt shaker.

# Where salt hides
- Canned soups and vegetables.
- Deli meats, hot dogs, bacon and ham.
- Frozen meals, pizza and fast food.
- Chips, crackers and pickles.
- Sauces, like soy sauce, ketchup and salad dressing.

# How to cut back
- Read the label. Look at the sodium. Pick foods with 5% daily value or less.
- Cook at home more. Use herbs, spices, lemon, garlic or onion for flavor.
- Rinse canned beans and vegetables with water.
- Take the salt shaker off the table.
- When you eat out, ask for no added salt and for sauces on the side.

Your taste buds will get used to less salt in a few weeks. Ask your care team how much salt is right for you.
""",
            },
            "es": {
                "title": "Comer menos sal",
                "summary": "Dónde se esconde la sal y cómo comer menos.",
                "body": """
Mucha sal hace que el cuerpo guarde agua. Esto sube la presión y hace trabajar más al corazón y a los riñones.
Casi toda la sal que comemos viene de la comida empacada y de restaurante, no del salero.

# Dónde se esconde la sal
- Las sopas y las verduras de lata.
- Los fiambres, las salchichas, el tocino y el jamón.
- Las comidas congeladas, la pizza y la comida rápida.
- Las papitas, las galletas saladas y los encurtidos.
- Las salsas, como la salsa de soya, la cátsup y los aderezos.

# Cómo comer menos sal
- Lea la etiqueta. Fíjese en el sodio. Escoja comidas con 5% del valor diario o menos.
- Cocine más en casa. Use hierbas, especias, limón, ajo o cebolla para dar sabor.
- Enjuague con agua los frijoles y las verduras de lata.
- Quite el salero de la mesa.
- Cuando coma fuera, pida la comida sin sal añadida y las salsas aparte.

En unas semanas se va a acostumbrar al sabor con menos sal. Pregunte a su equipo de salud cuánta sal puede
comer.
""",
            },
        },
    },
    {
        "topic": "managing-stress",
        "icd10_prefixes": ["F41", "F43", "Z73.3"],
        "careplan_categories": ["behavioral_health"],
        "source_note": "NIMH I'm So Stressed Out! fact sheet; CDC Coping with Stress; 988",
        "versions": {
            "en": {
                "title": "Managing stress",
                "summary": "Simple ways to calm your body and mind.",
                "body": """
Everyone feels stress. A little stress can help you get things done. Too much, for too long, can hurt your
sleep, your mood and your health.

# Signs of too much stress
- Trouble sleeping, or feeling tired all the time.
- Headaches, an upset stomach or tight muscles.
- Feeling angry, worried or on edge.
- Eating, drinking or smoking more than usual.

# Things that help
- Breathe slowly. Breathe in while you count to 4. Breathe out while you count to 6. Do this 5 times.
- Move your body. A short walk can calm you down.
- Keep a regular sleep time.
- Talk with someone you trust.
- Do one small thing you enjoy each day.
- Take breaks from the news and social media.
- Make a list, and do one thing at a time.

# Get help
Talk to your care team if stress gets in the way of daily life, or lasts more than two weeks. Help is
available. If you feel you might hurt yourself, call or text 988 at any time.
""",
            },
            "es": {
                "title": "Cómo manejar el estrés",
                "summary": "Maneras fáciles de calmar el cuerpo y la mente.",
                "body": """
Todos sentimos estrés. Un poco de estrés le ayuda a hacer las cosas. Mucho estrés, por mucho tiempo, puede
dañar su sueño, su ánimo y su salud.

# Señales de mucho estrés
- Le cuesta dormir o se siente cansado todo el tiempo.
- Dolor de cabeza, malestar de estómago o músculos tensos.
- Se siente enojado, preocupado o nervioso.
- Come, toma o fuma más que de costumbre.

# Lo que ayuda
- Respire despacio. Tome aire mientras cuenta hasta 4. Suelte el aire mientras cuenta hasta 6. Hágalo 5
  veces.
- Mueva el cuerpo. Una caminata corta lo puede calmar.
- Acuéstese a la misma hora cada noche.
- Hable con alguien en quien confía.
- Haga cada día una cosa pequeña que le guste.
- Descanse de las noticias y de las redes sociales.
- Haga una lista y haga una cosa a la vez.

# Pida ayuda
Hable con su equipo de salud si el estrés no le deja hacer su vida diaria, o si dura más de dos semanas. Hay
ayuda. Si siente que podría hacerse daño, llame o mande un texto al 988 a cualquier hora.
""",
            },
        },
    },
    {
        "topic": "caregiver-self-care",
        "audience": "caregiver",
        "icd10_prefixes": ["Z63.6", "Z74", "F03", "G30"],
        "careplan_categories": ["nursing_home", "post_discharge"],
        "source_note": "NIA Taking Care of Yourself: Tips for Caregivers; Family Caregiver Alliance",
        "versions": {
            "en": {
                "title": "Caring for yourself while you care for someone else",
                "summary": "For family caregivers: how to stay healthy and get help.",
                "body": """
Caring for a loved one is hard work. You need care too. When you stay healthy, you can keep helping the
person you care for.

# Watch for signs of burnout
- Feeling tired, sad or angry much of the time.
- Trouble sleeping.
- Getting sick more often.
- Pulling away from friends and things you enjoy.

# Take care of yourself
- Keep your own doctor visits and take your own medicines.
- Eat regular meals and drink water.
- Get some exercise, even a short walk.
- Take a break every day, even for 15 minutes.
- Stay in touch with friends and family.

# Ask for help
- Make a list of tasks others can do, like shopping, rides or sitting with your loved one.
- When someone offers to help, say yes and give them a task from your list.
- Ask us about respite care. It gives you time off while someone else gives care.
- Look for a caregiver support group, in person or online.

If you feel overwhelmed or hopeless, talk to your doctor. If you are in crisis, call or text 988.
""",
            },
            "es": {
                "title": "Cuídese usted mientras cuida a otra persona",
                "summary": "Para familiares que cuidan: cómo mantenerse sano y pedir ayuda.",
                "body": """
Cuidar a un ser querido es un trabajo duro. Usted también necesita cuidado. Cuando usted está sano, puede
seguir ayudando a la persona que cuida.

# Fíjese en las señales de agotamiento
- Se siente cansado, triste o enojado casi todo el tiempo.
- Le cuesta dormir.
- Se enferma más seguido.
- Se aleja de sus amigos y de las cosas que le gustan.

# Cuídese
- Vaya a sus propias citas médicas y tome sus propias medicinas.
- Coma a sus horas y tome agua.
- Haga algo de ejercicio, aunque sea una caminata corta.
- Tómese un descanso cada día, aunque sea de 15 minutos.
- Manténgase en contacto con sus amigos y su familia.

# Pida ayuda
- Haga una lista de tareas que otros pueden hacer, como las compras, llevar a citas o acompañar a su ser
  querido.
- Cuando alguien le ofrezca ayuda, diga que sí y dele una tarea de su lista.
- Pregúntenos por el cuidado de relevo. Le da tiempo libre mientras otra persona cuida.
- Busque un grupo de apoyo para personas que cuidan, en persona o en línea.

Si se siente agobiado o sin esperanza, hable con su médico. Si está en crisis, llame o mande un texto al 988.
""",
            },
        },
    },
    {
        "topic": "quitting-smoking",
        "icd10_prefixes": ["F17", "Z72.0", "Z87.891", "J44", "J43"],
        "snomed_codes": ["77176002"],
        "source_note": "CDC Tips From Former Smokers; Smokefree.gov; 1-800-QUIT-NOW",
        "versions": {
            "en": {
                "title": "Quitting smoking",
                "summary": "It is never too late to quit. Here is how to start.",
                "body": """
Quitting smoking is one of the best things you can do for your health. Your heart and lungs start to heal
within days. It is never too late to quit.

# Get ready
- Pick a quit day in the next two weeks.
- Tell family and friends. Ask them not to smoke around you.
- Throw away cigarettes, lighters and ashtrays.
- Think about when you smoke, like with coffee or after meals. Plan what you will do instead.

# Use help
- Medicines double your chance of quitting. Ask us about nicotine patches, gum or lozenges, or pills.
- Call 1-800-QUIT-NOW for free coaching. Help is there in English and Spanish.
- Text or app programs can send you tips every day.

# Handle cravings
- Cravings pass in a few minutes. Wait it out.
- Drink water, chew sugar-free gum or take a walk.
- Stay away from alcohol early on. It can make you want to smoke.

If you slip, do not give up. Most people try a few times before they quit for good. Each try teaches you
something.
""",
            },
            "es": {
                "title": "Dejar de fumar",
                "summary": "Nunca es tarde para dejarlo. Así puede empezar.",
                "body": """
Dejar de fumar es una de las mejores cosas que puede hacer por su salud. El corazón y los pulmones empiezan a
sanar en pocos días. Nunca es tarde para dejarlo.

# Prepárese
- Escoja un día para dejarlo en las próximas dos semanas.
- Cuéntele a su familia y a sus amigos. Pídales que no fumen cerca de usted.
- Tire los cigarros, los encendedores y los ceniceros.
- Piense cuándo fuma, como con el café o después de comer. Planee qué hará en su lugar.

# Use ayuda
- Las medicinas le dan el doble de probabilidad de dejarlo. Pregúntenos por los parches, los chicles, las
  pastillas de nicotina u otras pastillas.
- Llame al 1-855-DÉJELO-YA para recibir consejos gratis en español.
- Hay programas por texto o por aplicación que le mandan consejos cada día.

# Cómo manejar las ganas
- Las ganas pasan en unos minutos. Espere.
- Tome agua, masque chicle sin azúcar o salga a caminar.
- Evite el alcohol al principio. Le puede dar ganas de fumar.

Si vuelve a fumar, no se rinda. Casi todos lo intentan varias veces antes de dejarlo para siempre. Cada
intento le enseña algo.
""",
            },
        },
    },
    {
        "topic": "checking-blood-sugar",
        "icd10_prefixes": ["E10", "E11", "E13", "Z79.4"],
        "rxnorm_codes": [INSULIN_GLARGINE, INSULIN_LISPRO, INSULIN_ASPART, INSULIN_DETEMIR],
        "source_note": "NIDDK Managing Diabetes; CDC Monitoring Your Blood Sugar; ADA glucose targets",
        "versions": {
            "en": {
                "title": "Checking your blood sugar at home",
                "summary": "How and when to check, and what your numbers mean.",
                "body": """
Checking your blood sugar shows how food, activity and medicine change your sugar. It helps you and your care
team make good choices.

# How to check with a meter
- Wash your hands with soap and warm water. Dry them well.
- Put a test strip in the meter.
- Prick the side of your fingertip. Put the drop of blood on the strip.
- Write down the number, the date and the time.

Some people use a sensor worn on the arm. It checks sugar all day. Ask if one is right for you.

# When to check
Ask your care team when you should check. Many people check when they wake up, before meals, and at bedtime.
Check any time you feel shaky, sweaty or confused.

# Common goals
- Before meals: 80 to 130.
- Two hours after you start a meal: below 180.
Your goals may be different. Ask your care team.

Bring your meter or your log to every visit.
""",
            },
            "es": {
                "title": "Cómo medir su azúcar en casa",
                "summary": "Cómo y cuándo medirla, y qué quieren decir sus números.",
                "body": """
Medir el azúcar en la sangre le muestra cómo la comida, la actividad y la medicina cambian su azúcar. Le
ayuda a usted y a su equipo de salud a tomar buenas decisiones.

# Cómo medirla con un aparato
- Lávese las manos con jabón y agua tibia. Séquelas bien.
- Ponga una tira en el aparato.
- Pínchese el lado de la punta del dedo. Ponga la gota de sangre en la tira.
- Anote el número, la fecha y la hora.

Algunas personas usan un sensor en el brazo. Mide el azúcar todo el día. Pregunte si es bueno para usted.

# Cuándo medirla
Pregunte a su equipo de salud cuándo debe medirla. Muchas personas la miden al despertar, antes de comer y
al acostarse. Mídala cada vez que se sienta tembloroso, sudado o confundido.

# Metas comunes
- Antes de comer: de 80 a 130.
- Dos horas después de empezar a comer: menos de 180.
Sus metas pueden ser otras. Pregunte a su equipo de salud.

Lleve su aparato o sus apuntes a cada cita.
""",
            },
        },
    },
]
