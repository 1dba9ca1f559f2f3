"""
The care-plan templates CareCoord ships (read by `builtin.py`, synced after every `migrate`).

Written in our own words from public clinical guidance; each template names the guidance it follows in
`source_note`. They are starting points: an organization copies a template and adapts it, and a clinician
decides what applies to each patient. Offsets count calendar days from the plan's start date. LOINC codes
appear only where the code is certain; other measures carry a display name and an empty code.
"""

# LOINC codes used below.
HBA1C = "4548-4"
SYSTOLIC_BP = "8480-6"
DIASTOLIC_BP = "8462-4"
BODY_WEIGHT = "29463-7"
PHQ9_TOTAL = "44261-6"

BUILTIN_TEMPLATES: list[dict] = [
    {
        "key": "type-2-diabetes",
        "title": "Type 2 diabetes",
        "category": "chronic",
        "description": (
            "Coordination plan for adults with type 2 diabetes: glucose and blood pressure goals, yearly eye "
            "and foot exams, kidney checks and diabetes self-management education."
        ),
        "condition_codes": ["E11.9", "E11.65", "E11.22"],
        "source_note": "ADA Standards of Care in Diabetes 2025 (glycemic goals, BP goal <130/80, DSMES, "
        "yearly retinal, foot and kidney screening)",
        "goals": [
            {
                "ref": "a1c",
                "description": "HbA1c below 7 % (or the individual goal the clinician set).",
                "due_offset_days": 90,
                "measure_code": HBA1C,
                "measure_display": "Hemoglobin A1c",
                "target_comparator": "<",
                "target_value": 7,
                "target_unit": "%",
            },
            {
                "ref": "bp",
                "description": "Blood pressure below 130/80 mmHg.",
                "due_offset_days": 90,
                "measure_code": SYSTOLIC_BP,
                "measure_display": "Systolic blood pressure",
                "target_comparator": "<",
                "target_value": 130,
                "target_unit": "mm[Hg]",
            },
            {
                "ref": "screening",
                "description": "Dilated eye (retinal) exam and comprehensive foot exam done within the year.",
                "due_offset_days": 365,
            },
            {
                "ref": "dsmes",
                "description": "Completes diabetes self-management education and support (DSMES).",
                "due_offset_days": 180,
            },
        ],
        "tasks": [
            {
                "title": "Intake call",
                "kind": "call",
                "offset_days": 2,
                "description": (
                    "Introduce the care team, confirm contact details and preferred language, and ask about "
                    "glucose monitoring, low-sugar episodes and barriers such as cost or transport."
                ),
            },
            {
                "title": "Medication review",
                "kind": "medication_review",
                "offset_days": 7,
                "goal": "a1c",
                "description": (
                    "Go through every diabetes, blood pressure and statin medicine with the patient; note missed "
                    "doses, side effects, low sugars or cost problems and flag them to the prescriber."
                ),
            },
            {
                "title": "Refer to diabetes self-management education (DSMES)",
                "kind": "referral",
                "offset_days": 14,
                "goal": "dsmes",
                "description": (
                    "Send a referral to an accredited DSMES program and help the patient pick a class time or "
                    "virtual option they can attend."
                ),
            },
            {
                "title": "Schedule HbA1c and kidney labs for day 90",
                "kind": "schedule",
                "offset_days": 76,
                "owner_role": "scheduler",
                "goal": "a1c",
                "description": (
                    "Book a lab draw for around day 90 for HbA1c; add eGFR and urine albumin-to-creatinine "
                    "ratio if they were not done in the past year."
                ),
            },
            {
                "title": "Refer for dilated eye exam",
                "kind": "referral",
                "offset_days": 30,
                "goal": "screening",
                "description": (
                    "If there is no retinal exam on file from the past year, refer to eye care (or arrange "
                    "retinal photography) and confirm the result comes back."
                ),
            },
            {
                "title": "Comprehensive foot exam",
                "kind": "visit",
                "offset_days": 30,
                "owner_role": "provider",
                "goal": "screening",
                "description": (
                    "At the next visit, examine both feet (skin, pulses, monofilament sensation) and record the "
                    "risk level; refer to podiatry if there is loss of sensation, an ulcer or deformity."
                ),
            },
            {
                "title": "Diabetes check-in call",
                "kind": "check_in",
                "offset_days": 14,
                "goal": "a1c",
                "recurrence": {"frequency": "weekly", "interval": 2, "count": 6},
                "description": (
                    "Every two weeks for 12 weeks: review glucose readings, low-sugar episodes, medicines and "
                    "home blood pressure, and escalate readings outside the agreed range."
                ),
            },
        ],
    },
    {
        "key": "heart-failure",
        "title": "Heart failure",
        "category": "chronic",
        "description": (
            "Coordination plan for heart failure: daily weights, self-care education, early follow-up after "
            "any discharge and support for taking guideline-directed medicines."
        ),
        "condition_codes": ["I50.9", "I50.22", "I50.32", "I50.42", "I11.0"],
        "source_note": "2022 AHA/ACC/HFSA Guideline for the Management of Heart Failure (self-care, GDMT, "
        "early follow-up within 7 days of discharge)",
        "goals": [
            {
                "ref": "weights",
                "description": (
                    "Weighs every morning and reports a gain of more than 2-3 lb in a day or 5 lb in a week."
                ),
                "due_offset_days": 30,
                "measure_code": BODY_WEIGHT,
                "measure_display": "Body weight",
            },
            {
                "ref": "self-care",
                "description": (
                    "Follows the sodium and fluid advice from the care team and knows which symptoms need a call."
                ),
                "due_offset_days": 30,
            },
            {
                "ref": "follow-up",
                "description": "Seen by a clinician within 7 days of any hospital discharge.",
                "due_offset_days": 7,
            },
            {
                "ref": "gdmt",
                "description": (
                    "Takes guideline-directed heart failure medicines as prescribed, with doses reviewed toward target."
                ),
                "due_offset_days": 90,
            },
        ],
        "tasks": [
            {
                "title": "Intake call",
                "kind": "call",
                "offset_days": 1,
                "description": (
                    "Introduce the care team, ask how the patient feels today and check they have a scale, their "
                    "medicines and a number to call when symptoms worsen."
                ),
            },
            {
                "title": "Schedule follow-up visit within 7 days of discharge",
                "kind": "schedule",
                "offset_days": 2,
                "priority": "urgent",
                "owner_role": "scheduler",
                "goal": "follow-up",
                "description": (
                    "If the patient was just discharged, book a visit with the primary care or heart failure "
                    "clinician no later than day 7 after discharge; arrange transport if needed."
                ),
            },
            {
                "title": "Teach daily weights",
                "kind": "education",
                "offset_days": 2,
                "goal": "weights",
                "description": (
                    "Show how to weigh each morning after voiding, before breakfast, and keep a log; agree when to "
                    "call (gain over 2-3 lb in a day or 5 lb in a week, more breathless or swollen)."
                ),
            },
            {
                "title": "Sodium and fluid guidance",
                "kind": "education",
                "offset_days": 3,
                "goal": "self-care",
                "description": (
                    "Go over the sodium and any fluid limit the clinician set, how to read food labels and which "
                    "foods are high in salt; use teach-back to check understanding."
                ),
            },
            {
                "title": "Medication adherence review (GDMT)",
                "kind": "medication_review",
                "offset_days": 7,
                "goal": "gdmt",
                "description": (
                    "Check that each prescribed heart failure medicine (e.g. ARNI/ACE inhibitor/ARB, beta blocker, "
                    "MRA, SGLT2 inhibitor, diuretic) is filled and taken; report side effects, cost or missed "
                    "doses to the prescriber."
                ),
            },
            {
                "title": "Weekly symptom check",
                "kind": "check_in",
                "offset_days": 7,
                "goal": "weights",
                "recurrence": {"frequency": "weekly", "interval": 1, "count": 8},
                "description": (
                    "Weekly for 8 weeks: review the weight log, breathlessness, swelling, dizziness and medicines; "
                    "escalate weight gain or worsening symptoms to the clinician the same day."
                ),
            },
            {
                "title": "Schedule cardiology appointment",
                "kind": "schedule",
                "offset_days": 14,
                "owner_role": "scheduler",
                "goal": "gdmt",
                "description": (
                    "Book a cardiology or heart failure clinic visit for medicine titration if one is not already "
                    "on the calendar."
                ),
            },
        ],
    },
    {
        "key": "copd",
        "title": "COPD",
        "category": "chronic",
        "description": (
            "Coordination plan for chronic obstructive pulmonary disease: inhaler technique, a written action "
            "plan, pulmonary rehabilitation, vaccines and help to stop smoking."
        ),
        "condition_codes": ["J44.9", "J44.1", "J44.0", "J43.9"],
        "source_note": "GOLD 2025 report (Global Strategy for COPD: inhaler technique, action plan, pulmonary "
        "rehabilitation, vaccination, smoking cessation); CDC adult immunization schedule",
        "goals": [
            {
                "ref": "inhaler",
                "description": "Uses each inhaler correctly, shown by teach-back.",
                "due_offset_days": 30,
            },
            {
                "ref": "action-plan",
                "description": "Has a written COPD action plan and knows when to start flare treatment or call.",
                "due_offset_days": 30,
            },
            {
                "ref": "rehab",
                "description": "Enrolled in a pulmonary rehabilitation program.",
                "due_offset_days": 90,
            },
            {
                "ref": "vaccines",
                "description": ("Vaccines up to date: influenza yearly, pneumococcal, COVID-19 and RSV if eligible."),
                "due_offset_days": 90,
            },
            {
                "ref": "smoke-free",
                "description": "If the patient smokes: makes a quit attempt with counseling and medication support.",
                "due_offset_days": 180,
            },
        ],
        "tasks": [
            {
                "title": "Intake call",
                "kind": "call",
                "offset_days": 1,
                "description": (
                    "Introduce the care team and ask about breathlessness, recent flares or hospital stays, "
                    "oxygen use and smoking status."
                ),
            },
            {
                "title": "Inhaler technique teach-back",
                "kind": "education",
                "offset_days": 7,
                "goal": "inhaler",
                "description": (
                    "Watch the patient use each inhaler, correct the steps that go wrong and repeat until they can "
                    "show it back; report persistent problems to the prescriber."
                ),
            },
            {
                "title": "Review the COPD action plan",
                "kind": "education",
                "offset_days": 7,
                "goal": "action-plan",
                "description": (
                    "Make sure the clinician has completed a written action plan, then walk through it with the "
                    "patient: warning signs of a flare, what to start and whom to call."
                ),
            },
            {
                "title": "Maintenance inhaler review",
                "kind": "medication_review",
                "offset_days": 14,
                "goal": "inhaler",
                "description": (
                    "Check that maintenance inhalers are filled on time and how often the rescue inhaler is used; "
                    "flag cost problems or heavy rescue use to the prescriber."
                ),
            },
            {
                "title": "Refer to pulmonary rehabilitation",
                "kind": "referral",
                "offset_days": 14,
                "goal": "rehab",
                "description": (
                    "Send the referral and help with transport or a home-based option; after a hospital stay for "
                    "a flare, ask the program for an early start."
                ),
            },
            {
                "title": "Check vaccines",
                "kind": "schedule",
                "offset_days": 14,
                "goal": "vaccines",
                "description": (
                    "Look up the immunization record and arrange any missing influenza, pneumococcal, COVID-19 or "
                    "RSV (if eligible by age and risk) vaccine."
                ),
            },
            {
                "title": "Smoking cessation support",
                "kind": "referral",
                "offset_days": 7,
                "goal": "smoke-free",
                "description": (
                    "If the patient smokes, offer a quitline or cessation program referral and ask the clinician "
                    "about medication; if not, record that and close the task."
                ),
            },
            {
                "title": "Monthly COPD check-in",
                "kind": "check_in",
                "offset_days": 30,
                "goal": "action-plan",
                "recurrence": {"frequency": "monthly", "interval": 1, "count": 6},
                "description": (
                    "Monthly for 6 months: ask about breathlessness, flares, rescue inhaler use and rehab "
                    "attendance; escalate a flare that the action plan is not controlling."
                ),
            },
        ],
    },
    {
        "key": "hypertension",
        "title": "Hypertension",
        "category": "chronic",
        "description": (
            "Coordination plan for high blood pressure: home readings, medicine review, lifestyle changes and "
            "follow-up until blood pressure is below 130/80."
        ),
        "condition_codes": ["I10", "I11.9"],
        "source_note": "ACC/AHA 2017 High Blood Pressure Guideline (goal <130/80; home BP monitoring; DASH diet "
        "and sodium reduction; monthly follow-up until controlled)",
        "goals": [
            {
                "ref": "systolic",
                "description": "Systolic blood pressure below 130 mmHg.",
                "due_offset_days": 90,
                "measure_code": SYSTOLIC_BP,
                "measure_display": "Systolic blood pressure",
                "target_comparator": "<",
                "target_value": 130,
                "target_unit": "mm[Hg]",
            },
            {
                "ref": "diastolic",
                "description": "Diastolic blood pressure below 80 mmHg.",
                "due_offset_days": 90,
                "measure_code": DIASTOLIC_BP,
                "measure_display": "Diastolic blood pressure",
                "target_comparator": "<",
                "target_value": 80,
                "target_unit": "mm[Hg]",
            },
            {
                "ref": "home-bp",
                "description": "Measures blood pressure at home with a validated upper-arm cuff and shares readings.",
                "due_offset_days": 84,
            },
            {
                "ref": "lifestyle",
                "description": "Adopts DASH-style eating, less sodium, regular activity and limited alcohol.",
                "due_offset_days": 90,
            },
        ],
        "tasks": [
            {
                "title": "Intake call",
                "kind": "call",
                "offset_days": 1,
                "goal": "home-bp",
                "description": (
                    "Introduce the care team and check the patient has a validated upper-arm cuff of the right "
                    "size; help get one through their plan if not."
                ),
            },
            {
                "title": "Teach home blood pressure measurement",
                "kind": "education",
                "offset_days": 3,
                "goal": "home-bp",
                "description": (
                    "Teach: sit 5 minutes with back supported and arm at heart level, take 2 readings a minute "
                    "apart morning and evening, and log them."
                ),
            },
            {
                "title": "Collect weekly home blood pressure readings",
                "kind": "check_in",
                "offset_days": 7,
                "goal": "systolic",
                "recurrence": {"frequency": "weekly", "interval": 1, "count": 12},
                "description": (
                    "Weekly for 12 weeks: record the week's readings and average; flag averages at or above "
                    "130/80 for review and send readings above 180/120 to the clinician the same day."
                ),
            },
            {
                "title": "Medication review",
                "kind": "medication_review",
                "offset_days": 7,
                "goal": "systolic",
                "description": (
                    "Confirm each blood pressure medicine is filled and taken as prescribed; report side effects, "
                    "missed doses or cost problems to the prescriber."
                ),
            },
            {
                "title": "Lifestyle education: DASH and sodium",
                "kind": "education",
                "offset_days": 14,
                "goal": "lifestyle",
                "description": (
                    "Cover DASH-style eating, cutting sodium (aim under 1,500 mg a day, or at least 1,000 mg less), "
                    "90-150 minutes of activity a week and alcohol limits; agree on one change to start with."
                ),
            },
            {
                "title": "Schedule PCP follow-up at 4 weeks",
                "kind": "schedule",
                "offset_days": 14,
                "owner_role": "scheduler",
                "goal": "systolic",
                "description": (
                    "Book a primary care visit around day 28 to review the home readings; repeat monthly while "
                    "blood pressure is above goal or medicines are being changed."
                ),
            },
        ],
    },
    {
        "key": "depression-phq9",
        "title": "Depression (PHQ-9 measurement-based care)",
        "category": "behavioral_health",
        "description": (
            "Measurement-based depression care: a baseline PHQ-9, repeat scores every 4 weeks, safety planning "
            "and regular review with a psychiatric consultant until remission."
        ),
        "condition_codes": ["F32.0", "F32.1", "F32.2", "F32.9", "F32.A", "F33.0", "F33.1", "F33.2", "F33.9"],
        "source_note": "PHQ-9 (Kroenke, Spitzer & Williams 2001), measurement-based care in the Collaborative "
        "Care Model (AIMS Center, University of Washington)",
        "goals": [
            {
                "ref": "response",
                "description": "PHQ-9 score at least 50 % lower than baseline by 12 weeks (treatment response).",
                "due_offset_days": 84,
                "measure_code": PHQ9_TOTAL,
                "measure_display": "PHQ-9 total score",
            },
            {
                "ref": "remission",
                "description": "PHQ-9 score below 5 (remission) by 6 months.",
                "due_offset_days": 180,
                "measure_code": PHQ9_TOTAL,
                "measure_display": "PHQ-9 total score",
                "target_comparator": "<",
                "target_value": 5,
                "target_unit": "{score}",
            },
            {
                "ref": "engaged",
                "description": "Connected with behavioral health treatment (therapy, medicine or both).",
                "due_offset_days": 30,
            },
            {
                "ref": "safety",
                "description": "Has a current safety plan and knows crisis resources, including 988.",
                "due_offset_days": 14,
            },
        ],
        "tasks": [
            {
                "title": "Baseline PHQ-9",
                "kind": "check_in",
                "offset_days": 0,
                "goal": "response",
                "description": (
                    "Give the PHQ-9 and record the total as the baseline; any answer above 0 on item 9 (thoughts of "
                    "self-harm) needs same-day safety follow-up with a clinician."
                ),
            },
            {
                "title": "Safety plan review",
                "kind": "call",
                "offset_days": 1,
                "goal": "safety",
                "description": (
                    "Review warning signs, coping steps, contacts and crisis resources (988) with the patient; if "
                    "item 9 is positive or they report thoughts of self-harm, do this the same day, mark it urgent "
                    "and involve the supervising clinician."
                ),
            },
            {
                "title": "Behavioral health referral",
                "kind": "referral",
                "offset_days": 7,
                "goal": "engaged",
                "description": (
                    "Refer to therapy or behavioral health per the treatment plan and help the patient book the "
                    "first appointment."
                ),
            },
            {
                "title": "Medication adherence call at 2 weeks",
                "kind": "call",
                "offset_days": 14,
                "goal": "response",
                "description": (
                    "If an antidepressant was started, ask whether it is being taken daily and about side effects; "
                    "explain that benefit can take several weeks and report problems to the prescriber."
                ),
            },
            {
                "title": "Repeat PHQ-9",
                "kind": "check_in",
                "offset_days": 28,
                "goal": "remission",
                "recurrence": {"frequency": "monthly", "interval": 1, "count": 6},
                "description": (
                    "Every 4 weeks: give the PHQ-9, record the score and compare it with baseline; follow up item 9 "
                    "the same day if it is above 0."
                ),
            },
            {
                "title": "Caseload review with psychiatric consultant",
                "kind": "other",
                "offset_days": 28,
                "owner_role": "supervisor",
                "goal": "response",
                "recurrence": {"frequency": "monthly", "interval": 1, "count": 6},
                "description": (
                    "Present the PHQ-9 trend at the caseload review; if the score has not improved as expected, "
                    "record the consultant's recommended treatment change and pass it to the treating clinician."
                ),
            },
        ],
    },
    {
        "key": "post-discharge-tcm",
        "title": "Post-discharge transitional care (TCM)",
        "category": "post_discharge",
        "description": (
            "Transitional care for the 30 days after discharge to the community: early contact, medication "
            "reconciliation, a timely face-to-face visit and watching for readmission."
        ),
        "condition_codes": [],
        "source_note": "CMS Transitional Care Management FAQ (CPT 99495/99496: contact within 2 business days, "
        "face-to-face visit within 7 or 14 days, medication reconciliation by the visit)",
        "goals": [
            {
                "ref": "contact",
                "description": "Interactive contact with the patient or caregiver within 2 business days of discharge.",
                "due_offset_days": 2,
            },
            {
                "ref": "med-rec",
                "description": "Medications reconciled no later than the face-to-face visit.",
                "due_offset_days": 14,  # no later than the visit: day 14 at moderate complexity
            },
            {
                "ref": "visit",
                "description": ("Face-to-face visit within 7 days (high complexity) or 14 days (moderate complexity)."),
                "due_offset_days": 14,
            },
            {
                "ref": "services",
                "description": "Home health, equipment and other ordered services are in place.",
                "due_offset_days": 7,
            },
            {
                "ref": "no-readmission",
                "description": "No unplanned readmission within 30 days of discharge.",
                "due_offset_days": 29,  # the 30-day period begins on the discharge day
            },
        ],
        "tasks": [
            {
                "title": "Review the discharge summary",
                "kind": "paperwork",
                "offset_days": 1,
                "goal": "med-rec",
                "description": (
                    "Get the discharge summary and note diagnoses, new or stopped medicines, pending test results "
                    "and follow-up instructions; chase the hospital if it has not arrived."
                ),
            },
            {
                "title": "Interactive contact within 2 business days",
                "key": "contact",
                "kind": "call",
                "offset_days": 2,
                "priority": "urgent",
                "goal": "contact",
                "description": (
                    "Call the patient or caregiver to check symptoms, medicines, services and needs beyond "
                    "scheduling, and document every attempt; the deadline is 2 business days, which the "
                    "transitions module counts from the discharge date."
                ),
            },
            {
                "title": "Medication reconciliation",
                "key": "med_rec",
                "kind": "medication_review",
                "offset_days": 2,
                "priority": "urgent",
                "goal": "med-rec",
                "description": (
                    "Compare the discharge list with what the patient has at home, resolve differences with the "
                    "prescriber and give the patient one updated list."
                ),
            },
            {
                "title": "Confirm home health and equipment",
                "kind": "call",
                "offset_days": 3,
                "goal": "services",
                "description": (
                    "Confirm ordered home health has a start date and equipment or supplies were delivered; follow "
                    "up with the agency or supplier if not."
                ),
            },
            {
                "title": "Schedule face-to-face visit",
                "key": "visit",
                "kind": "schedule",
                "offset_days": 5,
                "priority": "urgent",
                "owner_role": "scheduler",
                "goal": "visit",
                "description": (
                    "Book the visit with the primary clinician by day 7 after discharge for high complexity or by "
                    "day 14 for moderate complexity, sooner if possible; arrange transport if needed."
                ),
            },
            {
                "title": "Readmission watch check-in",
                "key": "check_in",
                "kind": "check_in",
                "offset_days": 7,
                "goal": "no-readmission",
                "recurrence": {"frequency": "weekly", "interval": 1, "count": 4},
                "description": (
                    "Weekly for 4 weeks: ask about warning symptoms, medicines, appointments kept and services; "
                    "escalate worsening symptoms to the clinician the same day."
                ),
            },
        ],
    },
    {
        "key": "nursing-home-admission",
        "title": "Nursing home admission",
        "category": "nursing_home",
        "description": (
            "Coordination of a new nursing facility admission: baseline care plan, admission assessment, "
            "comprehensive care plan, medication reconciliation and the resident's wishes."
        ),
        "condition_codes": [],
        "source_note": "CMS SNF/nursing facility admission requirements: 42 CFR 483.20 (admission assessment "
        "within 14 days), 483.21 (baseline care plan within 48 hours; comprehensive care plan within 7 days "
        "after the assessment), 483.10 (advance directives)",
        "goals": [
            {
                "ref": "baseline-plan",
                "description": "Baseline care plan in place within 48 hours of admission, with a summary given to "
                "the resident and representative.",
                "due_offset_days": 2,
            },
            {
                "ref": "assessment",
                "description": "Admission comprehensive assessment (MDS) completed within 14 days of admission.",
                "due_offset_days": 14,
            },
            {
                "ref": "care-plan",
                "description": "Comprehensive care plan completed within 7 days after the admission assessment.",
                "due_offset_days": 21,
            },
            {
                "ref": "medications",
                "description": "One reconciled medication list agreed with the facility and all outside prescribers.",
                "due_offset_days": 7,
            },
            {
                "ref": "wishes",
                "description": "Advance directives and care preferences documented and on file.",
                "due_offset_days": 14,
            },
        ],
        "tasks": [
            {
                "title": "Medication reconciliation with outside prescribers",
                "kind": "medication_review",
                "offset_days": 1,
                "priority": "urgent",
                "goal": "medications",
                "description": (
                    "Compare the hospital discharge list, the home list and the facility orders; contact the "
                    "primary care and specialist prescribers to resolve any differences."
                ),
            },
            {
                "title": "Confirm baseline care plan",
                "kind": "paperwork",
                "offset_days": 2,
                "priority": "urgent",
                "goal": "baseline-plan",
                "description": (
                    "Confirm the facility completed the baseline care plan within 48 hours of admission and gave a "
                    "summary to the resident and their representative."
                ),
            },
            {
                "title": "Schedule therapy evaluations",
                "kind": "schedule",
                "offset_days": 3,
                "owner_role": "scheduler",
                "goal": "care-plan",
                "description": (
                    "Arrange the physical, occupational and speech therapy evaluations that were ordered, so their "
                    "findings feed the assessment and care plan."
                ),
            },
            {
                "title": "Support the admission assessment (MDS)",
                "kind": "paperwork",
                "offset_days": 7,
                "goal": "assessment",
                "description": (
                    "Send the facility the hospital records, outside notes and family input it needs so the "
                    "admission assessment is finished by day 14."
                ),
            },
            {
                "title": "Advance directive review",
                "kind": "paperwork",
                "offset_days": 7,
                "goal": "wishes",
                "description": (
                    "Ask the resident or representative for any advance directive, health care proxy or POLST, put "
                    "copies on file and offer information if they have none."
                ),
            },
            {
                "title": "Schedule family care conference",
                "kind": "schedule",
                "offset_days": 14,
                "owner_role": "scheduler",
                "goal": "care-plan",
                "description": (
                    "Set a care conference with the resident, family and care team once the assessment is done, to "
                    "agree on goals and the comprehensive care plan."
                ),
            },
            {
                "title": "Confirm comprehensive care plan",
                "kind": "paperwork",
                "offset_days": 21,
                "goal": "care-plan",
                "description": (
                    "Confirm the comprehensive care plan was finished within 7 days after the assessment, with input "
                    "from the resident, representative and care team, and share it with outside clinicians."
                ),
            },
        ],
    },
    {
        "key": "pediatric-school-readiness",
        "title": "Pediatric school readiness",
        "category": "pediatric_school",
        "description": (
            "Getting a young child (ages 3 to 5) ready to start preschool or kindergarten: well-child visit, "
            "immunizations, vision and hearing, developmental concerns, school health forms and support services "
            "if needed. School-age children use the back-to-school plan."
        ),
        "condition_codes": ["Z00.121", "Z00.129", "Z02.0"],
        "source_note": "AAP school readiness / Bright Futures Guidelines and periodicity schedule; CDC child "
        "immunization schedule; IDEA and Section 504 evaluation rights",
        "goals": [
            {
                "ref": "well-child",
                "description": "Well-child visit completed within the past year, with school forms signed.",
                "due_offset_days": 60,
            },
            {
                "ref": "immunizations",
                "description": "Immunizations up to date for school entry under the state's requirements.",
                "due_offset_days": 60,
            },
            {
                "ref": "vision-hearing",
                "description": "Vision and hearing screened, with any failed screen referred.",
                "due_offset_days": 60,
            },
            {
                "ref": "development",
                "description": "Developmental or learning concerns screened and, if found, referred for evaluation.",
                "due_offset_days": 90,
            },
            {
                "ref": "enrollment",
                "description": "School enrollment and health paperwork complete before the first day of school.",
                "due_offset_days": 60,
            },
        ],
        "tasks": [
            {
                "title": "Family intake call",
                "kind": "call",
                "offset_days": 3,
                "description": (
                    "Ask the family about the school start date, the forms the school needs and any concerns about "
                    "speech, learning, behavior or health conditions."
                ),
            },
            {
                "title": "Schedule well-child visit",
                "kind": "schedule",
                "offset_days": 7,
                "owner_role": "scheduler",
                "goal": "well-child",
                "description": (
                    "Book a well-child visit before school starts if none was done in the past year; remind the "
                    "family to bring the school health forms."
                ),
            },
            {
                "title": "Review immunization record",
                "kind": "paperwork",
                "offset_days": 7,
                "goal": "immunizations",
                "description": (
                    "Check the state immunization registry against the school-entry requirements and add any "
                    "missing doses to the well-child visit."
                ),
            },
            {
                "title": "School enrollment and health forms",
                "kind": "paperwork",
                "offset_days": 14,
                "goal": "enrollment",
                "description": (
                    "Help the family gather the school health form, immunization certificate and any medication or "
                    "condition plans (asthma, allergy, seizure) the school requires."
                ),
            },
            {
                "title": "Vision and hearing screening",
                "kind": "visit",
                "offset_days": 30,
                "owner_role": "provider",
                "goal": "vision-hearing",
                "description": (
                    "Screen vision and hearing at the well-child visit (or confirm a recent result) and refer to eye "
                    "care or audiology if a screen is failed."
                ),
            },
            {
                "title": "Developmental screening",
                "kind": "visit",
                "offset_days": 30,
                "owner_role": "provider",
                "goal": "development",
                "description": (
                    "Ask about development and behavior at the well-child visit and use a standardized screening "
                    "tool if there are concerns; record the result."
                ),
            },
            {
                "title": "IEP or 504 evaluation referral if needed",
                "kind": "referral",
                "offset_days": 45,
                "goal": "development",
                "description": (
                    "If there are developmental, learning or health concerns, help the family send a written "
                    "request to the school for a special education (IEP) or Section 504 evaluation."
                ),
            },
            {
                "title": "Family check-in before school starts",
                "kind": "check_in",
                "offset_days": 50,
                "goal": "enrollment",
                "description": (
                    "Confirm forms were accepted, immunizations are complete and referrals are moving; help with "
                    "anything still blocking the first day."
                ),
            },
        ],
    },
    {
        # A school-age child's yearly return to school, not a first start. Doses by age follow the CDC Child and
        # Adolescent Immunization Schedule (cdc.gov/vaccines/hcp/imz-schedules): DTaP, IPV, MMR and varicella
        # boosters at 4-6 years, Tdap, HPV and MenACWY at 11-12, a MenACWY booster at 16. Yearly well-child
        # visits and the vision and hearing screening ages follow the AAP Bright Futures periodicity schedule
        # (aap.org/periodicityschedule); the sports physical, the AAP/AAFP Preparticipation Physical Evaluation
        # (PPE) monograph; the yearly IEP review, IDEA at 34 CFR 300.324(b). Which doses a school requires is
        # set by each state.
        "key": "pediatric-back-to-school",
        "title": "Back to school",
        "category": "pediatric_school",
        "description": (
            "Getting a school-age child (6 to 17) ready for the new school year: yearly physical (and sports "
            "physical), immunizations the school requires, vision and hearing, school health forms and a "
            "review of any IEP or 504 plan."
        ),
        "condition_codes": ["Z00.121", "Z00.129", "Z02.5", "Z02.0"],
        "source_note": "CDC Child and Adolescent Immunization Schedule (4-6, 11-12 and 16-year doses); AAP Bright "
        "Futures periodicity schedule (yearly well visits, vision and hearing screening ages); AAP/AAFP "
        "Preparticipation Physical Evaluation; IDEA yearly IEP review (34 CFR 300.324(b)) and Section 504",
        "goals": [
            {
                "ref": "physical",
                "description": (
                    "Yearly physical done before school starts, with a sports physical if the child plays a "
                    "school sport."
                ),
                "due_offset_days": 45,
            },
            {
                "ref": "immunizations",
                "description": (
                    "Immunizations up to date under the state's school requirements, including the doses due "
                    "at 11-12 (Tdap, meningococcal, HPV) and 16 (meningococcal booster)."
                ),
                "due_offset_days": 45,
            },
            {
                "ref": "vision-hearing",
                "description": "Vision and hearing screened when due for the child's age, any failed screen referred.",
                "due_offset_days": 60,
            },
            {
                "ref": "forms",
                "description": (
                    "School health forms, medication authorizations and action plans (asthma, allergy, "
                    "seizure, diabetes) handed in before the first day."
                ),
                "due_offset_days": 45,
            },
            {
                "ref": "school-supports",
                "description": "Any IEP or 504 plan reviewed for the new year; new concerns referred for evaluation.",
                "due_offset_days": 75,
            },
        ],
        "tasks": [
            {
                "title": "Family back-to-school call",
                "kind": "call",
                "offset_days": 3,
                "description": (
                    "Ask the family about the school start date, the forms the school sent home, school sports "
                    "and any new concerns about learning, behavior or health conditions."
                ),
            },
            {
                "title": "Schedule yearly physical",
                "kind": "schedule",
                "offset_days": 7,
                "owner_role": "scheduler",
                "goal": "physical",
                "description": (
                    "Book the yearly well-child visit before school starts (with the sports physical form if the "
                    "child plays a sport); remind the family to bring the school forms."
                ),
            },
            {
                "title": "Review immunization record",
                "kind": "paperwork",
                "offset_days": 7,
                "goal": "immunizations",
                "description": (
                    "Check the state immunization registry against the school's requirements and the doses due "
                    "for the child's age, and add any missing doses to the physical."
                ),
            },
            {
                "title": "Vision and hearing screening",
                "kind": "visit",
                "offset_days": 30,
                "owner_role": "provider",
                "goal": "vision-hearing",
                "description": (
                    "Screen vision and hearing at the physical when due for the child's age (or confirm the "
                    "school's recent result) and refer to eye care or audiology if a screen is failed."
                ),
            },
            {
                "title": "School health forms and action plans",
                "kind": "paperwork",
                "offset_days": 30,
                "goal": "forms",
                "description": (
                    "Help the family complete the school health form, immunization certificate, medication "
                    "authorization and any asthma, allergy, seizure or diabetes action plan, signed by the "
                    "provider."
                ),
            },
            {
                "title": "IEP or 504 plan review",
                "kind": "referral",
                "offset_days": 45,
                "goal": "school-supports",
                "description": (
                    "If the child has an IEP or 504 plan, help the family ask for the yearly review with any "
                    "health changes; if there are new concerns, help them request an evaluation in writing."
                ),
            },
            {
                "title": "Family check-in after the first weeks",
                "kind": "check_in",
                "offset_days": 60,
                "goal": "forms",
                "description": (
                    "Confirm the school accepted the forms, medications are at school and referrals are moving; "
                    "help with anything still open."
                ),
            },
        ],
    },
    {
        "key": "post-surgical-pt-ot",
        "title": "Post-surgical PT/OT rehabilitation",
        "category": "rehabilitation",
        "description": (
            "Outpatient physical and occupational therapy after surgery: a prompt evaluation, steady attendance, "
            "a home exercise program, a safe home and the plan-of-care paperwork."
        ),
        "condition_codes": ["Z47.1", "Z47.89", "Z48.89"],
        "source_note": "APTA clinical practice guidelines; CDC STEADI (Timed Up and Go >=12 s = fall risk); "
        "Medicare Benefit Policy Manual ch. 15 s. 220 (progress report every 10 treatment days, plan of care "
        "recertification at least every 90 days)",
        "goals": [
            {
                "ref": "gait-speed",
                "description": "Walks at 1.0 m/s or faster, the usual threshold for safe community walking.",
                "due_offset_days": 42,
                "measure_code": "",
                "measure_display": "Gait speed (10-meter walk test)",
                "target_comparator": ">=",
                "target_value": 1.0,
                "target_unit": "m/s",
            },
            {
                "ref": "tug",
                "description": "Timed Up and Go under 12 seconds (lower fall risk).",
                "due_offset_days": 42,
                "measure_code": "",
                "measure_display": "Timed Up and Go (TUG) time",
                "target_comparator": "<",
                "target_value": 12,
                "target_unit": "s",
            },
            {
                "ref": "home-exercise",
                "description": "Does at least 80 % of the prescribed home exercise sessions.",
                "due_offset_days": 42,
                "measure_code": "",
                "measure_display": "Home exercise sessions completed",
                "target_comparator": ">=",
                "target_value": 80,
                "target_unit": "%",
            },
            {
                "ref": "safe-home",
                "description": "Home is set up safely with the equipment the therapist recommended.",
                "due_offset_days": 14,
            },
            {
                "ref": "plan-of-care",
                "description": "Therapy plan of care certified and recertified on time while therapy continues.",
                "due_offset_days": 90,
            },
        ],
        "tasks": [
            {
                "title": "Schedule PT evaluation within 7 days",
                "kind": "schedule",
                "offset_days": 2,
                "owner_role": "scheduler",
                "goal": "gait-speed",
                "description": (
                    "Book the physical therapy evaluation (and occupational therapy if ordered) within 7 days of "
                    "discharge or surgery; arrange transport if needed."
                ),
            },
            {
                "title": "Equipment and home safety check",
                "kind": "call",
                "offset_days": 3,
                "goal": "safe-home",
                "description": (
                    "Confirm the walker or other equipment arrived and ask about trip hazards, rugs, lighting, stairs "
                    "and bathroom safety; arrange a home safety visit if there are gaps."
                ),
            },
            {
                "title": "Confirm surgeon follow-up visit",
                "kind": "schedule",
                "offset_days": 7,
                "owner_role": "scheduler",
                "description": (
                    "Make sure the post-operative visit with the surgeon is booked and the patient can get there."
                ),
            },
            {
                "title": "Therapy attendance check",
                "kind": "check_in",
                "offset_days": 7,
                "goal": "home-exercise",
                "recurrence": {"frequency": "weekly", "interval": 1, "count": 6},
                "description": (
                    "Weekly for 6 weeks: confirm both therapy sessions this week were attended, rebook any missed "
                    "ones and ask about pain and the home exercises."
                ),
            },
            {
                "title": "Home exercise program check",
                "kind": "education",
                "offset_days": 14,
                "goal": "home-exercise",
                "description": (
                    "Ask the patient to describe or show their home exercises and how often they do them; tell the "
                    "therapist about pain or trouble keeping up."
                ),
            },
            {
                "title": "Progress report at the 10th visit",
                "key": "therapy-progress-report",  # a therapy plan linked to the care plan tracks this itself
                "kind": "paperwork",
                "offset_days": 35,
                "goal": "gait-speed",
                "description": (
                    "Confirm the therapist's progress report (due by the 10th treatment visit) is in the chart with "
                    "gait speed and Timed Up and Go results, and share it with the referring clinician."
                ),
            },
            {
                "title": "Recertify plan of care by day 90",
                "key": "therapy-recertify",  # a therapy plan linked to the care plan tracks this itself
                "kind": "paperwork",
                "offset_days": 80,
                "goal": "plan-of-care",
                "description": (
                    "If therapy will continue, send the updated plan of care to the physician or NPP for signature "
                    "before day 90; otherwise confirm the discharge summary."
                ),
            },
        ],
    },
]
