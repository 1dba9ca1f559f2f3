"""
The ICD-10-CM codes the demo uses, with their displays exactly as CMS writes them. Every code is billable
(a leaf) in the FY2026 code set, April 2026 update; tests/demo/test_people.py checks this against the
simple-icd-10-cm package when it is installed.
"""

ICD10 = {
    # Endocrine, nutritional and metabolic
    "E10.9": "Type 1 diabetes mellitus without complications",
    "E11.9": "Type 2 diabetes mellitus without complications",
    "E11.22": "Type 2 diabetes mellitus with diabetic chronic kidney disease",
    "E11.40": "Type 2 diabetes mellitus with diabetic neuropathy, unspecified",
    "E11.65": "Type 2 diabetes mellitus with hyperglycemia",
    "E03.9": "Hypothyroidism, unspecified",
    "E78.5": "Hyperlipidemia, unspecified",
    "E78.00": "Pure hypercholesterolemia, unspecified",
    "E66.9": "Obesity, unspecified",
    "E66.01": "Morbid (severe) obesity due to excess calories",
    "E44.0": "Moderate protein-calorie malnutrition",
    "E28.2": "Polycystic ovarian syndrome",
    "Z68.41": "Body mass index [BMI] 40.0-44.9, adult",
    # Circulatory
    "I10": "Essential (primary) hypertension",
    "I11.0": "Hypertensive heart disease with heart failure",
    "I12.9": (
        "Hypertensive chronic kidney disease with stage 1 through stage 4 chronic kidney disease, or "
        "unspecified chronic kidney disease"
    ),
    "I12.0": "Hypertensive chronic kidney disease with stage 5 chronic kidney disease or end stage renal disease",
    "I13.0": (
        "Hypertensive heart and chronic kidney disease with heart failure and stage 1 through stage 4 chronic "
        "kidney disease, or unspecified chronic kidney disease"
    ),
    "I13.2": (
        "Hypertensive heart and chronic kidney disease with heart failure and with stage 5 chronic kidney "
        "disease, or end stage renal disease"
    ),
    "I50.9": "Heart failure, unspecified",
    "I50.22": "Chronic systolic (congestive) heart failure",
    "I50.32": "Chronic diastolic (congestive) heart failure",
    "I48.91": "Unspecified atrial fibrillation",
    "I25.10": "Atherosclerotic heart disease of native coronary artery without angina pectoris",
    "I73.9": "Peripheral vascular disease, unspecified",
    "I69.351": "Hemiplegia and hemiparesis following cerebral infarction affecting right dominant side",
    "Z86.73": (
        "Personal history of transient ischemic attack (TIA), and cerebral infarction without residual deficits"
    ),
    "Z95.1": "Presence of aortocoronary bypass graft",
    # Respiratory
    "J44.9": "Chronic obstructive pulmonary disease, unspecified",
    "J44.1": "Chronic obstructive pulmonary disease with (acute) exacerbation",
    "J45.909": "Unspecified asthma, uncomplicated",
    "J45.20": "Mild intermittent asthma, uncomplicated",
    "J45.30": "Mild persistent asthma, uncomplicated",
    "J96.11": "Chronic respiratory failure with hypoxia",
    "J18.9": "Pneumonia, unspecified organism",
    "J06.9": "Acute upper respiratory infection, unspecified",
    "G47.33": "Obstructive sleep apnea (adult) (pediatric)",
    # Kidney and urinary
    "N18.30": "Chronic kidney disease, stage 3 unspecified",
    "N18.31": "Chronic kidney disease, stage 3a",
    "N18.32": "Chronic kidney disease, stage 3b",
    "N18.4": "Chronic kidney disease, stage 4 (severe)",
    "N18.6": "End stage renal disease",
    "Z99.2": "Dependence on renal dialysis",
    "N39.0": "Urinary tract infection, site not specified",
    "N40.0": "Benign prostatic hyperplasia without lower urinary tract symptoms",
    "R32": "Unspecified urinary incontinence",
    # Mental, behavioral and neurodevelopmental
    "F32.A": "Depression, unspecified",
    "F33.1": "Major depressive disorder, recurrent, moderate",
    "F41.1": "Generalized anxiety disorder",
    "F43.10": "Post-traumatic stress disorder, unspecified",
    "F31.9": "Bipolar disorder, unspecified",
    "F20.9": "Schizophrenia, unspecified",
    "F10.20": "Alcohol dependence, uncomplicated",
    "F10.21": "Alcohol dependence, in remission",
    "F11.20": "Opioid dependence, uncomplicated",
    "F17.210": "Nicotine dependence, cigarettes, uncomplicated",
    "F90.9": "Attention-deficit hyperactivity disorder, unspecified type",
    "F84.0": "Autistic disorder",
    "F80.9": "Developmental disorder of speech and language, unspecified",
    "F03.90": (
        "Unspecified dementia, unspecified severity, without behavioral disturbance, psychotic disturbance, "
        "mood disturbance, and anxiety"
    ),
    "F01.50": (
        "Vascular dementia, unspecified severity, without behavioral disturbance, psychotic disturbance, mood "
        "disturbance, and anxiety"
    ),
    # Nervous system, eye and ear
    "G30.9": "Alzheimer's disease, unspecified",
    "G20.A1": "Parkinson's disease without dyskinesia, without mention of fluctuations",
    "G40.909": "Epilepsy, unspecified, not intractable, without status epilepticus",
    "H91.90": "Unspecified hearing loss, unspecified ear",
    "H35.30": "Unspecified macular degeneration",
    "H40.9": "Unspecified glaucoma",
    "H66.90": "Otitis media, unspecified, unspecified ear",
    # Musculoskeletal, skin, digestive, blood
    "M17.11": "Unilateral primary osteoarthritis, right knee",
    "M17.12": "Unilateral primary osteoarthritis, left knee",
    "M17.0": "Bilateral primary osteoarthritis of knee",
    "M81.0": "Age-related osteoporosis without current pathological fracture",
    "M06.9": "Rheumatoid arthritis, unspecified",
    "M54.50": "Low back pain, unspecified",
    "M62.81": "Muscle weakness (generalized)",
    "L20.9": "Atopic dermatitis, unspecified",
    "L89.152": "Pressure ulcer of sacral region, stage 2",
    "K21.9": "Gastro-esophageal reflux disease without esophagitis",
    "K50.90": "Crohn's disease, unspecified, without complications",
    "B18.2": "Chronic viral hepatitis C",
    "B20": "Human immunodeficiency virus [HIV] disease",
    "D64.9": "Anemia, unspecified",
    "D57.1": "Sickle-cell disease without crisis",
    "R13.10": "Dysphagia, unspecified",
    "R26.81": "Unsteadiness on feet",
    # Neoplasms and history
    "C50.911": "Malignant neoplasm of unspecified site of right female breast",
    "C61": "Malignant neoplasm of prostate",
    "Z85.3": "Personal history of malignant neoplasm of breast",
    "Z85.46": "Personal history of malignant neoplasm of prostate",
    "Z85.038": "Personal history of other malignant neoplasm of large intestine",
    # Status, dependence and social needs (Z codes)
    "Z79.4": "Long term (current) use of insulin",
    "Z79.84": "Long term (current) use of oral hypoglycemic drugs",
    "Z79.01": "Long term (current) use of anticoagulants",
    "Z99.81": "Dependence on supplemental oxygen",
    "Z99.3": "Dependence on wheelchair",
    "Z96.641": "Presence of right artificial hip joint",
    "Z47.1": "Aftercare following joint replacement surgery",
    "Z74.1": "Need for assistance with personal care",
    "Z91.81": "History of falling",
    "Z91.010": "Allergy to peanuts",
    "Z59.41": "Food insecurity",
    "Z59.82": "Transportation insecurity",
    "Z59.869": "Financial insecurity, unspecified",
    "Z59.6": "Low income",
    "Z59.12": "Inadequate housing utilities",
    "Z60.2": "Problems related to living alone",
}
